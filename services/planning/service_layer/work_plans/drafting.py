"""Drafting a work plan: starting it, editing its content, and opening a new version to revise."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.repository import PlanRecord
from services.planning.adapters.tables import work_plans
from services.planning.domain.organisation import Nip
from services.planning.domain.work_plan import WorkPlan
from services.planning.metrics import PLANS_REVISED
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.organisation import new_id
from services.planning.service_layer.schemas import WorkPlanCreate, WorkPlanRead, WorkPlanUpdate
from services.planning.service_layer.work_plans.content import edit_content
from services.planning.service_layer.work_plans.records import (
    actor_nip,
    assignment_for_plan,
    load_visible,
    plan_read,
    require_owner,
    save_plan,
)
from shared.auth import Principal
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


async def create_work_plan(*, uow: UnitOfWork, principal: Principal, plan_in: WorkPlanCreate) -> WorkPlanRead:
    """Start the caller's draft work plan (SKP) for a year; the rater is their supervisor on the plan day."""
    session = uow.session
    actor = await actor_nip(session, principal)
    employee_id = principal.employee_id
    assert employee_id is not None
    existing = await repository.plan_rows(
        session, principal.region, employee_id=employee_id, year=plan_in.year
    )
    if existing:
        latest = existing[-1]
        raise Refusal(
            "plan_exists",
            "You already have a plan for %(year)s (version %(version)s, %(status)s); "
            "revise it instead (plan %(plan_id)s).",
            field="year",
            kind=RefusalKind.CONFLICT,
            params={
                "year": plan_in.year,
                "version": latest.version,
                "status": latest.status,
                "plan_id": latest.plan_id,
            },
        )
    rater_id, rater = await _plan_rater(session, principal.region, employee_id, plan_in.year)
    try:
        plan = WorkPlan.start(new_id(), actor, rater, plan_in.year)
    except Refusal as error:
        raise in_api_terms(error) from None
    record = PlanRecord(
        plan=plan,
        region_id=principal.region,
        employee_id=employee_id,
        rater_id=rater_id,
        status=plan.status.value,
        public_result_ids={},
        indicator_ids={},
        supports={},
    )
    await edit_content(session, record, plan_in.results)
    await session.execute(insert(work_plans).values(**repository.plan_values(record)))
    return plan_read(record)


async def update_work_plan(
    *, uow: UnitOfWork, principal: Principal, plan_id: str, plan_in: WorkPlanUpdate
) -> WorkPlanRead:
    """Replace the content of the caller's draft; results and indicators named by id keep their ids."""
    record = await load_visible(uow.session, principal, plan_id)
    require_owner(principal, record)
    if record.status != "draft":
        raise Refusal(
            "not_a_draft",
            "Only a draft can be edited; this plan is %(status)s. Revise it to open a new version.",
            field="status",
            kind=RefusalKind.CONFLICT,
            params={"status": record.status},
        )
    await edit_content(uow.session, record, plan_in.results)
    await save_plan(uow.session, record)
    return plan_read(record)


async def revise_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """Open a new draft version from the latest approved or rejected version; the old one stays as it was."""
    session = uow.session
    record = await load_visible(session, principal, plan_id)
    actor = require_owner(principal, record)
    plan = record.plan
    versions = await repository.plan_rows(
        session, record.region_id, employee_id=record.employee_id, year=plan.year
    )
    latest = versions[-1]
    if latest.plan_id != plan.id:
        raise Refusal(
            "not_latest_version",
            "Version %(version)s (%(status)s) is newer; revise or edit that one.",
            field="plan_id",
            kind=RefusalKind.CONFLICT,
            params={"version": latest.version, "status": latest.status},
        )
    if record.status in repository.RETIRED_STATUSES:
        raise Refusal(
            "plan_retired",
            "This plan is %(status)s and can no longer be revised.",
            field="status",
            kind=RefusalKind.CONFLICT,
            params={"status": record.status},
        )
    rater_id, rater = await _plan_rater(session, record.region_id, record.employee_id, plan.year)
    try:
        revised = plan.revise(actor, new_id(), rater=rater)
    except Refusal as error:
        raise in_api_terms(error) from None
    new_record = PlanRecord(
        plan=revised,
        region_id=record.region_id,
        employee_id=record.employee_id,
        rater_id=rater_id,
        status=revised.status.value,
        public_result_ids=dict(record.public_result_ids),
        indicator_ids={local: list(ids) for local, ids in record.indicator_ids.items()},
        supports=dict(record.supports),
    )
    await session.execute(insert(work_plans).values(**repository.plan_values(new_record)))
    PLANS_REVISED.inc()
    return plan_read(new_record)


async def _plan_rater(session: AsyncSession, region_id: str, employee_id: str, year: int) -> tuple[str, Nip]:
    """The rater of the employee's plan for a year (their supervisor on the plan day): id and NIP."""
    assignment = await assignment_for_plan(session, region_id, employee_id, year)
    if assignment is None or assignment.supervisor_id is None:
        raise Refusal(
            "no_rater",
            "You have no supervisor to rate your plan; ask your HR office (BKPSDM).",
            field="rater_id",
        )
    nips = await repository.employee_nips(session, region_id, [assignment.supervisor_id])
    return assignment.supervisor_id, nips[assignment.supervisor_id]
