"""Raw facts the views are computed from: activities, field visits, assessments, breaches, evidence."""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from services.scoring.adapters.tables.base import metadata, stamps

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
    *stamps(),
    # One index for the totals by period and by year and the scorecard's activities, led by the
    # employee: an index led by the region alone beat the primary key in look-ups planned on the
    # empty table (migration 0011). Read by equality only: the region (one an employee) last and
    # the ids compared as bytes, so that a rebuild's build of it sorts cheaper (0022).
    Index(
        "ix_contributions_employee",
        "employee_id",
        "indicator_id",
        "year",
        "period",
        "region_id",
        postgresql_ops={
            "employee_id": "text_pattern_ops",
            "indicator_id": "text_pattern_ops",
            "period": "text_pattern_ops",
            "region_id": "text_pattern_ops",
        },
    ),
    # The id leads: it settles a comparison alone, where the region first was equal at each step and
    # the id behind it was located afresh each time (0021). Unique per region, as ever.
    PrimaryKeyConstraint("activity_id", "region_id", name="pk_contributions"),
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
    *stamps(),
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
    # Its claims on a batch's files are read by the key's first two columns (0023 dropped the index
    # of those two alone: a second random entry a claim).
    PrimaryKeyConstraint("region_id", "sha256", "activity_id", name="pk_evidence_claims"),
)
