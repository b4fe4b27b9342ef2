"""Use cases of the planning service; each runs in one unit of work and emits its events there."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update

from services.planning.adapters.tables import employees, regions, units, work_plans
from services.planning.entrypoints.schemas import (
    EmployeeCreate,
    EmployeeRead,
    PlannedResultRead,
    RegionCreate,
    RegionRead,
    UnitCreate,
    UnitRead,
    WorkPlanCreate,
    WorkPlanRead,
)
from services.planning.metrics import PLANS_DECIDED
from shared.auth import Principal, Role
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.unit_of_work import UnitOfWork


def _new_id() -> str:
    return uuid.uuid4().hex


async def register_region(*, uow: UnitOfWork, region_in: RegionCreate) -> RegionRead:
    """Add a region to the platform."""
    existing = await uow.session.scalar(
        select(regions.c.region_id).where(regions.c.region_id == region_in.region_id)
    )
    if existing is not None:
        raise Conflict("region_exists", f"Region {region_in.region_id!r} already exists.", field="region_id")
    await uow.session.execute(insert(regions).values(**region_in.model_dump()))
    uow.emit(RegionRegistered(**region_in.model_dump()))
    return RegionRead(**region_in.model_dump())


async def create_unit(*, uow: UnitOfWork, region_id: str, unit_in: UnitCreate) -> UnitRead:
    """Add an organisational unit to a region."""
    await _require_region(uow, region_id)
    if unit_in.parent_unit_id is not None:
        parent = await uow.session.scalar(
            select(units.c.unit_id).where(
                units.c.unit_id == unit_in.parent_unit_id, units.c.region_id == region_id
            )
        )
        if parent is None:
            raise Unprocessable("unknown_unit", "The parent unit does not exist.", field="parent_unit_id")
    duplicate = await uow.session.scalar(
        select(units.c.unit_id).where(units.c.region_id == region_id, units.c.code == unit_in.code)
    )
    if duplicate is not None:
        raise Conflict("unit_exists", f"A unit with code {unit_in.code!r} already exists.", field="code")
    unit = UnitRead(unit_id=f"{region_id}.{unit_in.code}", region_id=region_id, **unit_in.model_dump())
    await uow.session.execute(insert(units).values(**unit.model_dump()))
    uow.emit(UnitUpserted(**unit.model_dump()))
    return unit


async def create_employee(*, uow: UnitOfWork, region_id: str, employee_in: EmployeeCreate) -> EmployeeRead:
    """Add an employee (ASN) to a region."""
    unit = await uow.session.scalar(
        select(units.c.unit_id).where(units.c.unit_id == employee_in.unit_id, units.c.region_id == region_id)
    )
    if unit is None:
        raise Unprocessable("unknown_unit", f"Unit {employee_in.unit_id!r} does not exist.", field="unit_id")
    if employee_in.supervisor_id is not None:
        supervisor = await uow.session.scalar(
            select(employees.c.employee_id).where(
                employees.c.employee_id == employee_in.supervisor_id, employees.c.region_id == region_id
            )
        )
        if supervisor is None:
            raise Unprocessable(
                "unknown_supervisor",
                "The supervisor is not an employee of this region.",
                field="supervisor_id",
            )
    duplicate = await uow.session.scalar(
        select(employees.c.employee_id).where(
            employees.c.region_id == region_id, employees.c.nip == employee_in.nip
        )
    )
    if duplicate is not None:
        raise Conflict("nip_exists", f"An employee with NIP {employee_in.nip} already exists.", field="nip")
    values = employee_in.model_dump() | {
        "employee_id": employee_in.employee_id or _new_id(),
        "region_id": region_id,
    }
    employee = EmployeeRead(**values)
    await uow.session.execute(insert(employees).values(**employee.model_dump()))
    uow.emit(EmployeeUpserted(**employee.model_dump()))
    return employee


async def create_work_plan(*, uow: UnitOfWork, principal: Principal, plan_in: WorkPlanCreate) -> WorkPlanRead:
    """Start a draft work plan (SKP) for the calling employee; the rater is their supervisor."""
    if principal.employee_id is None:
        raise Forbidden("not_an_employee", "Only an employee can create their own work plan.")
    row = (
        await uow.session.execute(
            select(employees.c.supervisor_id).where(
                employees.c.employee_id == principal.employee_id, employees.c.region_id == principal.region
            )
        )
    ).first()
    if row is None:
        raise NotFound("unknown_employee", "You are not registered as an employee of this region.")
    if row.supervisor_id is None:
        raise Unprocessable(
            "no_rater", "You have no supervisor to rate your plan; ask your HR office (BKPSDM)."
        )
    version = (
        await uow.session.scalar(
            select(work_plans.c.version)
            .where(work_plans.c.employee_id == principal.employee_id, work_plans.c.year == plan_in.year)
            .order_by(work_plans.c.version.desc())
            .limit(1)
        )
        or 0
    )
    results = [
        PlannedResultRead(
            result_id=_new_id(),
            kind=result.kind,
            text=result.text,
            supports_result_id=result.supports_result_id,
            indicators=[{"indicator_id": _new_id(), **ind.model_dump()} for ind in result.indicators],
        )
        for result in plan_in.results
    ]
    plan = WorkPlanRead(
        plan_id=_new_id(),
        region_id=principal.region,
        employee_id=principal.employee_id,
        rater_id=row.supervisor_id,
        year=plan_in.year,
        version=version + 1,
        status="draft",
        results=results,
    )
    await uow.session.execute(
        insert(work_plans).values(
            plan_id=plan.plan_id,
            region_id=plan.region_id,
            employee_id=plan.employee_id,
            rater_id=plan.rater_id,
            year=plan.year,
            version=plan.version,
            status=plan.status,
            content=[r.model_dump(mode="json") for r in results],
        )
    )
    return plan


async def get_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """Read a plan the caller may see: their own, their team's, or any in their region for HR and auditors."""
    plan = await _load_plan(uow, principal, plan_id)
    if principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        return plan
    if principal.employee_id in (plan.employee_id, plan.rater_id):
        return plan
    raise NotFound("unknown_plan", "No such work plan.", "Rencana kinerja tidak ditemukan.")


