"""Planning's work-plan routes: indicator templates, work plans (SKP) through approval, the cascade."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, status

from services.planning.entrypoints.routing import (
    Employee,
    Rater,
    RegionAdmin,
    RegionReader,
    TeamReader,
    planning_router,
)
from services.planning.entrypoints.schemas import RejectionCreate, WithdrawalCreate
from services.planning.service_layer import cascade, templates, work_plans
from services.planning.service_layer.schemas import (
    CascadeRead,
    IndicatorTemplateCreate,
    IndicatorTemplateRead,
    JobTypeName,
    PlanStatusName,
    WorkPlanCreate,
    WorkPlanRead,
    WorkPlanUpdate,
)
from shared.auth import Principal
from shared.dates import BoundedDate
from shared.route_work import RegionSession, RegionWork

router = planning_router()


@router.get("/indicator-templates", response_model=list[IndicatorTemplateRead])
async def list_indicator_templates(
    session: RegionSession,
    principal: Principal = RegionReader,
    job_type: Annotated[JobTypeName | None, Query(description="Only templates for this job type.")] = None,
) -> list[IndicatorTemplateRead]:
    """The indicator templates the caller's region offers: national defaults and its own."""
    return await templates.list_templates(session=session, region_id=principal.region, job_type=job_type)


@router.post(
    "/indicator-templates", status_code=status.HTTP_201_CREATED, response_model=IndicatorTemplateRead
)
async def create_indicator_template(
    template_in: IndicatorTemplateCreate,
    work: RegionWork,
    principal: Principal = RegionAdmin,
) -> IndicatorTemplateRead:
    """Add the region's own indicator template, or replace a national one for the region (BKPSDM)."""
    template = await templates.create_template(
        uow=work.uow, region_id=principal.region, template_in=template_in
    )
    work.record("indicator_template.create", template.code)
    return template


@router.post("/work-plans", status_code=status.HTTP_201_CREATED, response_model=WorkPlanRead)
async def create_work_plan(
    plan_in: WorkPlanCreate, work: RegionWork, principal: Principal = Employee
) -> WorkPlanRead:
    """Start your draft work plan (SKP) for a year; your supervisor is its rater."""
    plan = await work_plans.create_work_plan(uow=work.uow, principal=principal, plan_in=plan_in)
    work.record("work_plan.create", plan.plan_id)
    return plan


@router.get("/work-plans", response_model=list[WorkPlanRead])
async def list_work_plans(
    session: RegionSession,
    principal: Principal = RegionReader,
    employee_id: str | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    plan_status: Annotated[PlanStatusName | None, Query(alias="status")] = None,
) -> list[WorkPlanRead]:
    """Plan versions you may see: yours, those you rate, or all of the region for HR and auditors."""
    return await work_plans.list_work_plans(
        session=session, principal=principal, employee_id=employee_id, year=year, status=plan_status
    )


@router.get("/work-plans/{plan_id}", response_model=WorkPlanRead)
async def get_work_plan(
    plan_id: str, session: RegionSession, principal: Principal = RegionReader
) -> WorkPlanRead:
    """Read a work plan version you may see."""
    return await work_plans.get_work_plan(session=session, principal=principal, plan_id=plan_id)


@router.put("/work-plans/{plan_id}", response_model=WorkPlanRead)
async def update_work_plan(
    plan_id: str, plan_in: WorkPlanUpdate, work: RegionWork, principal: Principal = Employee
) -> WorkPlanRead:
    """Replace the content of your draft; name result and indicator ids to keep them."""
    plan = await work_plans.update_work_plan(
        uow=work.uow, principal=principal, plan_id=plan_id, plan_in=plan_in
    )
    work.record("work_plan.update", plan_id)
    return plan


@router.post("/work-plans/{plan_id}/submit", response_model=WorkPlanRead)
async def submit_work_plan(plan_id: str, work: RegionWork, principal: Principal = Employee) -> WorkPlanRead:
    """Submit your draft to your rater."""
    plan = await work_plans.submit_work_plan(uow=work.uow, principal=principal, plan_id=plan_id)
    work.record("work_plan.submit", plan_id)
    return plan


@router.post("/work-plans/{plan_id}/approve", response_model=WorkPlanRead)
async def approve_work_plan(plan_id: str, work: RegionWork, principal: Principal = Rater) -> WorkPlanRead:
    """Approve a submitted plan of someone you rate; it replaces their version in force."""
    plan = await work_plans.approve_work_plan(uow=work.uow, principal=principal, plan_id=plan_id)
    work.record("work_plan.approve", plan_id)
    return plan


@router.post("/work-plans/{plan_id}/reject", response_model=WorkPlanRead)
async def reject_work_plan(
    plan_id: str, rejection: RejectionCreate, work: RegionWork, principal: Principal = Rater
) -> WorkPlanRead:
    """Send a submitted plan back to its employee, with a reason."""
    plan = await work_plans.reject_work_plan(
        uow=work.uow, principal=principal, plan_id=plan_id, reason=rejection.reason
    )
    work.record("work_plan.reject", plan_id, detail=rejection.reason)
    return plan


@router.post("/work-plans/{plan_id}/revise", status_code=status.HTTP_201_CREATED, response_model=WorkPlanRead)
async def revise_work_plan(plan_id: str, work: RegionWork, principal: Principal = Employee) -> WorkPlanRead:
    """Open a new draft version of your approved or rejected plan; the old version is never edited."""
    plan = await work_plans.revise_work_plan(uow=work.uow, principal=principal, plan_id=plan_id)
    work.record("work_plan.revise", plan.plan_id, detail=f"revises {plan_id}")
    return plan


@router.post("/work-plans/{plan_id}/withdraw", response_model=WorkPlanRead)
async def withdraw_work_plan(
    plan_id: str,
    withdrawal: WithdrawalCreate,
    work: RegionWork,
    principal: Principal = RegionAdmin,
) -> WorkPlanRead:
    """Withdraw the approved plan in force, e.g. when the employee leaves the region (BKPSDM)."""
    plan = await work_plans.withdraw_work_plan(uow=work.uow, principal=principal, plan_id=plan_id)
    work.record("work_plan.withdraw", plan_id, detail=withdrawal.reason)
    return plan


@router.get("/cascade", response_model=CascadeRead)
async def cascade_view(
    session: RegionSession,
    year: Annotated[int, Query(ge=2000, le=2100)],
    principal: Principal = TeamReader,
    unit_id: Annotated[str | None, Query(description="Only this unit and the units below it.")] = None,
    on: Annotated[
        BoundedDate | None, Query(description="Supervisors as of this day; the plan day by default.")
    ] = None,
) -> CascadeRead:
    """The tree of approved planned results from the head down, with gaps (results nobody supports).

    HR and auditors see the region or one unit; a rater sees their own team below them.
    """
    return await cascade.cascade_view(session=session, principal=principal, year=year, unit_id=unit_id, on=on)
