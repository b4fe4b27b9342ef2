"""Tables of the scoring service (schema ``scoring``): read models, raw facts and materialized views.

Every table holds one region's rows (``region_id``); event handlers write only through the session
they are given, so the views can be rebuilt into fresh tables by replaying the topics. View rows
record the last event that changed them (``last_event_id``) and when (``updated_at``).
"""

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import ServiceTables, make_metadata

metadata = make_metadata()


def _stamps() -> list[Column[Any]]:
    return [
        Column("last_event_id", String(64)),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


# --- read models of other services' facts -------------------------------------------------------

region_settings = Table(
    "region_settings",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("period_kind", String(16), nullable=False),
)
runtime_tables = ServiceTables(metadata, regions=region_settings)

#: Organisational units (OPD) and their organisation predicate, from planning's UnitUpserted.
units = Table(
    "units",
    metadata,
    Column("unit_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("parent_unit_id", String(64)),
    Column("organisation_predicate", String(32)),
    Column("stamp_at", DateTime(timezone=True), nullable=False),
    *_stamps(),
    Index("ix_units_region_id", "region_id"),
    PrimaryKeyConstraint("region_id", "unit_id", name="pk_units"),
)

#: The team read model: each employee's unit, job type and rater, from planning's EmployeeUpserted.
employees = Table(
    "employees",
    metadata,
    Column("employee_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("position", String(200), nullable=False),
    Column("job_type", String(64), nullable=False),
    Column("supervisor_id", String(64)),
    Column("effective_from", Date, nullable=False),
    Column("stamp_at", DateTime(timezone=True), nullable=False),
    *_stamps(),
    Index("ix_employees_region_id_supervisor_id", "region_id", "supervisor_id"),
    Index("ix_employees_region_id_unit_id", "region_id", "unit_id"),
    Index("ix_employees_region_id_effective_from", "region_id", "effective_from"),
    # One row per dated assignment: a move dated later holds from its date (shared/read_models.py).
    PrimaryKeyConstraint("region_id", "employee_id", "effective_from", name="pk_employees"),
)

#: The day through which a region's dated assignments are in the summaries (None: not yet known):
#: bookkeeping of service_layer/dated_moves.py, not a view.
assignments_applied = Table(
    "assignments_applied",
    metadata,
    Column("region_id", String(64), nullable=False),
    Column("applied_through", Date),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("region_id", name="pk_assignments_applied"),
)

#: Approved work plans (SKP); the one in force is the highest approved version not superseded.
plans = Table(
    "plans",
    metadata,
    Column("plan_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("version", Integer),
    Column("rater_id", String(64)),
    Column("unit_id", String(64)),
    Column("job_type", String(64)),
    Column("approved", Boolean, nullable=False),
    Column("superseded", Boolean, nullable=False),
    Column("in_force", Boolean, nullable=False, server_default=text("false")),
    *_stamps(),
    Index("ix_plans_region_id_employee_id_year", "region_id", "employee_id", "year"),
    PrimaryKeyConstraint("region_id", "plan_id", name="pk_plans"),
)

#: Indicators (IKI) of approved plans with their targets.
plan_indicators = Table(
    "plan_indicators",
    metadata,
    Column("plan_id", String(64), nullable=False),
    Column("indicator_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("result_id", String(64), nullable=False),
    Column("result_kind", String(16), nullable=False),
    Column("result_text", Text, nullable=False),
    Column("code", String(64)),
    Column("name", String(300), nullable=False),
    Column("aspect", String(16), nullable=False),
    Column("direction", String(32), nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("unit_of_measure", String(64), nullable=False),
    Column("target", Numeric(18, 4)),
    Column("qualitative_target", Text),
    Column("period_targets", JSONB, nullable=False),
    PrimaryKeyConstraint("region_id", "plan_id", "indicator_id", name="pk_plan_indicators"),
    Index("ix_plan_indicators_region_id_employee_id_year", "region_id", "employee_id", "year"),
)

# --- raw facts -----------------------------------------------------------------------------------

#: One row per activity: its folded state (see domain.activity), the facts behind every number.
contributions = Table(
    "contributions",
    metadata,
    Column("activity_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("indicator_id", String(64)),
    Column("result_id", String(64)),
    Column("period", String(16)),
    Column("year", Integer),
    Column("occurred_at", DateTime(timezone=True)),
    Column("occurred_utc_offset", SmallInteger, comment="Device offset of occurred_at, minutes."),
    Column("quantity", Numeric(18, 4)),
    Column("denominator", Numeric(18, 4)),
    Column("reported", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("measure_stamp_at", DateTime(timezone=True)),
    Column("measure_stamp_id", String(64)),
    Column("measure_corrected", Boolean, nullable=False, server_default=text("false")),
    Column("status_stamp_at", DateTime(timezone=True)),
    Column("status_stamp_id", String(64)),
    Column("evidence_sha256", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    *_stamps(),
    Index("ix_contributions_key_period", "region_id", "employee_id", "indicator_id", "period"),
    Index("ix_contributions_key_year", "region_id", "employee_id", "indicator_id", "year"),
    PrimaryKeyConstraint("region_id", "activity_id", name="pk_contributions"),
)

field_visits = Table(
    "field_visits",
    metadata,
    Column("visit_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("supervisor_id", String(64), nullable=False),
    Column("visited_at", DateTime(timezone=True), nullable=False),
    Column("visited_utc_offset", SmallInteger, comment="Device offset of visited_at, minutes."),
    Column("period", String(16), nullable=False),
    Column("location", String(300), nullable=False),
    Column("findings", Text, nullable=False),
    Column("follow_up", Text),
    Column("last_event_id", String(64)),
    PrimaryKeyConstraint("region_id", "visit_id", "employee_id", name="pk_field_visits"),
    Index("ix_field_visits_region_id_employee_id_period", "region_id", "employee_id", "period"),
)

behaviour_assessments = Table(
    "behaviour_assessments",
    metadata,
    Column("assessment_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("assessor_id", String(64), nullable=False),
    Column("assessor_role", String(16), nullable=False),
    Column("period", String(16), nullable=False),
    Column("scores", JSONB, nullable=False),
    Column("proposed_rating", String(32)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("last_event_id", String(64)),
    Index("ix_behaviour_assessments_key", "region_id", "employee_id", "period"),
    PrimaryKeyConstraint("region_id", "assessment_id", name="pk_behaviour_assessments"),
)

complaint_breaches = Table(
    "complaint_breaches",
    metadata,
    Column("complaint_id", String(64), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("period", String(16), nullable=False),
    *_stamps(),
    PrimaryKeyConstraint("region_id", "complaint_id", "stage", name="pk_complaint_breaches"),
    Index("ix_complaint_breaches_region_id_unit_id_period", "region_id", "unit_id", "period"),
)

evidence_claims = Table(
    "evidence_claims",
    metadata,
    Column("sha256", String(64), nullable=False),
    Column("activity_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    PrimaryKeyConstraint("region_id", "sha256", "activity_id", name="pk_evidence_claims"),
    Index("ix_evidence_claims_region_id_sha256", "region_id", "sha256"),
)

# --- materialized views --------------------------------------------------------------------------

#: Per employee, indicator and period (a sub-period key such as 2026-Q3, or the year 2026).
#: The totals are exact; realisation follows from them by domain.achievement.realisation_from_totals.
indicator_progress = Table(
    "indicator_progress",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("employee_id", String(64), primary_key=True),
    Column("indicator_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("quantity_sum", Numeric(20, 4), nullable=False),
    Column("denominator_sum", Numeric(20, 4), nullable=False),
    Column("activity_count", Integer, nullable=False),
    Column("verified_quantity_sum", Numeric(20, 4), nullable=False),
    Column("verified_denominator_sum", Numeric(20, 4), nullable=False, server_default=text("0")),
    Column("verified_count", Integer, nullable=False),
    Column("verified_last_quantity", Numeric(18, 4)),
    Column("rejected_count", Integer, nullable=False, server_default=text("0")),
    Column("last_occurred_at", DateTime(timezone=True)),
    Column("last_activity_id", String(64)),
    Column("last_quantity", Numeric(18, 4)),
    Column("target", Numeric(18, 4)),
    Column("realisation", Numeric(20, 4)),
    Column("verified_share", Numeric(9, 4)),
    Column("achievement", Numeric(9, 4)),
    Column("events_applied", Integer, nullable=False),
    *_stamps(),
    # The latest verified activity (time, id): lets the totals be kept incrementally (migration 0003).
    Column("verified_last_occurred_at", DateTime(timezone=True)),
    Column("verified_last_activity_id", String(64)),
    Index("ix_indicator_progress_region_id_employee_id_period", "region_id", "employee_id", "period"),
)

#: Per employee and period: achievement, the proposals, the rater's decision and the predicate.
employee_scores = Table(
    "employee_scores",
    metadata,
    Column("employee_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("job_type", String(64), nullable=False),
    Column("rater_id", String(64)),
    Column("achievement", Numeric(9, 4)),
    Column("main_achievement", Numeric(9, 4)),
    Column("additional_bonus", Numeric(9, 4), nullable=False),
    Column("verified_share", Numeric(9, 4)),
    Column("activity_count", Integer, nullable=False),
    Column("indicator_outcomes", JSONB, nullable=False),
    Column("rule_set_from", Date, nullable=False),
    Column("proposed_result_rating", String(16), nullable=False),
    Column("proposal_reasons", JSONB, nullable=False),
    Column("behaviour_assessment_id", String(64)),
    Column("proposed_behaviour_rating", String(16)),
    Column("proposed_predicate", String(32)),
    Column("result_rating", String(16)),
    Column("behaviour_rating", String(16)),
    Column("predicate", String(32)),
    Column("overridden", Boolean),
    Column("decision_reason", Text),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    *_stamps(),
    PrimaryKeyConstraint("region_id", "employee_id", "period", name="pk_employee_scores"),
    Index("ix_employee_scores_region_id_unit_id_period", "region_id", "unit_id", "period"),
    Index("ix_employee_scores_region_id_rater_id_period", "region_id", "rater_id", "period"),
)

#: Per unit and period, what the dashboards show of its employee summaries (the rows with that unit
#: and period), kept by every summary refresh (service_layer/rollups.py) rather than aggregated per
#: read: counts, the exact sum of achievements, predicates counted, and the ranking best first.
unit_rollups = Table(
    "unit_rollups",
    metadata,
    Column("region_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("employees", Integer, nullable=False),
    Column("measured", Integer, nullable=False),  # employees with an achievement
    Column("achievement_sum", Numeric),  # exact; None when nobody is measured
    Column("decided", Integer, nullable=False),  # employees with a rater's predicate
    Column("predicate_counts", JSONB, nullable=False),  # {predicate: employees}, live predicates
    Column("ranking", JSONB, nullable=False),  # [{rank, employee_id, job_type, rater_id, ...}]
    PrimaryKeyConstraint("region_id", "unit_id", "period", name="pk_unit_rollups"),
)

#: The ``service_id`` of a unit's own satisfaction index, over every response the unit received.
WHOLE_UNIT = ""

#: A unit's satisfaction index (IKM) per period: its own (``WHOLE_UNIT``) and each service's.
unit_satisfaction = Table(
    "unit_satisfaction",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("unit_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("satisfaction_index", Numeric(6, 2), nullable=False),
    Column("grade", String(4), nullable=False),
    Column("respondents", Integer, nullable=False),
    Column("sample_adequate", Boolean),
    *_stamps(),
)

# --- decisions, periods, rules and flags ---------------------------------------------------------

#: Every confirmation or override, append-only (auditors count overrides from here).
rating_decisions = Table(
    "rating_decisions",
    metadata,
    Column("decision_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("rater_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("proposed_result_rating", String(16), nullable=False),
    Column("result_rating", String(16), nullable=False),
    Column("proposed_behaviour_rating", String(16)),
    Column("behaviour_rating", String(16), nullable=False),
    Column("predicate", String(32), nullable=False),
    Column("overridden", Boolean, nullable=False),
    Column("reason", Text),
    Column("achievement", Numeric(9, 4)),
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_rating_decisions_region_id_period", "region_id", "period"),
    # The scorecard's latest decision of one employee and period (migration 0004).
    Index(
        "ix_rating_decisions_region_id_employee_id_period", "region_id", "employee_id", "period", "decided_at"
    ),
)

#: The rater's judgement of a qualitative indicator (penilaian atasan), one per employee, indicator
#: and period; written through the API (kept by replay) and read by the summary refresh.
indicator_judgements = Table(
    "indicator_judgements",
    metadata,
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("indicator_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("judgement", String(16), nullable=False),
    Column("note", Text),
    Column("rater_id", String(64), nullable=False),
    Column("judged_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Period before indicator: the summary refresh looks up an employee-period's judgements.
    PrimaryKeyConstraint(
        "region_id", "employee_id", "period", "indicator_id", name="pk_indicator_judgements"
    ),
)

closed_periods = Table(
    "closed_periods",
    metadata,
    Column("region_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False),
    Column("closed_by", String(200), nullable=False),
    PrimaryKeyConstraint("region_id", "period", name="pk_closed_periods"),
)

#: Events that arrived for a period already closed: kept here, never applied to the frozen views.
late_events = Table(
    "late_events",
    metadata,
    Column("event_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("period", String(16), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_late_events_region_id_period", "region_id", "period"),
    PrimaryKeyConstraint("region_id", "event_id", name="pk_late_events"),
)

#: A region's dated rule sets (thresholds etc.); a period is scored by the one in force on its first day.
rule_sets = Table(
    "rule_sets",
    metadata,
    Column("region_id", String(64), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("settings", JSONB, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("region_id", "effective_from", name="pk_rule_sets"),
)

flags = Table(
    "flags",
    metadata,
    Column("flag_id", String(64), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("period", String(16), nullable=False),
    Column("details", JSONB, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_flags_region_id_period", "region_id", "period"),
    PrimaryKeyConstraint("region_id", "flag_id", name="pk_flags"),
)
