"""Initial planning schema: regions, units, employees, work plans and the messaging tables.

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
        "regions",
        sa.Column("region_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("period_kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False, index=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("parent_unit_id", sa.String(64)),
        sa.Column("organisation_predicate", sa.String(32)),
        sa.UniqueConstraint("region_id", "code", name="uq_units_region_id_code"),
    )
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False, index=True),
        sa.Column("nip", sa.String(18), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("position", sa.String(200), nullable=False),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("supervisor_id", sa.String(64)),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.UniqueConstraint("region_id", "nip", name="uq_employees_region_id_nip"),
    )
    op.create_table(
        "work_plans",
        sa.Column("plan_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False, index=True),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("rater_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("content", JSONB, nullable=False),
        sa.Column("rejection_reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("employee_id", "year", "version", name="uq_work_plans_employee_id_year_version"),
    )


def downgrade() -> None:
    for table in ("work_plans", "employees", "units", "regions", "audit_log", "processed_events", "outbox"):
        op.drop_table(table)
