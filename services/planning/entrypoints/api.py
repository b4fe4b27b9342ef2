"""HTTP API of the planning service: organisation, indicator templates, work plans, imports, cascade."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.entrypoints.import_schemas import ImportReportRead
from services.planning.entrypoints.organisation_import import IMPORT_REQUEST_BODY, uploaded_csv
from services.planning.entrypoints.schemas import (
    CascadeRead,
    EmployeeCreate,
    EmployeeHistoryRead,
    EmployeeRead,
    IndicatorTemplateCreate,
    IndicatorTemplateRead,
    JobTypeName,
    MoveCreate,
    PlanStatusName,
    RegionCreate,
    RegionRead,
    RejectionCreate,
    UnitCreate,
    UnitRead,
    UnitUpdate,
    WithdrawalCreate,
    WorkPlanCreate,
    WorkPlanRead,
    WorkPlanUpdate,
)
from services.planning.service_layer import cascade, imports, organisation, templates, work_plans
from shared.auth import Principal, Role, require_roles
from shared.dates import BoundedDate
from shared.errors import Unprocessable
from shared.guarded_route import GuardedRoute
from shared.http import client_address
from shared.runtime import Context, ServiceContext


async def _no_nul_in_url(request: Request) -> None:
    """Refuse NUL characters in paths and query strings: PostgreSQL text cannot hold them."""
    if "\x00" in request.url.path or "\x00" in str(request.query_params):
        raise Unprocessable(
            "invalid_input",
            "The URL must not contain NUL characters.",
            "URL tidak boleh berisi karakter NUL.",
        )


router = APIRouter(
    prefix="/v1", tags=["planning"], dependencies=[Depends(_no_nul_in_url)], route_class=GuardedRoute
)

PlatformAdmin = require_roles(Role.PLATFORM_ADMIN)
RegionAdmin = require_roles(Role.REGION_ADMIN)
Employee = require_roles(Role.EMPLOYEE)
Rater = require_roles(Role.RATER)
RegionReader = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER, Role.EMPLOYEE)
TeamReader = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)


@asynccontextmanager
async def _reading(context: ServiceContext, region_id: str) -> AsyncIterator[AsyncSession]:
    session = await context.read_session(region_id)
    try:
        yield session
    finally:
        await session.close()


# Regions and units ----------------------------------------------------------------------------


@router.post("/regions", status_code=status.HTTP_201_CREATED, response_model=RegionRead)
async def register_region(
    region_in: RegionCreate, context: Context, request: Request, principal: Principal = PlatformAdmin
) -> RegionRead:
    """Add a region (pemerintah daerah) to the platform (platform administrators)."""
    async with context.unit_of_work(region_id=region_in.region_id) as uow:
        region = await organisation.register_region(uow=uow, region_in=region_in)
        await uow.audit(
            actor=principal.subject,
            action="region.register",
            subject=region.region_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return region


@router.get("/units", response_model=list[UnitRead])
async def list_units(context: Context, principal: Principal = RegionReader) -> list[UnitRead]:
    """The organisational units of the caller's region, parents before children."""
    async with _reading(context, principal.region) as session:
        return await organisation.list_units(session=session, region_id=principal.region)


