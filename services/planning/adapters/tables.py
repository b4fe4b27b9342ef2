"""Tables of the planning service (schema ``planning``)."""

from sqlalchemy import Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import make_metadata
from shared.runtime import ServiceTables

metadata = make_metadata()
runtime_tables = ServiceTables(metadata)

regions = Table(
    "regions",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("period_kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

units = Table(
    "units",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("parent_unit_id", String(64)),
    Column("organisation_predicate", String(32)),
    UniqueConstraint("region_id", "code"),
)

employees = Table(
    "employees",
    metadata,
    Column("employee_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False, index=True),
    Column("nip", String(18), nullable=False),
    Column("name", String(300), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("position", String(200), nullable=False),
    Column("job_type", String(64), nullable=False),
    Column("supervisor_id", String(64)),
    Column("effective_from", Date, nullable=False),
    UniqueConstraint("region_id", "nip"),
)

work_plans = Table(
    "work_plans",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False, index=True),
    Column("employee_id", String(64), nullable=False),
    Column("rater_id", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    # The plan is one aggregate (results → indicators → targets) edited and approved as a whole.
    Column("content", JSONB, nullable=False),
    Column("rejection_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("employee_id", "year", "version"),
)
