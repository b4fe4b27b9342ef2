"""The outbox's values are stored out of line uncompressed: a row may now hold a batch's events.

Reporting's intake writes an employee's events of a transaction as one outbox row (a batch request
of 500 activities: ~0.5 MB of envelopes; bench/README.md, session 19). A value past ~2 KB is
compressed by default before it is moved out of line, and pglz compressing half a megabyte of JSON
costs the database more CPU than the rows it replaces; a row of one event (~1 KB) was never
compressed, so the WAL and the disk take what they took before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE outbox ALTER COLUMN value SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox ALTER COLUMN value SET STORAGE EXTENDED")
