"""Tables of the scoring service (schema ``scoring``): read models and materialized views."""

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, Numeric, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import make_metadata
from shared.runtime import ServiceTables

metadata = make_metadata()
runtime_tables = ServiceTables(metadata)

region_settings = Table(
    "region_settings",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("period_kind", String(16), nullable=False),
)

indicator_targets = Table(
    "indicator_targets",
    metadata,
    Column("indicator_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("rater_id", String(64), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("result_id", String(64), nullable=False),
    Column("result_kind", String(16), nullable=False),
    Column("year", Integer, nullable=False),
    Column("name", String(300), nullable=False),
    Column("direction", String(32), nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("unit_of_measure", String(64), nullable=False),
    Column("target", Numeric(18, 4)),
    Column("period_targets", JSONB, nullable=False),
    Column("active", Boolean, nullable=False),
    Index("ix_indicator_targets_employee", "employee_id", "year"),
)

#: One row per activity: the raw facts behind every number (transparency, and exact recomputation).
contributions = Table(
    "contributions",
    metadata,
    Column("activity_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("indicator_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("quantity", Numeric(18, 4), nullable=False),
    Column("denominator", Numeric(18, 4)),
    Column("verified", Boolean, nullable=False),
    Index("ix_contributions_employee_period", "employee_id", "period"),
)

#: The materialized view per employee, indicator and period, kept current event by event.
indicator_progress = Table(
    "indicator_progress",
    metadata,
    Column("employee_id", String(64), primary_key=True),
    Column("indicator_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("quantity_sum", Numeric(20, 4), nullable=False),
    Column("denominator_sum", Numeric(20, 4), nullable=False),
    Column("activity_count", Integer, nullable=False),
    Column("verified_quantity_sum", Numeric(20, 4), nullable=False),
    Column("verified_count", Integer, nullable=False),
    Column("last_occurred_at", DateTime(timezone=True)),
    Column("last_activity_id", String(64)),
    Column("last_quantity", Numeric(18, 4)),
    Column("events_applied", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

unit_satisfaction = Table(
    "unit_satisfaction",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("satisfaction_index", Numeric(6, 2), nullable=False),
    Column("grade", String(4), nullable=False),
    Column("respondents", Integer, nullable=False),
    Column("sample_adequate", Boolean),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
