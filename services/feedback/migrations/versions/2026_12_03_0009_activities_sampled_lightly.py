"""Reported activities are analyzed from a 3,000-row sample, not 30,000.

The table grows by every reported activity and autovacuum analyzes it at each tenth of growth (24.1
µs of PostgreSQL an activity in the session-11 soak). It is read by its primary key alone (the
evidence check), which a small sample plans as well. Every column gets the target: the largest sets
the sample (``test_feedback_activity_batch`` checks).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from shared.migrations import analyze_by_default, analyze_lightly

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: The columns the evidence check reads: every one of the table's.
READ_BY_QUERIES = ("region_id", "activity_id", "employee_id", "result_id")


def upgrade() -> None:
    analyze_lightly("activities", READ_BY_QUERIES)


def downgrade() -> None:
    analyze_by_default("activities")
