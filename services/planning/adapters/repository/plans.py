"""Queries of stored work plan versions, rehydrated into ``PlanRecord``s."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters.repository.organisation import employee_nips
from services.planning.adapters.repository.plan_records import PlanRecord, plan_from_row
from services.planning.adapters.tables import work_plans


async def plan_rows(
    session: AsyncSession,
    region_id: str,
    *,
    employee_id: str | None = None,
    year: int | None = None,
    plan_id: str | None = None,
    statuses: Iterable[str] | None = None,
    employee_ids: Iterable[str] | None = None,
    rater_id: str | None = None,
) -> list[Row[Any]]:
    """Plan version rows of a region matching the filters, oldest version first."""
    query = select(work_plans).where(work_plans.c.region_id == region_id)
    if employee_id is not None:
        query = query.where(work_plans.c.employee_id == employee_id)
    if year is not None:
        query = query.where(work_plans.c.year == year)
    if plan_id is not None:
        query = query.where(work_plans.c.plan_id == plan_id)
    if statuses is not None:
        query = query.where(work_plans.c.status.in_(list(statuses)))
    if employee_ids is not None:
        query = query.where(work_plans.c.employee_id.in_(list(employee_ids)))
    if rater_id is not None:
        query = query.where(work_plans.c.rater_id == rater_id)
    query = query.order_by(work_plans.c.employee_id, work_plans.c.year, work_plans.c.version)
    return list((await session.execute(query)).all())


async def load_plan(session: AsyncSession, region_id: str, plan_id: str) -> PlanRecord | None:
    """One plan version of a region, rehydrated, or None."""
    rows = await plan_rows(session, region_id, plan_id=plan_id)
    if not rows:
        return None
    return (await records_from_rows(session, region_id, rows))[0]


async def records_from_rows(session: AsyncSession, region_id: str, rows: list[Row[Any]]) -> list[PlanRecord]:
    """Rehydrate plan rows, looking up the NIPs they need in one query."""
    needed: set[str] = set()
    for row in rows:
        needed.update((row.employee_id, row.rater_id))
        needed.update(c["supports_employee_id"] for c in row.content if c.get("supports_employee_id"))
    nip_of = await employee_nips(session, region_id, needed)
    return [plan_from_row(row, nip_of) for row in rows]
