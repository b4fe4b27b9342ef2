"""Planning's work-plan routes: indicator templates, work plans (SKP) through approval, the cascade."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, status

from services.planning.entrypoints.routing import (
    Employee,
    Rater,
    RegionAdmin,
    RegionReader,
    TeamReader,
    planning_router,
    reading,
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
from shared.http import client_address
from shared.runtime import Context

router = planning_router()


@router.get("/indicator-templates", response_model=list[IndicatorTemplateRead])
async def list_indicator_templates(
    context: Context,
    principal: Principal = RegionReader,
    job_type: Annotated[JobTypeName | None, Query(description="Only templates for this job type.")] = None,
) -> list[IndicatorTemplateRead]:
    """The indicator templates the caller's region offers: national defaults and its own."""
    async with reading(context, principal.region) as session:
        return await templates.list_templates(session=session, region_id=principal.region, job_type=job_type)


@router.post(
    "/indicator-templates", status_code=status.HTTP_201_CREATED, response_model=IndicatorTemplateRead
)
async def create_indicator_template(
    template_in: IndicatorTemplateCreate,
    context: Context,
    request: Request,
    principal: Principal = RegionAdmin,
) -> IndicatorTemplateRead:
    """Add the region's own indicator template, or replace a national one for the region (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        template = await templates.create_template(
            uow=uow, region_id=principal.region, template_in=template_in
        )
        await uow.audit(
            actor=principal.subject,
            action="indicator_template.create",
            subject=template.code,
            client_address=client_address(request),
        )
        await uow.commit()
    return template


@router.post("/work-plans", status_code=status.HTTP_201_CREATED, response_model=WorkPlanRead)
async def create_work_plan(
    plan_in: WorkPlanCreate, context: Context, request: Request, principal: Principal = Employee
) -> WorkPlanRead:
    """Start your draft work plan (SKP) for a year; your supervisor is its rater."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await work_plans.create_work_plan(uow=uow, principal=principal, plan_in=plan_in)
        await uow.audit(
            actor=principal.subject,
            action="work_plan.create",
            subject=plan.plan_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return plan


@router.get("/work-plans", response_model=list[WorkPlanRead])
async def list_work_plans(
    context: Context,
    principal: Principal = RegionReader,
    employee_id: str | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    plan_status: Annotated[PlanStatusName | None, Query(alias="status")] = None,
) -> list[WorkPlanRead]:
    """Plan versions you may see: yours, those you rate, or all of the region for HR and auditors."""
    async with reading(context, principal.region) as session:
        return await work_plans.list_work_plans(
            session=session, principal=principal, employee_id=employee_id, year=year, status=plan_status
        )


@router.get("/work-plans/{plan_id}", response_model=WorkPlanRead)
async def get_work_plan(plan_id: str, context: Context, principal: Principal = RegionReader) -> WorkPlanRead:
    """Read a work plan version you may see."""
    async with reading(context, principal.region) as session:
        return await work_plans.get_work_plan(session=session, principal=principal, plan_id=plan_id)


@router.put("/work-plans/{plan_id}", response_model=WorkPlanRead)
async def update_work_plan(
    plan_id: str, plan_in: WorkPlanUpdate, context: Context, request: Request, principal: Principal = Employee
) -> WorkPlanRead:
    """Replace the content of your draft; name result and indicator ids to keep them."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await work_plans.update_work_plan(
            uow=uow, principal=principal, plan_id=plan_id, plan_in=plan_in
        )
        await uow.audit(
            actor=principal.subject,
            action="work_plan.update",
            subject=plan_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return plan


@router.post("/work-plans/{plan_id}/submit", response_model=WorkPlanRead)
async def submit_work_plan(
    plan_id: str, context: Context, request: Request, principal: Principal = Employee
) -> WorkPlanRead:
    """Submit your draft to your rater."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await work_plans.submit_work_plan(uow=uow, principal=principal, plan_id=plan_id)
        await uow.audit(
            actor=principal.subject,
            action="work_plan.submit",
            subject=plan_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return plan


@router.post("/work-plans/{plan_id}/approve", response_model=WorkPlanRead)
async def approve_work_plan(
    plan_id: str, context: Context, request: Request, principal: Principal = Rater
) -> WorkPlanRead:
    """Approve a submitted plan of someone you rate; it replaces their version in force."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await work_plans.approve_work_plan(uow=uow, principal=principal, plan_id=plan_id)
        await uow.audit(
            actor=principal.subject,
            action="work_plan.approve",
            subject=plan_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return plan


@router.post("/work-plans/{plan_id}/reject", response_model=WorkPlanRead)
async def reject_work_plan(
    plan_id: str, rejection: RejectionCreate, context: Context, request: Request, principal: Principal = Rater
) -> WorkPlanRead:
    """Send a submitted plan back to its employee, with a reason."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await work_plans.reject_work_plan(
            uow=uow, principal=principal, plan_id=plan_id, reason=rejection.reason
        )
        await uow.audit(
            actor=principal.subject,
            action="work_plan.reject",
            subject=plan_id,
            detail=rejection.reason,
            client_address=client_address(request),
        )
        await uow.commit()
    return plan


@router.post("/work-plans/{plan_id}/revise", status_code=status.HTTP_201_CREATED, response_model=WorkPlanRead)
async def revise_work_plan(
    plan_id: str, context: Context, request: Request, principal: Principal = Employee
) -> WorkPlanRead:
    """Open a new draft version of your approved or rejected plan; the old version is never edited."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await work_plans.revise_work_plan(uow=uow, principal=principal, plan_id=plan_id)
        await uow.audit(
            actor=principal.subject,
            action="work_plan.revise",
            subject=plan.plan_id,
            detail=f"revises {plan_id}",
            client_address=client_address(request),
        )
        await uow.commit()
    return plan


@router.post("/work-plans/{plan_id}/withdraw", response_model=WorkPlanRead)
async def withdraw_work_plan(
    plan_id: str,
    withdrawal: WithdrawalCreate,
    context: Context,
    request: Request,
    principal: Principal = RegionAdmin,
) -> WorkPlanRead:
    """Withdraw the approved plan in force, e.g. when the employee leaves the region (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await work_plans.withdraw_work_plan(uow=uow, principal=principal, plan_id=plan_id)
        await uow.audit(
            actor=principal.subject,
            action="work_plan.withdraw",
            subject=plan_id,
            detail=withdrawal.reason,
            client_address=client_address(request),
        )
        await uow.commit()
    return plan


@router.get("/cascade", response_model=CascadeRead)
async def cascade_view(
    context: Context,
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
    async with reading(context, principal.region) as session:
        return await cascade.cascade_view(
            session=session, principal=principal, year=year, unit_id=unit_id, on=on
        )
