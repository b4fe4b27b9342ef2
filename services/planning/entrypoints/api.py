"""HTTP API of the planning service."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from services.planning.entrypoints.schemas import (
    EmployeeCreate,
    EmployeeRead,
    RegionCreate,
    RegionRead,
    RejectionCreate,
    UnitCreate,
    UnitRead,
    WorkPlanCreate,
    WorkPlanRead,
)
from services.planning.service_layer import services
from shared.auth import CurrentPrincipal, Principal, Role, require_roles
from shared.runtime import Context

router = APIRouter(prefix="/v1", tags=["planning"])

PlatformAdmin = require_roles(Role.PLATFORM_ADMIN)
RegionAdmin = require_roles(Role.REGION_ADMIN)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/regions", status_code=status.HTTP_201_CREATED, response_model=RegionRead)
async def register_region(
    region_in: RegionCreate, context: Context, request: Request, principal: Principal = PlatformAdmin
) -> RegionRead:
    """Add a region to the platform (platform administrators)."""
    async with context.unit_of_work(region_id=region_in.region_id) as uow:
        region = await services.register_region(uow=uow, region_in=region_in)
        await uow.audit(
            actor=principal.subject,
            action="region.register",
            subject=region.region_id,
            client_address=_client(request),
        )
        await uow.commit()
    return region


@router.post("/units", status_code=status.HTTP_201_CREATED, response_model=UnitRead)
async def create_unit(
    unit_in: UnitCreate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> UnitRead:
    """Add an organisational unit to the caller's region (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        unit = await services.create_unit(uow=uow, region_id=principal.region, unit_in=unit_in)
        await uow.audit(
            actor=principal.subject,
            action="unit.create",
            subject=unit.unit_id,
            client_address=_client(request),
        )
        await uow.commit()
    return unit


@router.post("/employees", status_code=status.HTTP_201_CREATED, response_model=EmployeeRead)
async def create_employee(
    employee_in: EmployeeCreate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> EmployeeRead:
    """Add an employee (ASN) to the caller's region (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        employee = await services.create_employee(
            uow=uow, region_id=principal.region, employee_in=employee_in
        )
        await uow.audit(
            actor=principal.subject,
            action="employee.create",
            subject=employee.employee_id,
            client_address=_client(request),
        )
        await uow.commit()
    return employee


@router.post("/work-plans", status_code=status.HTTP_201_CREATED, response_model=WorkPlanRead)
async def create_work_plan(
    plan_in: WorkPlanCreate, context: Context, principal: CurrentPrincipal
) -> WorkPlanRead:
    """Start a draft work plan (SKP) for yourself."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await services.create_work_plan(uow=uow, principal=principal, plan_in=plan_in)
        await uow.audit(actor=principal.subject, action="work_plan.create", subject=plan.plan_id)
        await uow.commit()
    return plan


@router.get("/work-plans/{plan_id}", response_model=WorkPlanRead)
async def get_work_plan(plan_id: str, context: Context, principal: CurrentPrincipal) -> WorkPlanRead:
    """Read a work plan you may see."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        return await services.get_work_plan(uow=uow, principal=principal, plan_id=plan_id)


@router.post("/work-plans/{plan_id}/submit", response_model=WorkPlanRead)
async def submit_work_plan(plan_id: str, context: Context, principal: CurrentPrincipal) -> WorkPlanRead:
    """Submit your draft to your rater."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await services.submit_work_plan(uow=uow, principal=principal, plan_id=plan_id)
        await uow.audit(actor=principal.subject, action="work_plan.submit", subject=plan_id)
        await uow.commit()
    return plan


@router.post("/work-plans/{plan_id}/approve", response_model=WorkPlanRead)
async def approve_work_plan(plan_id: str, context: Context, principal: CurrentPrincipal) -> WorkPlanRead:
    """Approve a submitted plan of someone you rate."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await services.approve_work_plan(uow=uow, principal=principal, plan_id=plan_id)
        await uow.audit(actor=principal.subject, action="work_plan.approve", subject=plan_id)
        await uow.commit()
    return plan


@router.post("/work-plans/{plan_id}/reject", response_model=WorkPlanRead)
async def reject_work_plan(
    plan_id: str, rejection: RejectionCreate, context: Context, principal: CurrentPrincipal
) -> WorkPlanRead:
    """Send a submitted plan back to its employee, with a reason."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        plan = await services.reject_work_plan(
            uow=uow, principal=principal, plan_id=plan_id, reason=rejection.reason
        )
        await uow.audit(
            actor=principal.subject, action="work_plan.reject", subject=plan_id, detail=rejection.reason
        )
        await uow.commit()
    return plan
