"""Employees' dated assignments: hiring one and moving them (mutasi), checked against the tree."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.repository import Organisation
from services.planning.adapters.tables import employee_assignments, employees
from services.planning.domain.organisation import (
    Employee,
    JobType,
    Move,
    Nip,
    Position,
)
from services.planning.metrics import SUPERVISOR_CYCLES_REFUSED
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.organisation.employee_reads import history_rows, not_found_employee
from services.planning.service_layer.organisation.regions import new_id, require_region
from services.planning.service_layer.schemas import EmployeeCreate, EmployeeRead, MoveCreate
from shared.contracts.planning import EmployeeUpserted
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


def _parse_position(title: str, job_type: str) -> Position:
    try:
        return Position(title, JobType.parse(job_type))
    except Refusal as error:
        raise in_api_terms(error) from None


def _unit_code(organisation: Organisation, unit_id: str) -> str:
    """The code of the region's unit an employee is placed in; refused when there is none."""
    unit_code = organisation.unit_code(unit_id)
    if unit_code is None:
        raise Refusal(
            "unknown_unit",
            "Unit %(unit_id)s does not exist in this region.",
            field="unit_id",
            params={"unit_id": repr(unit_id)},
        )
    return unit_code


def _supervisor(organisation: Organisation, supervisor_id: str | None) -> Employee | None:
    """The region's employee named as supervisor (None when none is named); refused when unknown."""
    if supervisor_id is None:
        return None
    supervisor = organisation.employee(supervisor_id)
    if supervisor is None:
        raise Refusal(
            "unknown_supervisor", "The supervisor is not an employee of this region.", field="supervisor_id"
        )
    return supervisor


def _employee_event(region_id: str, employee_id: str, nip: str, name: str, assignment: dict[str, Any]) -> Any:
    return EmployeeUpserted(region_id=region_id, employee_id=employee_id, nip=nip, name=name, **assignment)


def assignment_of(organisation: Organisation, nip: Nip, day: date) -> dict[str, Any]:
    """The full assignment of `nip` on `day` in storage terms."""
    tree = organisation.tree
    unit_code = tree.unit_on(nip, day)
    position = tree.position_on(nip, day)
    assert unit_code is not None
    assert position is not None
    supervisor = tree.supervisor_on(nip, day)
    return {
        "effective_from": day,
        "unit_id": organisation.unit_id(unit_code),
        "position": position.title,
        "job_type": position.job_type.value,
        "supervisor_id": None if supervisor is None else organisation.employee_id_of[supervisor.nip],
    }


async def store_assignment(
    session: AsyncSession, region_id: str, employee_id: str, assignment: dict[str, Any]
) -> None:
    """Record an assignment (replacing one of the same date) and refresh the employee's latest one."""
    statement = pg_insert(employee_assignments).values(
        employee_id=employee_id, region_id=region_id, **assignment
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "employee_id", "effective_from"],
            set_={
                column: statement.excluded[column]
                for column in ("unit_id", "position", "job_type", "supervisor_id")
            },
        )
    )
    latest = await session.execute(
        select(employee_assignments)
        .where(
            employee_assignments.c.region_id == region_id, employee_assignments.c.employee_id == employee_id
        )
        .order_by(employee_assignments.c.effective_from.desc())
        .limit(1)
    )
    row = latest.one()
    await session.execute(
        update(employees)
        .where(employees.c.region_id == region_id, employees.c.employee_id == employee_id)
        .values(
            unit_id=row.unit_id,
            position=row.position,
            job_type=row.job_type,
            supervisor_id=row.supervisor_id,
            effective_from=row.effective_from,
        )
    )


