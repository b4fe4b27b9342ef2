"""What the complaint desk and a unit's staff see of complaints (the complainant only for the desk)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    complaint_history,
    complaints,
)
from services.feedback.domain.complaints import (
    ComplaintStatus,
)
from services.feedback.domain.tracking_code import (
    format_tracking_code,
)
from services.feedback.service_layer.complaints.records import (
    STATUS_LABELS_ID,
    load_history,
    row_by_id,
    unknown_complaint,
)
from services.feedback.service_layer.read_models import (
    RegionClock,
    find_employee,
    region_clock,
)
from services.feedback.service_layer.schemas import ComplaintContact, ComplaintRead, StaffComplaintStep
from shared.auth import Principal, Role


def _contact_of(row: Any) -> ComplaintContact | None:
    if not (row.contact_name or row.contact_email or row.contact_phone):
        return None
    return ComplaintContact(name=row.contact_name, email=row.contact_email, phone=row.contact_phone)


def is_complaint_desk(principal: Principal) -> bool:
    """Whether the caller handles complaints for the region: the only staff who see the complainant.

    A unit's head may be the person complained about, and an auditor does not contact citizens: the
    contact details and the tracking code (which lets its holder reopen the complaint) stay with
    the desk.
    """
    return principal.has(Role.REGION_ADMIN)


def _staff_read(row: Any, history: Sequence[Any], clock: RegionClock, principal: Principal) -> ComplaintRead:
    desk = is_complaint_desk(principal)
    return ComplaintRead(
        complaint_id=row.complaint_id,
        tracking_code=format_tracking_code(row.tracking_code) if desk else None,
        unit_id=row.unit_id,
        service_id=row.service_id,
        officer_employee_id=row.officer_employee_id,
        category=row.category,
        description=row.description,
        contact=_contact_of(row) if desk else None,
        requires_field_check=row.requires_field_check,
        status=ComplaintStatus(row.status),
        status_since=clock.local(row.status_since),
        filed_at=clock.local(row.filed_at),
        deadline_kind=row.deadline_kind,
        due_at=row.due_at and clock.local(row.due_at),
        history=[
            StaffComplaintStep(
                status=ComplaintStatus(step.status),
                status_label_id=STATUS_LABELS_ID[ComplaintStatus(step.status)],
                at=clock.local(step.at),
                reason=step.reason,
                actor=step.actor,
                unit_id=step.unit_id,
            )
            for step in history
        ],
    )


async def staff_unit(session: AsyncSession, principal: Principal) -> str | None:
    """The unit of the calling employee, if the caller is one."""
    if principal.employee_id is None:
        return None
    employee = await find_employee(session, principal.region, principal.employee_id)
    return employee.unit_id if employee else None


def dispatched_unit(history: Sequence[Any]) -> str | None:
    """The unit the complaint was last dispatched to, if any."""
    units = [step.unit_id for step in history if step.status == ComplaintStatus.DISPATCHED.value]
    return units[-1] if units else None


async def visible_to_unit_staff(session: AsyncSession, principal: Principal, row: Any) -> bool:
    """A rater sees complaints about their unit or dispatched to it."""
    unit = await staff_unit(session, principal)
    if unit is None:
        return False
    history = await load_history(session, principal.region, row.complaint_id)
    return unit in {row.unit_id, dispatched_unit(history)}


async def complaint_detail(
    *, session: AsyncSession, principal: Principal, complaint_id: str
) -> ComplaintRead:
    """A complaint as staff see it (a unit's rater only complaints about or dispatched to their unit)."""
    row = await row_by_id(session, principal.region, complaint_id)
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR) and not await visible_to_unit_staff(
        session, principal, row
    ):
        raise unknown_complaint()
    clock = await region_clock(session, principal.region)
    return _staff_read(row, await load_history(session, principal.region, complaint_id), clock, principal)


async def list_complaints(
    *,
    session: AsyncSession,
    principal: Principal,
    status: ComplaintStatus | None,
    unit_id: str | None,
    overdue_only: bool,
    now: datetime,
    limit: int,
    offset: int,
) -> list[ComplaintRead]:
    """Complaints of the caller's region, newest first (a rater: only their unit's)."""
    region_id = principal.region
    statement = select(complaints).where(complaints.c.region_id == region_id)
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        own_unit = await staff_unit(session, principal)
        if own_unit is None:
            return []
        dispatched_here = (
            select(complaint_history.c.complaint_id)
            .where(
                complaint_history.c.region_id == region_id,
                complaint_history.c.status == ComplaintStatus.DISPATCHED.value,
                complaint_history.c.unit_id == own_unit,
            )
            .scalar_subquery()
        )
        statement = statement.where(
            (complaints.c.unit_id == own_unit) | complaints.c.complaint_id.in_(dispatched_here)
        )
    if status is not None:
        statement = statement.where(complaints.c.status == status.value)
    if unit_id is not None:
        statement = statement.where(complaints.c.unit_id == unit_id)
    if overdue_only:
        statement = statement.where(complaints.c.due_at < now)
    rows = list(
        await session.execute(
            statement.order_by(complaints.c.filed_at.desc(), complaints.c.complaint_id)
            .limit(limit)
            .offset(offset)
        )
    )
    clock = await region_clock(session, region_id)
    return [
        _staff_read(row, await load_history(session, region_id, row.complaint_id), clock, principal)
        for row in rows
    ]
