"""Activity life cycle, team and plan read models, employee scores, ratings, closed periods, rules, flags.

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


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("last_event_id", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]


def _contributions() -> None:
    columns: list[sa.Column] = [  # type: ignore[type-arg]
        sa.Column("result_id", sa.String(64)),
        sa.Column("year", sa.Integer),
        sa.Column("reported", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("status", sa.String(16), nullable=False, server_default="UNVERIFIED"),
        sa.Column("measure_stamp_at", sa.DateTime(timezone=True)),
        sa.Column("measure_stamp_id", sa.String(64)),
        sa.Column("measure_corrected", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status_stamp_at", sa.DateTime(timezone=True)),
        sa.Column("status_stamp_id", sa.String(64)),
        sa.Column("evidence_sha256", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        *_stamps(),
    ]
    for column in columns:
        op.add_column("contributions", column)
    op.execute(
        "UPDATE contributions SET year = substr(period, 1, 4)::int, "
        "status = CASE WHEN verified THEN 'VERIFIED' ELSE 'UNVERIFIED' END"
    )
    op.drop_column("contributions", "verified")
    op.alter_column("contributions", "reported", server_default=None)
    op.alter_column("contributions", "status", server_default=None)
    # A verification may now arrive before its report: the report's fields are unknown until then.
    for name in ("indicator_id", "period", "occurred_at", "quantity"):
        op.alter_column("contributions", name, nullable=True)
    op.drop_index("ix_contributions_employee_period", table_name="contributions")
    op.create_index(
        "ix_contributions_key_period", "contributions", ["region_id", "employee_id", "indicator_id", "period"]
    )
    op.create_index(
        "ix_contributions_key_year", "contributions", ["region_id", "employee_id", "indicator_id", "year"]
    )


def _plans() -> None:
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("rater_id", sa.String(64)),
        sa.Column("unit_id", sa.String(64)),
        sa.Column("job_type", sa.String(64)),
        sa.Column("approved", sa.Boolean, nullable=False),
        sa.Column("superseded", sa.Boolean, nullable=False),
        sa.Column("in_force", sa.Boolean, nullable=False, server_default=sa.false()),
        *_stamps(),
        sa.PrimaryKeyConstraint("region_id", "plan_id", name="pk_plans"),
    )
    op.create_index("ix_plans_region_id_employee_id_year", "plans", ["region_id", "employee_id", "year"])
    op.create_table(
        "plan_indicators",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("result_id", sa.String(64), nullable=False),
        sa.Column("result_kind", sa.String(16), nullable=False),
        sa.Column("result_text", sa.Text, nullable=False),
        sa.Column("code", sa.String(64)),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("aspect", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(32), nullable=False),
        sa.Column("aggregation", sa.String(16), nullable=False),
        sa.Column("unit_of_measure", sa.String(64), nullable=False),
        sa.Column("target", sa.Numeric(18, 4)),
        sa.Column("qualitative_target", sa.Text),
        sa.Column("period_targets", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("region_id", "plan_id", "indicator_id", name="pk_plan_indicators"),
    )
    op.create_index(
        "ix_plan_indicators_region_id_employee_id_year",
        "plan_indicators",
        ["region_id", "employee_id", "year"],
    )
    # The targets kept so far become plans (version unknown) and their indicators.
    op.execute(
        "INSERT INTO plans (plan_id, region_id, employee_id, year, rater_id, unit_id, approved, "
        "superseded, in_force) SELECT plan_id, min(region_id), min(employee_id), min(year), min(rater_id), "
        "min(unit_id), true, NOT bool_or(active), bool_or(active) FROM indicator_targets GROUP BY plan_id"
    )
    op.execute(
        "INSERT INTO plan_indicators (plan_id, indicator_id, region_id, employee_id, year, position, "
        "result_id, result_kind, result_text, name, aspect, direction, aggregation, unit_of_measure, "
        "target, period_targets) SELECT plan_id, indicator_id, region_id, employee_id, year, "
        "row_number() OVER (PARTITION BY plan_id ORDER BY indicator_id), result_id, result_kind, '', name, "
        "'quantity', direction, aggregation, unit_of_measure, target, period_targets FROM indicator_targets"
    )
    op.drop_table("indicator_targets")


def _read_models() -> None:
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("parent_unit_id", sa.String(64)),
        sa.Column("organisation_predicate", sa.String(32)),
        sa.Column("stamp_at", sa.DateTime(timezone=True), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("region_id", "unit_id", name="pk_units"),
    )
    op.create_index("ix_units_region_id", "units", ["region_id"])
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("position", sa.String(200), nullable=False),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("supervisor_id", sa.String(64)),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("stamp_at", sa.DateTime(timezone=True), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("region_id", "employee_id", name="pk_employees"),
    )
    op.create_index("ix_employees_region_id_supervisor_id", "employees", ["region_id", "supervisor_id"])
    op.create_index("ix_employees_region_id_unit_id", "employees", ["region_id", "unit_id"])
    op.create_table(
        "field_visits",
        sa.Column("visit_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("supervisor_id", sa.String(64), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("follow_up", sa.Text),
        sa.Column("last_event_id", sa.String(64)),
        sa.PrimaryKeyConstraint("region_id", "visit_id", "employee_id", name="pk_field_visits"),
    )
    op.create_index(
        "ix_field_visits_region_id_employee_id_period", "field_visits", ["region_id", "employee_id", "period"]
    )
    op.create_table(
        "behaviour_assessments",
        sa.Column("assessment_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("assessor_id", sa.String(64), nullable=False),
        sa.Column("assessor_role", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("scores", JSONB, nullable=False),
        sa.Column("proposed_rating", sa.String(32)),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_id", sa.String(64)),
        sa.PrimaryKeyConstraint("region_id", "assessment_id", name="pk_behaviour_assessments"),
    )
    op.create_index(
        "ix_behaviour_assessments_key", "behaviour_assessments", ["region_id", "employee_id", "period"]
    )
    op.create_table(
        "complaint_breaches",
        sa.Column("complaint_id", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("region_id", "complaint_id", "stage", name="pk_complaint_breaches"),
    )
    op.create_index(
        "ix_complaint_breaches_region_id_unit_id_period",
        "complaint_breaches",
        ["region_id", "unit_id", "period"],
    )
    op.create_table(
        "evidence_claims",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("activity_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("region_id", "sha256", "activity_id", name="pk_evidence_claims"),
    )
    op.create_index("ix_evidence_claims_region_id_sha256", "evidence_claims", ["region_id", "sha256"])


def _views() -> None:
    for column in (
        sa.Column("verified_denominator_sum", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("verified_last_quantity", sa.Numeric(18, 4)),
        sa.Column("rejected_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("target", sa.Numeric(18, 4)),
        sa.Column("realisation", sa.Numeric(20, 4)),
        sa.Column("verified_share", sa.Numeric(9, 4)),
        sa.Column("achievement", sa.Numeric(9, 4)),
        sa.Column("last_event_id", sa.String(64)),
    ):
        op.add_column("indicator_progress", column)
    op.create_index(
        "ix_indicator_progress_region_id_employee_id_period",
        "indicator_progress",
        ["region_id", "employee_id", "period"],
    )
    op.add_column("unit_satisfaction", sa.Column("last_event_id", sa.String(64)))
    op.create_table(
        "employee_scores",
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("rater_id", sa.String(64)),
        sa.Column("achievement", sa.Numeric(9, 4)),
        sa.Column("main_achievement", sa.Numeric(9, 4)),
        sa.Column("additional_bonus", sa.Numeric(9, 4), nullable=False),
        sa.Column("verified_share", sa.Numeric(9, 4)),
        sa.Column("activity_count", sa.Integer, nullable=False),
        sa.Column("indicator_outcomes", JSONB, nullable=False),
        sa.Column("rule_set_from", sa.Date, nullable=False),
        sa.Column("proposed_result_rating", sa.String(16), nullable=False),
        sa.Column("proposal_reasons", JSONB, nullable=False),
        sa.Column("behaviour_assessment_id", sa.String(64)),
        sa.Column("proposed_behaviour_rating", sa.String(16)),
        sa.Column("proposed_predicate", sa.String(32)),
        sa.Column("result_rating", sa.String(16)),
        sa.Column("behaviour_rating", sa.String(16)),
        sa.Column("predicate", sa.String(32)),
        sa.Column("overridden", sa.Boolean),
        sa.Column("decision_reason", sa.Text),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        *_stamps(),
        sa.PrimaryKeyConstraint("region_id", "employee_id", "period", name="pk_employee_scores"),
    )
    op.create_index(
        "ix_employee_scores_region_id_unit_id_period", "employee_scores", ["region_id", "unit_id", "period"]
    )
    op.create_index(
        "ix_employee_scores_region_id_rater_id_period", "employee_scores", ["region_id", "rater_id", "period"]
    )


def _governance() -> None:
    op.create_table(
        "rating_decisions",
        sa.Column("decision_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("rater_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("proposed_result_rating", sa.String(16), nullable=False),
        sa.Column("result_rating", sa.String(16), nullable=False),
        sa.Column("proposed_behaviour_rating", sa.String(16)),
        sa.Column("behaviour_rating", sa.String(16), nullable=False),
        sa.Column("predicate", sa.String(32), nullable=False),
        sa.Column("overridden", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("achievement", sa.Numeric(9, 4)),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_rating_decisions_region_id_period", "rating_decisions", ["region_id", "period"])
    op.create_table(
        "closed_periods",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("region_id", "period", name="pk_closed_periods"),
    )
    op.create_table(
        "late_events",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("region_id", "event_id", name="pk_late_events"),
    )
    op.create_index("ix_late_events_region_id_period", "late_events", ["region_id", "period"])
    op.create_table(
        "rule_sets",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("settings", JSONB, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("region_id", "effective_from", name="pk_rule_sets"),
    )
    op.create_table(
        "flags",
        sa.Column("flag_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("region_id", "flag_id", name="pk_flags"),
    )
    op.create_index("ix_flags_region_id_period", "flags", ["region_id", "period"])


def _regional_primary_key(table: str, columns: list[str]) -> None:
    """Ids from other services are unique only within a region: the region leads every key."""
    op.execute(
        "DO $$ DECLARE name text; BEGIN "
        "SELECT conname INTO name FROM pg_constraint "
        f"WHERE conrelid = '{table}'::regclass AND contype = 'p'; "
        f"EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', name); END $$"
    )
    op.create_primary_key(f"pk_{table}", table, ["region_id", *columns])


def _regional_primary_key_reverted(table: str, columns: list[str]) -> None:
    op.drop_constraint(f"pk_{table}", table, type_="primary")
    op.create_primary_key(f"pk_{table}", table, columns)


def upgrade() -> None:
    _regional_primary_key("contributions", ["activity_id"])
    _regional_primary_key("indicator_progress", ["employee_id", "indicator_id", "period"])
    _regional_primary_key("unit_satisfaction", ["unit_id", "period", "service_id"])
    _contributions()
    _plans()
    _read_models()
    _views()
    _governance()


def downgrade() -> None:
    _regional_primary_key_reverted("contributions", ["activity_id"])
    _regional_primary_key_reverted("indicator_progress", ["employee_id", "indicator_id", "period"])
    _regional_primary_key_reverted("unit_satisfaction", ["unit_id", "period", "service_id"])
    for table in (
        "flags",
        "rule_sets",
        "late_events",
        "closed_periods",
        "rating_decisions",
        "employee_scores",
        "evidence_claims",
        "complaint_breaches",
        "behaviour_assessments",
        "field_visits",
        "employees",
        "units",
    ):
        op.drop_table(table)
    op.drop_column("unit_satisfaction", "last_event_id")
    op.drop_index("ix_indicator_progress_region_id_employee_id_period", table_name="indicator_progress")
    for name in (
        "verified_denominator_sum",
        "verified_last_quantity",
        "rejected_count",
        "target",
        "realisation",
        "verified_share",
        "achievement",
        "last_event_id",
    ):
        op.drop_column("indicator_progress", name)
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
    op.execute(
        "INSERT INTO indicator_targets SELECT DISTINCT ON (i.indicator_id) i.indicator_id, i.region_id, "
        "i.employee_id, coalesce(p.unit_id, ''), coalesce(p.rater_id, ''), i.plan_id, i.result_id, "
        "i.result_kind, i.year, i.name, i.direction, i.aggregation, i.unit_of_measure, i.target, "
        "i.period_targets, p.in_force FROM plan_indicators i JOIN plans p USING (plan_id) "
        "ORDER BY i.indicator_id, p.in_force DESC"
    )
    op.drop_table("plan_indicators")
    op.drop_table("plans")
    op.execute("DELETE FROM contributions WHERE NOT reported")
    op.add_column(
        "contributions", sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.execute("UPDATE contributions SET verified = (status = 'VERIFIED')")
    op.alter_column("contributions", "verified", server_default=None)
    op.drop_index("ix_contributions_key_year", table_name="contributions")
    op.drop_index("ix_contributions_key_period", table_name="contributions")
    op.create_index("ix_contributions_employee_period", "contributions", ["employee_id", "period"])
    for name in (
        "result_id",
        "year",
        "reported",
        "status",
        "measure_stamp_at",
        "measure_stamp_id",
        "measure_corrected",
        "status_stamp_at",
        "status_stamp_id",
        "evidence_sha256",
        "last_event_id",
        "updated_at",
    ):
        op.drop_column("contributions", name)
