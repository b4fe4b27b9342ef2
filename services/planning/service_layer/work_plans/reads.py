"""The plan versions a caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.service_layer.schemas import WorkPlanRead
from services.planning.service_layer.work_plans.records import load_visible, plan_read
from shared.auth import Principal, Role


async def get_work_plan(*, session: AsyncSession, principal: Principal, plan_id: str) -> WorkPlanRead:
    """A plan version the caller may see: their own, one they rate, or any of the region for HR and audit."""
    return plan_read(await load_visible(session, principal, plan_id))


async def list_work_plans(
    *,
    session: AsyncSession,
    principal: Principal,
    employee_id: str | None,
    year: int | None,
    status: str | None,
) -> list[WorkPlanRead]:
    """Plan versions the caller may see, filtered by employee, year and status."""
    rater_id = None
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        if principal.employee_id is None:
            return []
        if employee_id != principal.employee_id:
            # Others' plans only as their rater.
            rater_id = principal.employee_id
    rows = await repository.plan_rows(
        session,
        principal.region,
        employee_id=employee_id,
        year=year,
        statuses=None if status is None else [status],
        rater_id=rater_id,
    )
    if rater_id is not None and employee_id is None:
        rows += await repository.plan_rows(
            session,
            principal.region,
            employee_id=principal.employee_id,
            year=year,
            statuses=None if status is None else [status],
        )
    return [plan_read(r) for r in await repository.records_from_rows(session, principal.region, rows)]
