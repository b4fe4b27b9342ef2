"""Use cases of the organisation: regions, units, employees and their dated moves (mutasi)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.repository import Organisation
from services.planning.adapters.tables import employee_assignments, employees, regions, units
from services.planning.domain.errors import DomainError, SupervisorCycleError
from services.planning.domain.organisation import (
    Employee,
    JobType,
    Move,
    Nip,
    OrganisationUnit,
    Position,
    Region,
    UnitKind,
    UnitTree,
)
from services.planning.entrypoints.schemas import (
    AssignmentRead,
    EmployeeCreate,
    EmployeeHistoryRead,
    EmployeeRead,
    MoveCreate,
    RegionCreate,
    RegionRead,
    UnitCreate,
    UnitRead,
    UnitUpdate,
)
from services.planning.metrics import SUPERVISOR_CYCLES_REFUSED
from services.planning.service_layer.errors import to_api_error
from shared.auth import Principal, Role
from shared.contracts.planning import EmployeeUpserted, RegionRegistered, UnitUpserted
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.unit_of_work import UnitOfWork

#: Length of the unit id column: the region id, a dot and the unit code.
UNIT_ID_LENGTH = 64


def new_id() -> str:
    """A fresh opaque id."""
    return uuid.uuid4().hex


def _not_found_employee() -> NotFound:
    return NotFound("unknown_employee", "No such employee.", "Pegawai tidak ditemukan.", field="employee_id")


async def register_region(*, uow: UnitOfWork, region_in: RegionCreate) -> RegionRead:
    """Add a region to the platform."""
    try:
        Region(region_in.region_id, region_in.name)
    except DomainError as error:
        raise to_api_error(error, renames={"id": "region_id"}) from None
    existing = await uow.session.scalar(
        select(regions.c.region_id).where(regions.c.region_id == region_in.region_id)
    )
    if existing is not None:
        raise Conflict(
            "region_exists",
            f"Region {region_in.region_id!r} already exists.",
            f"Daerah {region_in.region_id!r} sudah ada.",
            field="region_id",
        )
    await uow.session.execute(insert(regions).values(**region_in.model_dump()))
    uow.emit(RegionRegistered(**region_in.model_dump()))
    return RegionRead(**region_in.model_dump())


async def require_region(session: AsyncSession, region_id: str, *, lock: bool = False) -> Row[Any]:
    """The caller's region row, or 404.

    With `lock`, changes to the region's organisation wait for each other, so two concurrent moves
    can never each pass the cycle check against a state the other is changing.
    """
    row = await repository.region_row(session, region_id, lock=lock)
    if row is None:
        raise NotFound("unknown_region", f"Region {region_id!r} does not exist.", "Daerah tidak ditemukan.")
    return row


def _unit_read(row: Any) -> UnitRead:
    return UnitRead(
        unit_id=row.unit_id,
        region_id=row.region_id,
        code=row.code,
        name=row.name,
        kind=row.kind,
        parent_unit_id=row.parent_unit_id,
        organisation_predicate=row.organisation_predicate,
    )


def _unit_event(unit: UnitRead) -> UnitUpserted:
    return UnitUpserted(**unit.model_dump())


def _parent_code(unit_rows: dict[str, Row[Any]], parent_unit_id: str | None) -> str | None:
    if parent_unit_id is None:
        return None
    parent = unit_rows.get(parent_unit_id)
    if parent is None:
        raise Unprocessable(
            "unknown_unit",
            f"The parent unit {parent_unit_id!r} does not exist in this region.",
            f"Unit induk {parent_unit_id!r} tidak ada di daerah ini.",
            field="parent_unit_id",
        )
    return str(parent.code)


async def create_unit(*, uow: UnitOfWork, region_id: str, unit_in: UnitCreate) -> UnitRead:
    """Add an organisational unit under the region or under a parent unit of the same region."""
    await require_region(uow.session, region_id, lock=True)
    tree, unit_rows = await repository.load_units(uow.session, region_id)
    parent_code = _parent_code(unit_rows, unit_in.parent_unit_id)
    try:
        tree.add(OrganisationUnit(region_id, unit_in.code, unit_in.name, UnitKind(unit_in.kind), parent_code))
    except DomainError as error:
        raise to_api_error(error) from None
    unit_id = f"{region_id}.{unit_in.code}"
    if len(unit_id) > UNIT_ID_LENGTH:
        raise Unprocessable(
            "code_too_long",
            f"Unit code {unit_in.code!r} is too long for this region; use at most "
            f"{UNIT_ID_LENGTH - len(region_id) - 1} characters.",
            f"Kode unit {unit_in.code!r} terlalu panjang untuk daerah ini; gunakan paling banyak "
            f"{UNIT_ID_LENGTH - len(region_id) - 1} karakter.",
            field="code",
        )
    unit = UnitRead(unit_id=unit_id, region_id=region_id, **unit_in.model_dump())
    await uow.session.execute(insert(units).values(**unit.model_dump()))
    uow.emit(_unit_event(unit))
    return unit


async def update_unit(*, uow: UnitOfWork, region_id: str, unit_id: str, unit_in: UnitUpdate) -> UnitRead:
    """Rename, re-kind, move under another parent or set the organisation predicate of a unit."""
    await require_region(uow.session, region_id, lock=True)
    _, unit_rows = await repository.load_units(uow.session, region_id)
    current = unit_rows.get(unit_id)
    if current is None:
        raise NotFound("unknown_unit", "No such unit.", "Unit tidak ditemukan.", field="unit_id")
    changes = unit_in.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Unprocessable(
            "missing_value", "A unit needs a name.", "Unit wajib memiliki nama.", field="name"
        )
    if "kind" in changes and changes["kind"] is None:
        raise Unprocessable("missing_value", "A unit needs a kind.", "Jenis unit wajib diisi.", field="kind")
    merged = {**_unit_read(current).model_dump(), **changes}
    parent_code = _parent_code(unit_rows, merged["parent_unit_id"])
    # Walking up from the new parent must never reach the unit itself.
    ancestor = merged["parent_unit_id"]
    while ancestor is not None:
        if ancestor == unit_id:
            raise Conflict(
                "unit_cycle",
                f"Unit {current.code} cannot sit under one of its own sub-units.",
                f"Unit {current.code} tidak boleh berada di bawah sub-unitnya sendiri.",
                field="parent_unit_id",
            )
        ancestor = unit_rows[ancestor].parent_unit_id
    rebuilt = [
        OrganisationUnit(
            region_id,
            row.code,
            merged["name"] if row.unit_id == unit_id else row.name,
            UnitKind(merged["kind"] if row.unit_id == unit_id else row.kind),
            parent_code
            if row.unit_id == unit_id
            else (None if row.parent_unit_id is None else unit_rows[row.parent_unit_id].code),
        )
        for row in unit_rows.values()
    ]
    try:
        UnitTree(region_id, rebuilt)
    except DomainError as error:
        raise to_api_error(error) from None
    unit = UnitRead(**merged)
    await uow.session.execute(
        update(units)
        .where(units.c.unit_id == unit_id, units.c.region_id == region_id)
        .values(
            name=unit.name,
            kind=unit.kind,
            parent_unit_id=unit.parent_unit_id,
            organisation_predicate=unit.organisation_predicate,
        )
    )
    uow.emit(_unit_event(unit))
    return unit


async def list_units(*, session: AsyncSession, region_id: str) -> list[UnitRead]:
    """Every unit of a region, parents before children."""
    tree, unit_rows = await repository.load_units(session, region_id)
    ordered: list[UnitRead] = []
    for agency in tree.children(None):
        for unit in (agency, *tree.descendants(agency.code)):
            ordered.append(_unit_read(unit_rows[f"{region_id}.{unit.code}"]))
    return ordered


# Employees ------------------------------------------------------------------------------------


def _parse_position(title: str, job_type: str) -> Position:
    try:
        return Position(title, JobType.parse(job_type))
    except DomainError as error:
        raise to_api_error(error) from None


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
    except DomainError as error:
        raise to_api_error(error) from None
    position = _parse_position(employee_in.position, employee_in.job_type)
    unit_code = organisation.unit_code(employee_in.unit_id)
    if unit_code is None:
        raise Unprocessable(
            "unknown_unit",
            f"Unit {employee_in.unit_id!r} does not exist in this region.",
            f"Unit {employee_in.unit_id!r} tidak ada di daerah ini.",
            field="unit_id",
        )
    supervisor = None
    if employee_in.supervisor_id is not None:
        supervisor = organisation.employee(employee_in.supervisor_id)
        if supervisor is None:
            raise Unprocessable(
                "unknown_supervisor",
                "The supervisor is not an employee of this region.",
                "Atasan bukan pegawai daerah ini.",
                field="supervisor_id",
            )
    if nip in organisation.employee_id_of:
        raise Conflict(
            "nip_exists",
            f"An employee with NIP {nip} already exists.",
            f"Pegawai dengan NIP {nip} sudah ada.",
            field="nip",
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
    except DomainError as error:
        raise to_api_error(error) from None
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
        raise Conflict(
            "employee_exists",
            f"Employee id {employee_id!r} is already used.",
            f"Id pegawai {employee_id!r} sudah dipakai.",
            field="employee_id",
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
        raise _not_found_employee()
    tree = organisation.tree
    day = move_in.effective_from
    current_position = tree.position_on(nip, day)
    if current_position is None:
        first = min(row.effective_from for row in await _history_rows(uow.session, region_id, employee_id))
        raise Unprocessable(
            "before_enrolment",
            f"{day.isoformat()} is before the employee's first assignment on {first.isoformat()}.",
            f"{day.isoformat()} sebelum penugasan pertama pegawai pada {first.isoformat()}.",
            field="effective_from",
        )
    changes = move_in.model_fields_set
    unit_code = None
    if move_in.unit_id is not None:
        unit_code = organisation.unit_code(move_in.unit_id)
        if unit_code is None:
            raise Unprocessable(
                "unknown_unit",
                f"Unit {move_in.unit_id!r} does not exist in this region.",
                f"Unit {move_in.unit_id!r} tidak ada di daerah ini.",
                field="unit_id",
            )
    elif "unit_id" in changes:
        raise Unprocessable(
            "missing_value", "An employee always has a unit.", "Pegawai wajib memiliki unit.", field="unit_id"
        )
    supervisor = None
    if move_in.supervisor_id is not None:
        supervisor = organisation.employee(move_in.supervisor_id)
        if supervisor is None:
            raise Unprocessable(
                "unknown_supervisor",
                "The supervisor is not an employee of this region.",
                "Atasan bukan pegawai daerah ini.",
                field="supervisor_id",
            )
    position = None
    if move_in.position is not None or move_in.job_type is not None:
        position = _parse_position(
            move_in.position or current_position.title, move_in.job_type or current_position.job_type.value
        )
    try:
        tree.apply(nip, Move(day, unit_code=unit_code, supervisor=supervisor, position=position))
        if "supervisor_id" in changes and move_in.supervisor_id is None:
            tree.assign_supervisor(nip, None, day)
    except DomainError as error:
        if isinstance(error, SupervisorCycleError):
            SUPERVISOR_CYCLES_REFUSED.inc()
        raise to_api_error(error) from None
    assignment = assignment_of(organisation, nip, day)
    await store_assignment(uow.session, region_id, employee_id, assignment)
    row = organisation.employee_rows[employee_id]
    uow.emit(_employee_event(region_id, employee_id, row.nip, row.name, assignment))
    return EmployeeRead(
        employee_id=employee_id, region_id=region_id, nip=row.nip, name=row.name, **assignment
    )


async def _history_rows(session: AsyncSession, region_id: str, employee_id: str) -> list[Row[Any]]:
    return list(
        (
            await session.execute(
                select(employee_assignments)
                .where(
                    employee_assignments.c.region_id == region_id,
                    employee_assignments.c.employee_id == employee_id,
                )
                .order_by(employee_assignments.c.effective_from)
            )
        ).all()
    )


async def _visible_employee(session: AsyncSession, principal: Principal, employee_id: str) -> Row[Any]:
    """The employee row if the caller may read it: HR and auditors all, raters their team, anyone self."""
    row = (
        await session.execute(
            select(employees).where(
                employees.c.region_id == principal.region, employees.c.employee_id == employee_id
            )
        )
    ).first()
    if row is None:
        raise _not_found_employee()
    if principal.has(Role.REGION_ADMIN, Role.AUDITOR) or principal.employee_id == employee_id:
        return row
    if principal.has(Role.RATER) and principal.employee_id is not None:
        rated = await session.scalar(
            select(employee_assignments.c.employee_id)
            .where(
                employee_assignments.c.region_id == principal.region,
                employee_assignments.c.employee_id == employee_id,
                employee_assignments.c.supervisor_id == principal.employee_id,
            )
            .limit(1)
        )
        if rated is not None:
            return row
    raise _not_found_employee()


async def today_in_region(session: AsyncSession, region_id: str) -> date:
    """Today on the region's own calendar: its day starts at midnight in its time zone."""
    region = await require_region(session, region_id)
    return datetime.now(ZoneInfo(region.timezone)).date()


