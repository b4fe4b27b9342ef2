"""Initial reporting schema: plan indicator read model, activities and the messaging tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "plan_indicators",
        sa.Column("indicator_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("rater_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("result_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("aggregation", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_plan_indicators_employee", "plan_indicators", ["employee_id", "year"])
    op.create_table(
        "activities",
        sa.Column("activity_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("result_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Numeric(18, 4)),
        sa.Column("denominator", sa.Numeric(18, 4)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("obstacles", sa.Text),
        sa.Column("latitude", sa.Numeric(9, 6)),
        sa.Column("longitude", sa.Numeric(9, 6)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("review_note", sa.Text),
        sa.Column("reviewed_by", sa.String(64)),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_activities_employee_time", "activities", ["employee_id", "occurred_at"])


def downgrade() -> None:
    for table in ("activities", "plan_indicators", "audit_log", "processed_events", "outbox"):
        op.drop_table(table)