async def create_employee(*, uow: UnitOfWork, region_id: str, employee_in: EmployeeCreate) -> EmployeeRead:
    """Enrol an employee (ASN) in a region with their first assignment."""
    await require_region(uow.session, region_id, lock=True)
    organisation = await repository.load_organisation(uow.session, region_id)
    try:
        nip = Nip.parse(employee_in.nip)
        employee = Employee(nip, employee_in.name, region_id)
    except Refusal as error:
        raise in_api_terms(error) from None
    position = _parse_position(employee_in.position, employee_in.job_type)
    unit_code = _unit_code(organisation, employee_in.unit_id)
    supervisor = _supervisor(organisation, employee_in.supervisor_id)
    if nip in organisation.employee_id_of:
        raise Refusal(
            "nip_exists",
            "An employee with NIP %(nip)s already exists.",
            field="nip",
            kind=RefusalKind.CONFLICT,
            params={"nip": nip},
        )
    employee_id = employee_in.employee_id or new_id()
    try:
        organisation.tree.enrol(
            employee,
            effective_from=employee_in.effective_from,
            unit_code=unit_code,
            position=position,
            supervisor=supervisor,
        )
    except Refusal as error:
        raise in_api_terms(error) from None
    organisation.nip_of[employee_id] = nip
    organisation.employee_id_of[nip] = employee_id
    assignment = assignment_of(organisation, nip, employee_in.effective_from)
    try:
        # Employee ids are unique on the platform, and other regions' ids are invisible here.
        async with uow.session.begin_nested():
            await uow.session.execute(
                insert(employees).values(
                    employee_id=employee_id,
                    region_id=region_id,
                    nip=nip.value,
                    name=employee.name,
                    **assignment,
                )
            )
    except IntegrityError:
        raise Refusal(
            "employee_exists",
            "Employee id %(employee_id)s is already used.",
            field="employee_id",
            kind=RefusalKind.CONFLICT,
            params={"employee_id": repr(employee_id)},
        ) from None
    await store_assignment(uow.session, region_id, employee_id, assignment)
    uow.emit(_employee_event(region_id, employee_id, nip.value, employee.name, assignment))
    return EmployeeRead(
        employee_id=employee_id, region_id=region_id, nip=nip.value, name=employee.name, **assignment
    )


async def move_employee(
    *, uow: UnitOfWork, region_id: str, employee_id: str, move_in: MoveCreate
) -> EmployeeRead:
    """Record a dated move: new unit, supervisor and/or position from a date; cycles are refused."""
    await require_region(uow.session, region_id, lock=True)
    organisation = await repository.load_organisation(uow.session, region_id)
    nip = organisation.nip_of.get(employee_id)
    if nip is None:
        raise not_found_employee()
    tree = organisation.tree
    day = move_in.effective_from
    current_position = tree.position_on(nip, day)
    if current_position is None:
        first = min(row.effective_from for row in await history_rows(uow.session, region_id, employee_id))
        raise Refusal(
            "before_enrolment",
            "%(day)s is before the employee's first assignment on %(first)s.",
            field="effective_from",
            params={"day": day.isoformat(), "first": first.isoformat()},
        )
    changes = move_in.model_fields_set
    unit_code = None
    if move_in.unit_id is not None:
        unit_code = _unit_code(organisation, move_in.unit_id)
    elif "unit_id" in changes:
        raise Refusal("missing_value", "An employee always has a unit.", field="unit_id")
    supervisor = _supervisor(organisation, move_in.supervisor_id)
    position = None
    if move_in.position is not None or move_in.job_type is not None:
        position = _parse_position(
            move_in.position or current_position.title, move_in.job_type or current_position.job_type.value
        )
    try:
        tree.apply(nip, Move(day, unit_code=unit_code, supervisor=supervisor, position=position))
        if "supervisor_id" in changes and move_in.supervisor_id is None:
            tree.assign_supervisor(nip, None, day)
    except Refusal as error:
        if error.code == "supervisor_cycle":
            SUPERVISOR_CYCLES_REFUSED.inc()
        raise in_api_terms(error) from None
    assignment = assignment_of(organisation, nip, day)
    await store_assignment(uow.session, region_id, employee_id, assignment)
    row = organisation.employee_rows[employee_id]
    uow.emit(_employee_event(region_id, employee_id, row.nip, row.name, assignment))
    return EmployeeRead(
        employee_id=employee_id, region_id=region_id, nip=row.nip, name=row.name, **assignment
    )
