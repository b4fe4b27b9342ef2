"""Employees as staff may see them: one, their dated assignments, and a unit's list."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.tables import employee_assignments, employees
from services.planning.service_layer.organisation.regions import today_in_region
from services.planning.service_layer.schemas import AssignmentRead, EmployeeHistoryRead, EmployeeRead
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind


def not_found_employee() -> Refusal:
    """The 404 for an employee that does not exist or that the caller may not see."""
    return Refusal("unknown_employee", "No such employee.", field="employee_id", kind=RefusalKind.NOT_FOUND)


async def history_rows(session: AsyncSession, region_id: str, employee_id: str) -> list[Row[Any]]:
    """The employee's dated assignments, oldest first."""
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
        raise not_found_employee()
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
    raise not_found_employee()


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
            assignment = (await history_rows(session, principal.region, employee_id))[0]
        else:
            raise Refusal(
                "not_yet_employed",
                "The employee had no assignment on %(on)s.",
                field="on",
                kind=RefusalKind.NOT_FOUND,
                params={"on": on.isoformat()},
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
    history = await history_rows(session, principal.region, employee_id)
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
            raise Refusal(
                "not_your_team",
                "You may only list the employees you supervise.",
                field="supervisor_id",
                kind=RefusalKind.FORBIDDEN,
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
