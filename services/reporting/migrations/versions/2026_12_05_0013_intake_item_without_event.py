"""An intake item no longer carries its event: an employee's events travel joined, as stored.

The intake's statement grouped the items' envelopes by employee into one outbox row each
(``string_agg`` over a sort of every item with its ~700-byte envelope): a sixth of its backend's CPU
in a batch of 500 (bench/README.md, session 21). The intake now sends each employee's events already
joined, with the ids of their activities, and the statement keeps only those of inserted ones.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TYPE intake_item DROP ATTRIBUTE event")


def downgrade() -> None:
    op.execute("ALTER TYPE intake_item ADD ATTRIBUTE event bytea")
