"""The summaries and progress rows leave room on their pages, so that their updates stay HOT.

Every batch rewrites the employee_scores and indicator_progress rows of the employees it touched,
changing no indexed column; an update is HOT (no index entry written) only when the new version
fits on the row's page. Pages filled whole left a third of the summaries' updates non-HOT, each a
new entry in each of the table's indexes. The fill factor applies to pages written from now on.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: Percent of each new page filled by inserts; the rest is kept for the rows' later versions.
FILL_FACTOR = 70
TABLES = ("employee_scores", "indicator_progress")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILL_FACTOR})")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
