"""The outbox keeps no unique index of event ids: nothing reads it, and every row paid for it twice.

The relay claims rows by ``id`` and consumers de-duplicate by event id in their own
``processed_events``; a random ``uuid4`` B-tree insert per row written and per row marked sent
was PostgreSQL work on the hottest path for nothing (shared/migrations.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from shared.migrations import drop_outbox_event_id_index, restore_outbox_event_id_index

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_outbox_event_id_index()


def downgrade() -> None:
    restore_outbox_event_id_index()
