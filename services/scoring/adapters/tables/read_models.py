"""Read models of other services' facts: units, employees and their dated moves, approved plans."""

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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from services.scoring.adapters.tables.base import metadata, stamps

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
    *stamps(),
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
    *stamps(),
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
    *stamps(),
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
    # A plan's indicators in their order, as the scorecard reads them (migration 0017).
    Index("ix_plan_indicators_plan_position", "region_id", "plan_id", "position"),
)
