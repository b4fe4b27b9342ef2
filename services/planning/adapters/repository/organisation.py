"""Loads a region's organisation: its settings, unit tree, employees and dated supervisor tree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters.tables import employee_assignments, employees, regions, units
from services.planning.domain.organisation import (
    Employee,
    JobType,
    Nip,
    OrganisationUnit,
    Position,
    SupervisorTree,
    UnitKind,
    UnitTree,
)
from services.planning.domain.work_plan import PeriodScheme
from shared.refusals import Refusal

_SCHEME_OF_REGION = {
    "quarterly": PeriodScheme.QUARTERLY,
    "monthly": PeriodScheme.MONTHLY,
    "semester": PeriodScheme.SEMESTER,
}


def period_scheme(period_kind: str) -> PeriodScheme:
    """The period scheme of a region's ``period_kind`` setting."""
    return _SCHEME_OF_REGION[period_kind]


async def region_row(session: AsyncSession, region_id: str, *, lock: bool = False) -> Row[Any] | None:
    """The region's row, or None; `lock` holds it until the transaction ends."""
    query = select(regions).where(regions.c.region_id == region_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


def job_type_of(stored: str) -> JobType:
    """The job type of a stored value; values stored before validation existed count as general staff."""
    try:
        return JobType.parse(stored)
    except Refusal:
        return JobType.GENERAL_STAFF


@dataclass
class Organisation:
    """A region's units and dated supervisor tree, with the id ↔ code and id ↔ NIP maps of storage."""

    region_id: str
    units: UnitTree
    unit_rows: dict[str, Row[Any]]
    tree: SupervisorTree
    nip_of: dict[str, Nip] = field(default_factory=dict)
    employee_id_of: dict[Nip, str] = field(default_factory=dict)
    employee_rows: dict[str, Row[Any]] = field(default_factory=dict)

    def unit_code(self, unit_id: str) -> str | None:
        """Code of a unit of this region, or None when it is not one."""
        row = self.unit_rows.get(unit_id)
        return None if row is None else str(row.code)

    def unit_id(self, code: str) -> str:
        """Storage id of the unit with this code."""
        return f"{self.region_id}.{code}"

    def employee(self, employee_id: str) -> Employee | None:
        """The domain employee with this id, or None when not in this region."""
        nip = self.nip_of.get(employee_id)
        return None if nip is None else self.tree.employee(nip)


async def load_units(session: AsyncSession, region_id: str) -> tuple[UnitTree, dict[str, Row[Any]]]:
    """The region's unit tree and its rows by unit id."""
    rows = (await session.execute(select(units).where(units.c.region_id == region_id))).all()
    by_id = {row.unit_id: row for row in rows}
    tree = UnitTree(
        region_id,
        [
            OrganisationUnit(
                region_id,
                row.code,
                row.name,
                UnitKind(row.kind),
                None if row.parent_unit_id is None else by_id[row.parent_unit_id].code,
            )
            for row in rows
        ],
    )
    return tree, by_id


async def load_organisation(session: AsyncSession, region_id: str) -> Organisation:
    """Units, employees and every dated assignment of a region, rehydrated into the domain trees."""
    unit_tree, unit_rows = await load_units(session, region_id)
    tree = SupervisorTree(region_id, unit_tree)
    organisation = Organisation(region_id, unit_tree, unit_rows, tree)
    employee_rows = (await session.execute(select(employees).where(employees.c.region_id == region_id))).all()
    for row in employee_rows:
        nip = Nip(row.nip)
        organisation.nip_of[row.employee_id] = nip
        organisation.employee_id_of[nip] = row.employee_id
        organisation.employee_rows[row.employee_id] = row
    history: dict[str, list[tuple[date, str, Position, Nip | None]]] = {}
    assignment_rows = (
        await session.execute(
            select(employee_assignments).where(employee_assignments.c.region_id == region_id)
        )
    ).all()
    for row in assignment_rows:
        history.setdefault(row.employee_id, []).append(
            (
                row.effective_from,
                unit_rows[row.unit_id].code,
                Position(row.position, job_type_of(row.job_type)),
                None if row.supervisor_id is None else organisation.nip_of[row.supervisor_id],
            )
        )
    for row in employee_rows:
        tree.restore(
            Employee(organisation.nip_of[row.employee_id], row.name, region_id), history[row.employee_id]
        )
    return organisation


async def assignment_on(
    session: AsyncSession, region_id: str, employee_id: str, day: date
) -> Row[Any] | None:
    """The assignment of an employee holding on `day`, or None before their first one."""
    return (
        await session.execute(
            select(employee_assignments)
            .where(
                employee_assignments.c.region_id == region_id,
                employee_assignments.c.employee_id == employee_id,
                employee_assignments.c.effective_from <= day,
            )
            .order_by(employee_assignments.c.effective_from.desc())
            .limit(1)
        )
    ).first()


async def employee_nips(session: AsyncSession, region_id: str, employee_ids: Iterable[str]) -> dict[str, Nip]:
    """NIPs of some employees of a region by id."""
    wanted = sorted(set(employee_ids))
    if not wanted:
        return {}
    rows = (
        await session.execute(
            select(employees.c.employee_id, employees.c.nip).where(
                employees.c.region_id == region_id, employees.c.employee_id.in_(wanted)
            )
        )
    ).all()
    return {row.employee_id: Nip(row.nip) for row in rows}