async def get_employee(
    *, session: AsyncSession, principal: Principal, employee_id: str, on: date | None
) -> EmployeeRead:
    """An employee with the assignment holding on `on`, today in the region by default.

    A move dated later is not current yet; an employee who starts later shows their first assignment.
    """
    row = await _visible_employee(session, principal, employee_id)
    day = on or await today_in_region(session, principal.region)
    assignment: Any = await repository.assignment_on(session, principal.region, employee_id, day)
    if assignment is None:
        if on is None:
            assignment = (await _history_rows(session, principal.region, employee_id))[0]
        else:
            raise NotFound(
                "not_yet_employed",
                f"The employee had no assignment on {on.isoformat()}.",
                f"Pegawai belum memiliki penugasan pada {on.isoformat()}.",
                field="on",
            )
    return EmployeeRead(
        employee_id=row.employee_id,
        region_id=row.region_id,
        nip=row.nip,
        name=row.name,
        unit_id=assignment.unit_id,
        position=assignment.position,
        job_type=assignment.job_type,
        supervisor_id=assignment.supervisor_id,
        effective_from=assignment.effective_from,
    )


async def employee_history(
    *, session: AsyncSession, principal: Principal, employee_id: str
) -> EmployeeHistoryRead:
    """Every dated assignment of an employee, oldest first."""
    row = await _visible_employee(session, principal, employee_id)
    history = await _history_rows(session, principal.region, employee_id)
    return EmployeeHistoryRead(
        employee_id=row.employee_id,
        region_id=row.region_id,
        nip=row.nip,
        name=row.name,
        assignments=[
            AssignmentRead(
                effective_from=a.effective_from,
                unit_id=a.unit_id,
                position=a.position,
                job_type=a.job_type,
                supervisor_id=a.supervisor_id,
            )
            for a in history
        ],
    )


