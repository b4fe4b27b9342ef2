"""Dated employee assignments, regional indicator templates and work plan version links.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employee_assignments",
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False, index=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("position", sa.String(200), nullable=False),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("supervisor_id", sa.String(64)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("employee_id", "effective_from", name="pk_employee_assignments"),
    )
    op.create_index(
        "ix_employee_assignments_region_id_supervisor_id",
        "employee_assignments",
        ["region_id", "supervisor_id"],
    )
    # Every employee created before this revision starts their history with their current assignment.
    op.execute(
        "INSERT INTO employee_assignments "
        "(employee_id, effective_from, region_id, unit_id, position, job_type, supervisor_id) "
        "SELECT employee_id, effective_from, region_id, unit_id, position, job_type, supervisor_id "
        "FROM employees"
    )
    op.create_table(
        "indicator_templates",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name_id", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("job_types", JSONB, nullable=False),
        sa.Column("aspect", sa.String(16), nullable=False),
        sa.Column("unit_of_measure", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(32), nullable=False),
        sa.Column("aggregation", sa.String(16), nullable=False),
        sa.Column("qualitative", sa.Boolean, nullable=False),
        sa.Column("minimum", sa.Numeric(18, 4)),
        sa.Column("maximum", sa.Numeric(18, 4)),
        sa.Column("replaces_national", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("region_id", "code", name="pk_indicator_templates"),
    )
    op.add_column("work_plans", sa.Column("previous_plan_id", sa.String(64)))
    op.add_column("work_plans", sa.Column("next_result_number", sa.Integer))
    op.add_column("work_plans", sa.Column("decided_by", sa.String(64)))
    op.add_column("work_plans", sa.Column("decided_at", sa.DateTime(timezone=True)))
    op.add_column("work_plans", sa.Column("superseded_by", sa.String(64)))
    op.create_index(
        "ix_work_plans_region_id_employee_id_year", "work_plans", ["region_id", "employee_id", "year"]
    )
    op.create_index("ix_work_plans_region_id_rater_id", "work_plans", ["region_id", "rater_id"])


def downgrade() -> None:
    op.drop_index("ix_work_plans_region_id_rater_id", table_name="work_plans")
    op.drop_index("ix_work_plans_region_id_employee_id_year", table_name="work_plans")
    for column in ("superseded_by", "decided_at", "decided_by", "next_result_number", "previous_plan_id"):
        op.drop_column("work_plans", column)
    op.drop_table("indicator_templates")
    op.drop_index("ix_employee_assignments_region_id_supervisor_id", table_name="employee_assignments")
    op.drop_table("employee_assignments")
