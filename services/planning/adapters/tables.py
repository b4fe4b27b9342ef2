"""Tables of the planning service (schema ``planning``)."""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import ServiceTables, make_metadata

metadata = make_metadata()

regions = Table(
    "regions",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("period_kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
runtime_tables = ServiceTables(metadata, regions=regions)

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
    # A client may choose the id: unique per region only, so no region learns of another's ids.
    Column("region_id", String(64), primary_key=True),
    Column("employee_id", String(64), primary_key=True),
    Column("nip", String(18), nullable=False),
    Column("name", String(300), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("position", String(200), nullable=False),
    Column("job_type", String(64), nullable=False),
    Column("supervisor_id", String(64)),
    Column("effective_from", Date, nullable=False),
    UniqueConstraint("region_id", "nip"),
)
"""Identity of each employee plus their latest assignment; the dated history is ``employee_assignments``."""

employee_assignments = Table(
    "employee_assignments",
    metadata,
    # Each row is the full assignment (mutasi) holding from its date until the next row's date.
    Column("employee_id", String(64), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("region_id", String(64), nullable=False, index=True),
    Column("unit_id", String(64), nullable=False),
    Column("position", String(200), nullable=False),
    Column("job_type", String(64), nullable=False),
    Column("supervisor_id", String(64)),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("region_id", "employee_id", "effective_from"),
    Index("ix_employee_assignments_region_id_supervisor_id", "region_id", "supervisor_id"),
)

indicator_templates = Table(
    "indicator_templates",
    metadata,
    # Only a region's own templates are stored; the national defaults live in the domain code.
    Column("region_id", String(64), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name_id", String(300), nullable=False),
    Column("name_en", String(300), nullable=False),
    Column("job_types", JSONB, nullable=False),
    Column("aspect", String(16), nullable=False),
    Column("unit_of_measure", String(64), nullable=False),
    Column("direction", String(32), nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("qualitative", Boolean, nullable=False),
    Column("minimum", Numeric(18, 4)),
    Column("maximum", Numeric(18, 4)),
    Column("replaces_national", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("region_id", "code"),
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
    Column("previous_plan_id", String(64)),
    Column("next_result_number", Integer),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    Column("superseded_by", String(64)),
    UniqueConstraint("region_id", "employee_id", "year", "version"),
    Index("ix_work_plans_region_id_employee_id_year", "region_id", "employee_id", "year"),
    Index("ix_work_plans_region_id_rater_id", "region_id", "rater_id"),
)
