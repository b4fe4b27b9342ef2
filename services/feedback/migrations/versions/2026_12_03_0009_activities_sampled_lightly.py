"""Reported activities are analyzed from a 3,000-row sample, not 30,000.

The table grows by every reported activity and autovacuum analyzes it at each tenth of growth (24.1
µs of PostgreSQL an activity in the session-11 soak). It is read by its primary key alone (the
evidence check), which a small sample plans as well. Every column gets the target: the largest sets
the sample (``test_feedback_activity_batch`` checks).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

from shared.migrations import RUNTIME_TABLE_STATISTICS

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ("region_id", "activity_id", "employee_id", "result_id")


def _set_statistics(target: int) -> None:
    # One statement: the table's lock is taken once.
    op.execute(
        "ALTER TABLE activities "
        + ", ".join(f"ALTER COLUMN {column} SET STATISTICS {target}" for column in COLUMNS)
    )


def upgrade() -> None:
    _set_statistics(RUNTIME_TABLE_STATISTICS)


def downgrade() -> None:
    _set_statistics(-1)
