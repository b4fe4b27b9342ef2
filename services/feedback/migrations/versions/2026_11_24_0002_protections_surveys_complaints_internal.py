"""Service tickets, survey services and profiles, region read models, complaints, internal feedback.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("region_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("period_kind", sa.String(16), nullable=False),
    )
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("supervisor_id", sa.String(64)),
        sa.Column("name", sa.String(300), nullable=False),
    )
    op.create_table(
        "planned_results",
        sa.Column("result_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False, index=True),
        sa.Column("employee_id", sa.String(64), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("in_force", sa.Boolean, nullable=False),
    )
    op.create_table(
        "activities",
        sa.Column("activity_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False, index=True),
        sa.Column("result_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "unit_services",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("service_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("survey_kind", sa.String(32), nullable=False),
    )
    op.create_table(
        "service_tickets",
        sa.Column("region_id", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("officer_employee_id", sa.String(64)),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("response_id", sa.String(64)),
    )
    op.add_column(
        "survey_responses",
        sa.Column("survey_kind", sa.String(32), nullable=False, server_default="public_service"),
    )
    for name, length in (
        ("ticket_code", 16),
        ("officer_employee_id", 64),
        ("age_band", 16),
        ("sex", 16),
        ("education", 32),
        ("occupation", 32),
    ):
        op.add_column("survey_responses", sa.Column(name, sa.String(length)))
    op.create_index(
        "ix_survey_responses_unit_period",
        "survey_responses",
        ["region_id", "unit_id", "service_id", "period"],
    )
    op.create_table(
        "holidays",
        sa.Column("region_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "complaint_policies",
        sa.Column("region_id", sa.String(64), primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("verification_days", sa.Integer, nullable=False),
        sa.Column("follow_up_days", sa.Integer, nullable=False),
        sa.Column("resolution_without_field_check_days", sa.Integer, nullable=False),
        sa.Column("resolution_with_field_check_days", sa.Integer, nullable=False),
        sa.Column("reopen_window_days", sa.Integer, nullable=False),
        sa.Column("weekend_days", sa.ARRAY(sa.Integer), nullable=False),
    )
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("tracking_code", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64)),
        sa.Column("officer_employee_id", sa.String(64)),
        sa.Column("category", sa.String(64)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("contact_phone", sa.String(32)),
        sa.Column("requires_field_check", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_kind", sa.String(48)),
        sa.Column("deadline_started_at", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("region_id", "tracking_code", name="uq_complaints_region_id_tracking_code"),
    )
    op.create_index(
        "ix_complaints_due_at", "complaints", ["due_at"], postgresql_where=sa.text("due_at IS NOT NULL")
    )
    op.create_table(
        "complaint_history",
        sa.Column("complaint_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("unit_id", sa.String(64)),
        sa.Column("actor", sa.String(200), nullable=False),
    )
    op.create_table(
        "complaint_breaches",
        sa.Column("complaint_id", sa.String(64), primary_key=True),
        sa.Column("deadline_kind", sa.String(48), primary_key=True),
        sa.Column("deadline_started_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "continuous_feedback",
        sa.Column("feedback_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False, index=True),
        sa.Column("rater_id", sa.String(64), nullable=False),
        sa.Column("result_id", sa.String(64), nullable=False),
        sa.Column("activity_ids", sa.ARRAY(sa.String(64)), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "behaviour_assessments",
        sa.Column("assessment_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("assessor_id", sa.String(64), nullable=False),
        sa.Column("assessor_role", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("scores", sa.ARRAY(sa.Integer), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint(
            "employee_id",
            "period",
            "assessor_id",
            name="uq_behaviour_assessments_employee_id_period_assessor_id",
        ),
    )


def downgrade() -> None:
    for table in (
        "behaviour_assessments",
        "continuous_feedback",
        "complaint_breaches",
        "complaint_history",
        "complaints",
        "complaint_policies",
        "holidays",
        "service_tickets",
        "unit_services",
        "activities",
        "planned_results",
        "employees",
        "regions",
    ):
        op.drop_table(table)
    op.drop_index("ix_survey_responses_unit_period", table_name="survey_responses")
    for column in (
        "occupation",
        "education",
        "sex",
        "age_band",
        "officer_employee_id",
        "ticket_code",
        "survey_kind",
    ):
        op.drop_column("survey_responses", column)
