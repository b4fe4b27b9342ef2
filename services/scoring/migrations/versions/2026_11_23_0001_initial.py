"""Initial scoring schema: read models, contributions, materialized views and the messaging tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "region_settings",
        sa.Column("region_id", sa.String(64), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("period_kind", sa.String(16), nullable=False),
    )
    op.create_table(
        "indicator_targets",
        sa.Column("indicator_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("rater_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("result_id", sa.String(64), nullable=False),
        sa.Column("result_kind", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("direction", sa.String(32), nullable=False),
        sa.Column("aggregation", sa.String(16), nullable=False),
        sa.Column("unit_of_measure", sa.String(64), nullable=False),
        sa.Column("target", sa.Numeric(18, 4)),
        sa.Column("period_targets", JSONB, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_indicator_targets_employee", "indicator_targets", ["employee_id", "year"])
    op.create_table(
        "contributions",
        sa.Column("activity_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Numeric(18, 4), nullable=False),
        sa.Column("denominator", sa.Numeric(18, 4)),
        sa.Column("verified", sa.Boolean, nullable=False),
    )
    op.create_index("ix_contributions_employee_period", "contributions", ["employee_id", "period"])
    op.create_table(
        "indicator_progress",
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("indicator_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("quantity_sum", sa.Numeric(20, 4), nullable=False),
        sa.Column("denominator_sum", sa.Numeric(20, 4), nullable=False),
        sa.Column("activity_count", sa.Integer, nullable=False),
        sa.Column("verified_quantity_sum", sa.Numeric(20, 4), nullable=False),
        sa.Column("verified_count", sa.Integer, nullable=False),
        sa.Column("last_occurred_at", sa.DateTime(timezone=True)),
        sa.Column("last_activity_id", sa.String(64)),
        sa.Column("last_quantity", sa.Numeric(18, 4)),
        sa.Column("events_applied", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "unit_satisfaction",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("service_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("satisfaction_index", sa.Numeric(6, 2), nullable=False),
        sa.Column("grade", sa.String(4), nullable=False),
        sa.Column("respondents", sa.Integer, nullable=False),
        sa.Column("sample_adequate", sa.Boolean),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in (
        "unit_satisfaction",
        "indicator_progress",
        "contributions",
        "indicator_targets",
        "region_settings",
        "audit_log",
        "processed_events",
        "outbox",
    ):
        op.drop_table(table)
