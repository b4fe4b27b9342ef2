"""Contributions keep one index of (employee, region, indicator, year, period), not two by region.

The totals by period and by year and the scorecard's activities read it by employee and region;
one index is one entry less to write for every activity. And an index led by the region alone tied
with the primary key when the batch's look-up was planned on an empty table, and won: each key
then scanned the region's rows until the table's first analyze.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_contributions_employee",
        "contributions",
        ["employee_id", "region_id", "indicator_id", "year", "period"],
    )
    op.drop_index("ix_contributions_key_period", table_name="contributions")
    op.drop_index("ix_contributions_key_year", table_name="contributions")


def downgrade() -> None:
    op.create_index(
        "ix_contributions_key_period", "contributions", ["region_id", "employee_id", "indicator_id", "period"]
    )
    op.create_index(
        "ix_contributions_key_year", "contributions", ["region_id", "employee_id", "indicator_id", "year"]
    )
    op.drop_index("ix_contributions_employee", table_name="contributions")
