"""An intake item carries its event's whole envelope: the intake draws the event ids itself.

PostgreSQL's ``uuidv7()`` drew each activity event's id and wrote it in front of the envelope the
item carried after it (``event_after_id``): ~5 µs of the database's CPU an event, a strong random
draw each, besides the concatenations (bench/README.md, session 19). The intake now writes each
envelope whole from a series of ids drawn once a transaction (``shared.outbox.event_id_series``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TYPE intake_item RENAME ATTRIBUTE event_after_id TO event")


def downgrade() -> None:
    op.execute("ALTER TYPE intake_item RENAME ATTRIBUTE event TO event_after_id")
