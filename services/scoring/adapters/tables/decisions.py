"""Raters' decisions and judgements, closed periods, late events, rule sets and flags."""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from services.scoring.adapters.tables.base import metadata

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