async def submit_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """The employee submits their draft to the rater."""
    plan = await _load_plan(uow, principal, plan_id)
    if plan.employee_id != principal.employee_id:
        raise NotFound("unknown_plan", "No such work plan.", "Rencana kinerja tidak ditemukan.")
    if plan.status != "draft":
        raise Conflict(
            "not_a_draft", f"Only a draft can be submitted; this plan is {plan.status}.", field="status"
        )
    return await _set_status(uow, plan, "submitted")


async def approve_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """The rater approves a submitted plan; its full content is published."""
    plan = await _load_plan(uow, principal, plan_id)
    _require_rater_of(principal, plan)
    if plan.status != "submitted":
        raise Conflict("not_submitted", f"Only a submitted plan can be approved; this plan is {plan.status}.")
    approved = await _set_status(uow, plan, "approved")
    unit_id, job_type = (
        await uow.session.execute(
            select(employees.c.unit_id, employees.c.job_type).where(
                employees.c.employee_id == plan.employee_id
            )
        )
    ).one()
    uow.emit(
        WorkPlanApproved(
            region_id=plan.region_id,
            plan_id=plan.plan_id,
            employee_id=plan.employee_id,
            rater_id=plan.rater_id,
            unit_id=unit_id,
            job_type=job_type,
            year=plan.year,
            version=plan.version,
            results=[
                PlannedResultSnapshot(
                    result_id=r.result_id,
                    kind=r.kind,
                    text=r.text,
                    supports_result_id=r.supports_result_id,
                    indicators=[IndicatorSnapshot(**i.model_dump()) for i in r.indicators],
                )
                for r in plan.results
            ],
        )
    )
    PLANS_DECIDED.labels("approved").inc()
    return approved


async def reject_work_plan(
    *, uow: UnitOfWork, principal: Principal, plan_id: str, reason: str
) -> WorkPlanRead:
    """The rater sends a submitted plan back with a reason."""
    plan = await _load_plan(uow, principal, plan_id)
    _require_rater_of(principal, plan)
    if plan.status != "submitted":
        raise Conflict("not_submitted", f"Only a submitted plan can be rejected; this plan is {plan.status}.")
    PLANS_DECIDED.labels("rejected").inc()
    return await _set_status(uow, plan, "rejected", rejection_reason=reason)


def _require_rater_of(principal: Principal, plan: WorkPlanRead) -> None:
    if principal.employee_id == plan.employee_id:
        raise Forbidden(
            "own_plan", "You cannot approve or reject your own plan.", "Anda tidak dapat menilai SKP sendiri."
        )
    if not principal.has(Role.RATER) or principal.employee_id != plan.rater_id:
        raise Forbidden("not_the_rater", "Only the plan's rater (pejabat penilai) can decide on it.")


async def _require_region(uow: UnitOfWork, region_id: str) -> None:
    if await uow.session.scalar(select(regions.c.region_id).where(regions.c.region_id == region_id)) is None:
        raise NotFound("unknown_region", f"Region {region_id!r} does not exist.")


async def _load_plan(uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    row = (
        await uow.session.execute(
            select(work_plans).where(
                work_plans.c.plan_id == plan_id, work_plans.c.region_id == principal.region
            )
        )
    ).first()
    if row is None:
        raise NotFound("unknown_plan", "No such work plan.", "Rencana kinerja tidak ditemukan.")
    return _plan_from_row(row._mapping)


def _plan_from_row(row: Any) -> WorkPlanRead:
    return WorkPlanRead(
        plan_id=row["plan_id"],
        region_id=row["region_id"],
        employee_id=row["employee_id"],
        rater_id=row["rater_id"],
        year=row["year"],
        version=row["version"],
        status=row["status"],
        results=row["content"],
        rejection_reason=row["rejection_reason"],
    )


async def _set_status(
    uow: UnitOfWork, plan: WorkPlanRead, status: str, *, rejection_reason: str | None = None
) -> WorkPlanRead:
    await uow.session.execute(
        update(work_plans)
        .where(work_plans.c.plan_id == plan.plan_id)
        .values(status=status, rejection_reason=rejection_reason)
    )
    return plan.model_copy(update={"status": status, "rejection_reason": rejection_reason})
