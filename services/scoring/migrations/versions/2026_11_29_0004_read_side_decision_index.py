"""Read side: an employee's latest rating decision found through an index.

Every scorecard shows whether the proposal changed since the rater decided, from the employee's
latest decision of the period. The only index was (region, period), so that look-up walked every
decision of the region and period: thousands of rows per scorecard once raters decide (100,000
employees, bench/scoring_reads.py). Decisions are appended by hand, so the index costs the write
side nothing measurable.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_rating_decisions_region_id_employee_id_period",
        "rating_decisions",
        ["region_id", "employee_id", "period", "decided_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_rating_decisions_region_id_employee_id_period", table_name="rating_decisions")
