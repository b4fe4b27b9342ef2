"""Reported activities kept as what a feedback's evidence is checked against, and nothing more.

Feedback reads an activity only to check that the evidence a rater points at is the employee's
reported activity of the result (by region and activity id, then employee and result); the
activities' list comes from reporting. The description (up to 2,000 characters) and the time were
written for every activity and sampled by every autovacuum analyze of the table, and the index of
employees was written for every activity and read by nothing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_activities_employee_id", table_name="activities")
    op.drop_column("activities", "description")
    op.drop_column("activities", "occurred_at")


def downgrade() -> None:
    # What was dropped is not known any more: the times as of the downgrade, empty descriptions.
    op.add_column(
        "activities",
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.add_column("activities", sa.Column("description", sa.Text, nullable=False, server_default=""))
    op.create_index("ix_activities_employee_id", "activities", ["employee_id"])