async def list_employees(
    *,
    session: AsyncSession,
    principal: Principal,
    on: date | None,
    supervisor_id: str | None,
    unit_id: str | None,
) -> list[EmployeeRead]:
    """Employees of the region as assigned on `on` (today in the region by default), optionally of
    one supervisor or unit.

    A rater who is not HR or an auditor sees only the employees they supervised on that day.
    """
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        if supervisor_id not in (None, principal.employee_id) or principal.employee_id is None:
            raise Forbidden(
                "not_your_team",
                "You may only list the employees you supervise.",
                "Anda hanya dapat melihat pegawai yang Anda bimbing.",
                field="supervisor_id",
            )
        supervisor_id = principal.employee_id
    region_id = principal.region
    day = on or await today_in_region(session, region_id)
    latest = (
        select(employee_assignments)
        .where(employee_assignments.c.region_id == region_id, employee_assignments.c.effective_from <= day)
        .order_by(employee_assignments.c.employee_id, employee_assignments.c.effective_from.desc())
        .ext(distinct_on(employee_assignments.c.employee_id))
        .subquery()
    )
    query = (
        select(employees.c.employee_id, employees.c.nip, employees.c.name, latest)
        .join(latest, latest.c.employee_id == employees.c.employee_id)
        .where(employees.c.region_id == region_id)
    )
    if supervisor_id is not None:
        query = query.where(latest.c.supervisor_id == supervisor_id)
    if unit_id is not None:
        query = query.where(latest.c.unit_id == unit_id)
    rows = (await session.execute(query.order_by(employees.c.name, employees.c.employee_id))).all()
    return [
        EmployeeRead(
            employee_id=row.employee_id,
            region_id=region_id,
            nip=row.nip,
            name=row.name,
            unit_id=row.unit_id,
            position=row.position,
            job_type=row.job_type,
            supervisor_id=row.supervisor_id,
            effective_from=row.effective_from,
        )
        for row in rows
    ]
