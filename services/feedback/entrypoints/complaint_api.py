"""Region staff's complaint routes: the desk's list and moves, the calendar and the dated policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.feedback.domain.complaints import ComplaintStatus
from services.feedback.entrypoints.params import (
    EntityId,
    IdQuery,
    utc_now,
)
from services.feedback.service_layer import complaints
from services.feedback.service_layer.schemas import (
    ComplaintPolicyCreate,
    ComplaintPolicyRead,
    ComplaintRead,
    ComplaintTransitionCreate,
    HolidayCreate,
    HolidayRead,
)
from shared.auth import Principal, Role
from shared.dates import BoundedDate
from shared.guarded_route import GuardedRoute
from shared.route_roles import require_roles
from shared.route_work import RegionSession, RegionWork

router = APIRouter(prefix="/v1", tags=["feedback"], route_class=GuardedRoute)

RegionAdmin = require_roles(Role.REGION_ADMIN)
ComplaintReaders = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)
ComplaintMovers = require_roles(Role.REGION_ADMIN, Role.RATER)
CalendarReaders = require_roles(Role.REGION_ADMIN, Role.AUDITOR)


@router.get("/complaints", response_model=list[ComplaintRead])
async def list_complaints(
    session: RegionSession,
    status_filter: Annotated[ComplaintStatus | None, Query(alias="status")] = None,
    unit_id: IdQuery = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    principal: Principal = ComplaintReaders,
) -> list[ComplaintRead]:
    """Complaints of your region (a unit's rater: those about or dispatched to their unit)."""
    return await complaints.list_complaints(
        session=session,
        principal=principal,
        status=status_filter,
        unit_id=unit_id,
        overdue_only=overdue,
        now=utc_now(),
        limit=limit,
        offset=offset,
    )


@router.get("/complaints/{complaint_id}", response_model=ComplaintRead)
async def get_complaint(
    complaint_id: EntityId,
    session: RegionSession,
    principal: Principal = ComplaintReaders,
) -> ComplaintRead:
    """One complaint with its history and running deadline."""
    return await complaints.complaint_detail(session=session, principal=principal, complaint_id=complaint_id)


@router.post("/complaints/{complaint_id}/transitions", response_model=ComplaintRead)
async def move_complaint(
    complaint_id: EntityId,
    move_in: ComplaintTransitionCreate,
    work: RegionWork,
    principal: Principal = ComplaintMovers,
) -> ComplaintRead:
    """Move a complaint along its life cycle; a move the life cycle does not allow is refused (409)."""
    moved = await complaints.move_complaint(
        uow=work.uow, principal=principal, complaint_id=complaint_id, move_in=move_in, now=utc_now()
    )
    work.record(f"complaint.{move_in.status.value}", complaint_id, detail=move_in.reason)
    return moved


@router.get("/complaint-calendar/holidays", response_model=list[HolidayRead])
async def list_holidays(
    session: RegionSession,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    principal: Principal = CalendarReaders,
) -> list[HolidayRead]:
    """Your region's public holidays and collective leave days."""
    return await complaints.list_holidays(session=session, region_id=principal.region, year=year)


@router.post("/complaint-calendar/holidays", status_code=status.HTTP_201_CREATED, response_model=HolidayRead)
async def add_holiday(
    holiday_in: HolidayCreate, work: RegionWork, principal: Principal = RegionAdmin
) -> HolidayRead:
    """Add a holiday to your region's calendar; running complaint deadlines move with it."""
    added = await complaints.add_holiday(uow=work.uow, region_id=principal.region, holiday_in=holiday_in)
    work.record("holiday.add", holiday_in.day.isoformat(), detail=holiday_in.name)
    return added


@router.delete("/complaint-calendar/holidays/{day}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_holiday(day: BoundedDate, work: RegionWork, principal: Principal = RegionAdmin) -> None:
    """Remove a holiday from your region's calendar."""
    await complaints.remove_holiday(uow=work.uow, region_id=principal.region, day=day)
    work.record("holiday.remove", day.isoformat())


@router.get("/complaint-policies", response_model=list[ComplaintPolicyRead])
async def list_complaint_policies(
    session: RegionSession, principal: Principal = CalendarReaders
) -> list[ComplaintPolicyRead]:
    """Every dated version of your region's complaint deadlines (defaults apply before the first)."""
    return await complaints.list_policies(session=session, region_id=principal.region)


@router.post("/complaint-policies", status_code=status.HTTP_201_CREATED, response_model=ComplaintPolicyRead)
async def set_complaint_policy(
    policy_in: ComplaintPolicyCreate, work: RegionWork, principal: Principal = RegionAdmin
) -> ComplaintPolicyRead:
    """Set your region's complaint deadlines (working days) and weekend days from a date on."""
    policy = await complaints.set_policy(uow=work.uow, region_id=principal.region, policy_in=policy_in)
    work.record("complaint_policy.set", policy_in.effective_from.isoformat())
    return policy
