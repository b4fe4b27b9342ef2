"""The day through which each region's dated assignments are in the summaries.

A move planning dated later is stored when it is announced but takes effect on its date; the
summaries name the unit and rater holding today, so on that date they must be refreshed without
any event arriving (service_layer/dated_moves.py). ``applied_through`` is the last day done; the
index finds the assignments dated in a region's window of days.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignments_applied",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("applied_through", sa.Date, nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("region_id", name="pk_assignments_applied"),
    )
    op.create_index("ix_employees_region_id_effective_from", "employees", ["region_id", "effective_from"])


def downgrade() -> None:
    op.drop_index("ix_employees_region_id_effective_from", "employees")
    op.drop_table("assignments_applied")
