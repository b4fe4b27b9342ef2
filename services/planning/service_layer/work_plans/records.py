"""The plan records the use cases share: finding one the caller may see, who acts, storing it back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.repository import PlanRecord
from services.planning.adapters.tables import work_plans
from services.planning.domain.organisation import Nip
from services.planning.service_layer.organisation.regions import today_in_region
from services.planning.service_layer.schemas import PlannedResultRead, WorkPlanRead
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind


def _unknown_plan() -> Refusal:
    return Refusal("unknown_plan", "No such work plan.", field="plan_id", kind=RefusalKind.NOT_FOUND)


def plan_day(year: int, today: date) -> date:
    """The day whose assignment decides a plan's rater, unit and job type: today, kept within the year."""
    return min(max(today, date(year, 1, 1)), date(year, 12, 31))


async def assignment_for_plan(
    session: AsyncSession, region_id: str, employee_id: str, year: int, *, today: date | None = None
) -> Any:
    """The employee's assignment on the plan day (today in the region, as its employee lists read it;
    ``today``: the region's, from a caller already holding its row), or their first one when they
    start later."""
    day = plan_day(year, today or await today_in_region(session, region_id))
    found = await repository.assignment_on(session, region_id, employee_id, day)
    if found is not None:
        return found
    return await repository.assignment_on(session, region_id, employee_id, date.max)


def plan_read(record: PlanRecord) -> WorkPlanRead:
    """The API view of a stored plan version."""
    plan = record.plan
    return WorkPlanRead(
        plan_id=plan.id,
        region_id=record.region_id,
        employee_id=record.employee_id,
        rater_id=record.rater_id,
        year=plan.year,
        version=plan.version,
        status=record.status,
        results=[PlannedResultRead.model_validate(c) for c in repository.plan_content(record)],
        rejection_reason=plan.rejection_reason,
        previous_plan_id=plan.previous_plan_id,
        superseded_by=record.superseded_by,
    )


def _may_read(principal: Principal, record: PlanRecord) -> bool:
    if principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        return True
    return principal.employee_id is not None and principal.employee_id in (
        record.employee_id,
        record.rater_id,
    )


async def load_visible(session: AsyncSession, principal: Principal, plan_id: str) -> PlanRecord:
    record = await repository.load_plan(session, principal.region, plan_id)
    if record is None or not _may_read(principal, record):
        raise _unknown_plan()
    return record


def require_owner(principal: Principal, record: PlanRecord) -> Nip:
    if principal.employee_id != record.employee_id:
        raise Refusal(
            "not_your_plan", "Only the employee whose plan this is may change it.", kind=RefusalKind.FORBIDDEN
        )
    return record.plan.employee


async def actor_nip(session: AsyncSession, principal: Principal) -> Nip:
    if principal.employee_id is None:
        raise Refusal("not_an_employee", "Your token names no employee.", kind=RefusalKind.FORBIDDEN)
    nips = await repository.employee_nips(session, principal.region, [principal.employee_id])
    if principal.employee_id not in nips:
        raise Refusal(
            "unknown_employee",
            "You are not registered as an employee of this region.",
            kind=RefusalKind.FORBIDDEN,
        )
    return nips[principal.employee_id]


async def save_plan(session: AsyncSession, record: PlanRecord, *, decided_by: str | None = None) -> None:
    values = repository.plan_values(record)
    extra: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if decided_by is not None:
        extra |= {"decided_by": decided_by, "decided_at": datetime.now(UTC)}
    await session.execute(
        update(work_plans)
        .where(work_plans.c.region_id == record.region_id, work_plans.c.plan_id == record.plan.id)
        .values(**{k: v for k, v in values.items() if k not in ("plan_id", "region_id")}, **extra)
    )