@router.post("/units", status_code=status.HTTP_201_CREATED, response_model=UnitRead)
async def create_unit(
    unit_in: UnitCreate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> UnitRead:
    """Add an organisational unit to the caller's region (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        unit = await organisation.create_unit(uow=uow, region_id=principal.region, unit_in=unit_in)
        await uow.audit(
            actor=principal.subject,
            action="unit.create",
            subject=unit.unit_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return unit


@router.patch("/units/{unit_id}", response_model=UnitRead)
async def update_unit(
    unit_id: str, unit_in: UnitUpdate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> UnitRead:
    """Rename a unit, move it under another parent or set its organisation predicate (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        unit = await organisation.update_unit(
            uow=uow, region_id=principal.region, unit_id=unit_id, unit_in=unit_in
        )
        await uow.audit(
            actor=principal.subject,
            action="unit.update",
            subject=unit_id,
            detail=unit_in.model_dump_json(exclude_unset=True),
            client_address=client_address(request),
        )
        await uow.commit()
    return unit


# Employees ------------------------------------------------------------------------------------


@router.post("/employees", status_code=status.HTTP_201_CREATED, response_model=EmployeeRead)
async def create_employee(
    employee_in: EmployeeCreate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> EmployeeRead:
    """Enrol an employee (ASN) in the caller's region with their first assignment (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        employee = await organisation.create_employee(
            uow=uow, region_id=principal.region, employee_in=employee_in
        )
        await uow.audit(
            actor=principal.subject,
            action="employee.create",
            subject=employee.employee_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return employee


@router.get("/employees", response_model=list[EmployeeRead])
async def list_employees(
    context: Context,
    principal: Principal = TeamReader,
    on: Annotated[
        BoundedDate | None,
        Query(description="Assignments holding on this day; today in the region by default."),
    ] = None,
    supervisor_id: str | None = None,
    unit_id: str | None = None,
) -> list[EmployeeRead]:
    """Employees as assigned on a day; a rater sees the team they supervised that day."""
    async with _reading(context, principal.region) as session:
        return await organisation.list_employees(
            session=session,
            principal=principal,
            on=on,
            supervisor_id=supervisor_id,
            unit_id=unit_id,
        )


@router.get("/employees/{employee_id}", response_model=EmployeeRead)
async def get_employee(
    employee_id: str,
    context: Context,
    principal: Principal = RegionReader,
    on: Annotated[
        BoundedDate | None,
        Query(description="The assignment holding on this day (who rated whom); today by default."),
    ] = None,
) -> EmployeeRead:
    """An employee with the assignment holding on a day (today in the region by default)."""
    async with _reading(context, principal.region) as session:
        return await organisation.get_employee(
            session=session, principal=principal, employee_id=employee_id, on=on
        )


@router.get("/employees/{employee_id}/history", response_model=EmployeeHistoryRead)
async def employee_history(
    employee_id: str, context: Context, principal: Principal = RegionReader
) -> EmployeeHistoryRead:
    """Every dated assignment of an employee (unit, position, supervisor), oldest first."""
    async with _reading(context, principal.region) as session:
        return await organisation.employee_history(
            session=session, principal=principal, employee_id=employee_id
        )


@router.post(
    "/employees/{employee_id}/moves", status_code=status.HTTP_201_CREATED, response_model=EmployeeRead
)
async def move_employee(
    employee_id: str,
    move_in: MoveCreate,
    context: Context,
    request: Request,
    principal: Principal = RegionAdmin,
) -> EmployeeRead:
    """Record a dated move (mutasi): new unit, supervisor and/or position from a date (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        employee = await organisation.move_employee(
            uow=uow, region_id=principal.region, employee_id=employee_id, move_in=move_in
        )
        await uow.audit(
            actor=principal.subject,
            action="employee.move",
            subject=employee_id,
            detail=move_in.model_dump_json(exclude_unset=True),
            client_address=client_address(request),
        )
        await uow.commit()
    return employee


# Bulk import ----------------------------------------------------------------------------------


@router.post(
    "/imports/organisation",
    response_model=ImportReportRead,
    responses={422: {"description": "Rejected rows: nothing was applied; the body carries the report."}},
    openapi_extra=IMPORT_REQUEST_BODY,
)
async def import_organisation(
    request: Request,
    context: Context,
    principal: Principal = RegionAdmin,
    dry_run: Annotated[bool, Query(description="Only judge the file; apply nothing.")] = False,
) -> ImportReportRead | JSONResponse:
    """Import units and employees from a BKPSDM CSV export, all rows or none, with a per-row report
    (on a dry run, what would be created and moved)."""
    raw = await uploaded_csv(request)
    async with context.unit_of_work(region_id=principal.region) as uow:
        report = await imports.import_organisation(
            uow=uow, region_id=principal.region, raw=raw, dry_run=dry_run
        )
        if report.applied:
            await uow.audit(
                actor=principal.subject,
                action="organisation.import",
                subject=principal.region,
                detail=(
                    f"{report.accepted} rows: {report.units_created} units, {report.employees_created} "
                    f"employees created, {report.employees_moved} moved"
                ),
                client_address=client_address(request),
            )
            await uow.commit()
    if report.rejected or report.file_problems:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"error": imports.rejection_error(report), "report": report.model_dump(mode="json")},
        )
    return report


# Indicator templates --------------------------------------------------------------------------


@router.get("/indicator-templates", response_model=list[IndicatorTemplateRead])
async def list_indicator_templates(
    context: Context,
    principal: Principal = RegionReader,
    job_type: Annotated[JobTypeName | None, Query(description="Only templates for this job type.")] = None,
) -> list[IndicatorTemplateRead]:
    """The indicator templates the caller's region offers: national defaults and its own."""
    async with _reading(context, principal.region) as session:
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


# Work plans -----------------------------------------------------------------------------------


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
    async with _reading(context, principal.region) as session:
        return await work_plans.list_work_plans(
            session=session, principal=principal, employee_id=employee_id, year=year, status=plan_status
        )


@router.get("/work-plans/{plan_id}", response_model=WorkPlanRead)
async def get_work_plan(plan_id: str, context: Context, principal: Principal = RegionReader) -> WorkPlanRead:
    """Read a work plan version you may see."""
    async with _reading(context, principal.region) as session:
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


# Cascade --------------------------------------------------------------------------------------


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
    async with _reading(context, principal.region) as session:
        return await cascade.cascade_view(
            session=session, principal=principal, year=year, unit_id=unit_id, on=on
        )
