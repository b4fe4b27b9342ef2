"""A plan's way through review: submitted, approved or rejected by the rater, withdrawn by HR."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.repository import PlanRecord
from services.planning.adapters.tables import work_plans
from services.planning.metrics import PLANS_DECIDED
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.schemas import WorkPlanRead
from services.planning.service_layer.work_plans.records import (
    actor_nip,
    assignment_for_plan,
    load_visible,
    plan_read,
    require_owner,
    save_plan,
)
from shared.auth import Principal
from shared.contracts.planning import (
    IndicatorSnapshot,
    PlannedResultSnapshot,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


async def submit_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """The employee submits their complete draft to the rater."""
    record = await load_visible(uow.session, principal, plan_id)
    actor = require_owner(principal, record)
    try:
        record.plan.submit(actor)
    except Refusal as error:
        raise in_api_terms(error, year=record.plan.year) from None
    record.status = record.plan.status.value
    await save_plan(uow.session, record)
    return plan_read(record)


def _indicator_snapshot(indicator: dict[str, Any]) -> IndicatorSnapshot:
    # A qualitative indicator has no unit of measure; the contract carries an empty one.
    unit = indicator["unit_of_measure"] or ""
    return IndicatorSnapshot.model_validate(indicator | {"unit_of_measure": unit})


def _require_not_own(principal: Principal, record: PlanRecord) -> None:
    if principal.employee_id == record.employee_id:
        raise Refusal("own_plan", "You cannot approve or reject your own plan.", kind=RefusalKind.FORBIDDEN)


async def _decide_alone(session: AsyncSession, region_id: str, plan_id: str) -> None:
    """Hold off any other decision on the same employee's plans of the same year until we commit.

    Two raters' clicks (or one double click) approving at once would otherwise both read
    "submitted": two plans in force, or one plan approved and published twice. The lock is taken
    before the plan is read, so the second decision reads what the first one wrote.
    """
    owner = (
        await session.execute(
            select(work_plans.c.employee_id, work_plans.c.year).where(
                work_plans.c.region_id == region_id, work_plans.c.plan_id == plan_id
            )
        )
    ).first()
    if owner is not None:
        key = f"work-plan-decision:{region_id}:{owner.employee_id}:{owner.year}"
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def approve_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """The rater approves a submitted plan; it replaces the version in force, and its content is published."""
    session = uow.session
    await _decide_alone(session, principal.region, plan_id)
    record = await load_visible(session, principal, plan_id)
    _require_not_own(principal, record)
    actor = await actor_nip(session, principal)
    try:
        record.plan.approve(actor)
    except Refusal as error:
        raise in_api_terms(error) from None
    record.status = record.plan.status.value
    plan = record.plan
    in_force = [
        row
        for row in await repository.plan_rows(
            session, record.region_id, employee_id=record.employee_id, year=plan.year, statuses=["approved"]
        )
        if row.plan_id != plan.id
    ]
    for old in in_force:
        await session.execute(
            update(work_plans)
            .where(work_plans.c.region_id == record.region_id, work_plans.c.plan_id == old.plan_id)
            .values(status="superseded", superseded_by=plan.id, updated_at=datetime.now(UTC))
        )
        uow.emit(
            WorkPlanSuperseded(
                region_id=record.region_id,
                plan_id=old.plan_id,
                employee_id=record.employee_id,
                year=plan.year,
                reason="revised",
                superseded_by_plan_id=plan.id,
            )
        )
    await save_plan(session, record, decided_by=principal.employee_id)
    assignment = await assignment_for_plan(session, record.region_id, record.employee_id, plan.year)
    content = repository.plan_content(record)
    uow.emit(
        WorkPlanApproved(
            region_id=record.region_id,
            plan_id=plan.id,
            employee_id=record.employee_id,
            rater_id=record.rater_id,
            unit_id=assignment.unit_id,
            job_type=assignment.job_type,
            year=plan.year,
            version=plan.version,
            results=[
                PlannedResultSnapshot(
                    result_id=result["result_id"],
                    kind=result["kind"],
                    text=result["text"],
                    supports_result_id=result["supports_result_id"],
                    supports_employee_id=result["supports_employee_id"],
                    indicators=[_indicator_snapshot(i) for i in result["indicators"]],
                )
                for result in content
            ],
            previous_plan_id=plan.previous_plan_id,
        )
    )
    PLANS_DECIDED.labels("approved").inc()
    return plan_read(record)


async def reject_work_plan(
    *, uow: UnitOfWork, principal: Principal, plan_id: str, reason: str
) -> WorkPlanRead:
    """The rater sends a submitted plan back with a reason; the employee revises it as a new version."""
    await _decide_alone(uow.session, principal.region, plan_id)
    record = await load_visible(uow.session, principal, plan_id)
    _require_not_own(principal, record)
    actor = await actor_nip(uow.session, principal)
    try:
        record.plan.reject(actor, reason)
    except Refusal as error:
        raise in_api_terms(error) from None
    record.status = record.plan.status.value
    await save_plan(uow.session, record, decided_by=principal.employee_id)
    PLANS_DECIDED.labels("rejected").inc()
    return plan_read(record)


async def withdraw_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """HR withdraws the approved plan in force (e.g. the employee left); consumers stop counting it."""
    record = await load_visible(uow.session, principal, plan_id)
    if record.status != "approved":
        raise Refusal(
            "not_in_force",
            "Only the approved plan in force can be withdrawn; this plan is %(status)s.",
            field="status",
            kind=RefusalKind.CONFLICT,
            params={"status": record.status},
        )
    record.status = "withdrawn"
    await save_plan(uow.session, record, decided_by=principal.subject[:64])
    uow.emit(
        WorkPlanSuperseded(
            region_id=record.region_id,
            plan_id=record.plan.id,
            employee_id=record.employee_id,
            year=record.plan.year,
            reason="withdrawn",
        )
    )
    return plan_read(record)
