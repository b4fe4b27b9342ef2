"""Use cases of complaints (pengaduan): filing, tracking, the life cycle, calendars and deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    complaint_breaches,
    complaint_history,
    complaint_photos,
    complaint_policies,
    complaints,
    holidays,
)
from services.feedback.domain.calendar import WorkingCalendar
from services.feedback.domain.complaints import (
    DEFAULT_COMPLAINT_POLICY,
    Complaint,
    ComplaintPolicy,
    ComplaintStatus,
    StageDeadline,
    StatusChange,
    current_deadline,
    transition,
)
from services.feedback.domain.dated import Dated, in_force
from services.feedback.domain.errors import DomainError
from services.feedback.domain.tracking_code import (
    format_tracking_code,
    generate_tracking_code,
    parse_tracking_code,
)
from services.feedback.entrypoints.schemas import (
    ComplaintContact,
    ComplaintCreate,
    ComplaintPolicyCreate,
    ComplaintPolicyRead,
    ComplaintRead,
    ComplaintReceipt,
    ComplaintStep,
    ComplaintTrackingRead,
    ComplaintTransitionCreate,
    HolidayCreate,
    HolidayRead,
    StaffComplaintStep,
)
from services.feedback.metrics import COMPLAINT_BREACHES, COMPLAINT_MOVES, COMPLAINTS_FILED
from services.feedback.service_layer.errors import as_api_error
from services.feedback.service_layer.read_models import (
    RegionClock,
    find_employee,
    region_clock,
    require_employee,
    unit_name,
)
from services.feedback.service_layer.surveys import _service_row
from shared.auth import Principal, Role
from shared.contracts.feedback import (
    ComplaintClosed,
    ComplaintDeadlineBreached,
    ComplaintFiled,
    ComplaintStatusChanged,
)
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.observability import region_label
from shared.unit_of_work import UnitOfWork

CITIZEN: Final = "citizen"
SCHEDULER: Final = "system:complaint-deadline-scheduler"
_CODE_ATTEMPTS: Final = 5
#: What a unit's own staff (a rater of that unit) may do with a complaint dispatched to it.
UNIT_MOVES: Final = frozenset({ComplaintStatus.FOLLOWED_UP, ComplaintStatus.ANSWERED})
#: Statuses in which a deadline clock may run (the others never have one).
OPEN_STATUSES: Final = frozenset(
    {
        ComplaintStatus.SUBMITTED,
        ComplaintStatus.VERIFIED,
        ComplaintStatus.REOPENED,
        ComplaintStatus.DISPATCHED,
        ComplaintStatus.FOLLOWED_UP,
    }
)
STATUS_LABELS_ID: Final = {
    ComplaintStatus.SUBMITTED: "Diterima",
    ComplaintStatus.VERIFIED: "Terverifikasi",
    ComplaintStatus.POSTPONED: "Ditunda (menunggu kelengkapan)",
    ComplaintStatus.NOT_OUR_AUTHORITY: "Bukan kewenangan",
    ComplaintStatus.ARCHIVED: "Diarsipkan",
    ComplaintStatus.DISPATCHED: "Didisposisikan ke unit",
    ComplaintStatus.FOLLOWED_UP: "Sedang ditindaklanjuti",
    ComplaintStatus.ANSWERED: "Dijawab",
    ComplaintStatus.CLOSED: "Selesai",
    ComplaintStatus.REOPENED: "Dibuka kembali",
}


@dataclass(frozen=True)
class ComplaintRules:
    """The calendar and deadlines that govern one complaint."""

    calendar: WorkingCalendar
    policy: ComplaintPolicy


def _domain_failure(error: DomainError) -> Exception:
    return as_api_error(error)


async def _holidays(session: AsyncSession, region_id: str) -> frozenset[date]:
    rows = await session.scalars(select(holidays.c.day).where(holidays.c.region_id == region_id))
    return frozenset(rows)


async def _policy_versions(session: AsyncSession, region_id: str) -> list[Any]:
    return list(
        await session.execute(
            select(complaint_policies)
            .where(complaint_policies.c.region_id == region_id)
            .order_by(complaint_policies.c.effective_from)
        )
    )


def _policy_of(row: Any) -> tuple[ComplaintPolicy, frozenset[int]]:
    return (
        ComplaintPolicy(
            verification_days=row.verification_days,
            follow_up_days=row.follow_up_days,
            resolution_without_field_check_days=row.resolution_without_field_check_days,
            resolution_with_field_check_days=row.resolution_with_field_check_days,
            reopen_window_days=row.reopen_window_days,
        ),
        frozenset(row.weekend_days),
    )


async def complaint_rules(session: AsyncSession, region_id: str, filed_on: date) -> ComplaintRules:
    """The region's calendar and the policy in force on the day a complaint was filed.

    A complaint keeps the deadlines of the day it was filed, so changing the policy never moves
    the goalposts of complaints already running; holidays, however, are facts and always apply.
    """
    clock = await region_clock(session, region_id)
    versions = [
        Dated(row.effective_from, _policy_of(row)) for row in await _policy_versions(session, region_id)
    ]
    policy, weekend = DEFAULT_COMPLAINT_POLICY, frozenset({5, 6})
    if versions and any(version.effective_from <= filed_on for version in versions):
        policy, weekend = in_force(versions, filed_on)
    calendar = WorkingCalendar(
        timezone=clock.timezone, weekend_days=weekend, holidays=await _holidays(session, region_id)
    )
    return ComplaintRules(calendar, policy)


def _domain_complaint(row: Any, history: Sequence[Any]) -> Complaint:
    return Complaint(
        tracking_code=row.tracking_code,
        history=tuple(
            StatusChange(ComplaintStatus(step.status), step.at, step.reason, step.unit_id) for step in history
        ),
        requires_field_check=row.requires_field_check,
    )


async def _history(session: AsyncSession, region_id: str, complaint_id: str) -> list[Any]:
    return list(
        await session.execute(
            select(complaint_history)
            .where(
                complaint_history.c.region_id == region_id, complaint_history.c.complaint_id == complaint_id
            )
            .order_by(complaint_history.c.seq)
        )
    )


def _deadline_values(deadline: StageDeadline | None) -> dict[str, Any]:
    return {
        "deadline_kind": deadline.kind.value if deadline else None,
        "deadline_started_at": deadline.started_at if deadline else None,
        "due_at": deadline.due_at if deadline else None,
    }


def _contact_of(row: Any) -> ComplaintContact | None:
    if not (row.contact_name or row.contact_email or row.contact_phone):
        return None
    return ComplaintContact(name=row.contact_name, email=row.contact_email, phone=row.contact_phone)


async def file_complaint(
    *, uow: UnitOfWork, region_id: str, complaint_in: ComplaintCreate, now: datetime
) -> tuple[str, ComplaintReceipt]:
    """File a citizen's complaint; returns its id and the receipt with the tracking code."""
    session = uow.session
    await unit_name(session, region_id, complaint_in.unit_id)
    if complaint_in.service_id:
        await _service_row(session, region_id, complaint_in.unit_id, complaint_in.service_id)
    if complaint_in.officer_employee_id:
        await require_employee(
            session, region_id, complaint_in.officer_employee_id, field="officer_employee_id"
        )
    clock = await region_clock(session, region_id)
    rules = await complaint_rules(session, region_id, rules_day(now, region_timezone=clock.timezone))
    complaint_id = uuid.uuid4().hex
    contact = complaint_in.contact
    tracking_code = ""
    for _attempt in range(_CODE_ATTEMPTS):
        candidate = generate_tracking_code()
        domain = Complaint.submit(candidate, now)
        deadline = current_deadline(domain, rules.calendar, rules.policy)
        inserted = await session.scalar(
            insert(complaints)
            .values(
                complaint_id=complaint_id,
                region_id=region_id,
                tracking_code=candidate,
                unit_id=complaint_in.unit_id,
                service_id=complaint_in.service_id,
                officer_employee_id=complaint_in.officer_employee_id,
                category=complaint_in.category,
                description=complaint_in.description,
                contact_name=contact.name if contact else None,
                contact_email=contact.email if contact else None,
                contact_phone=contact.phone if contact else None,
                requires_field_check=False,
                status=ComplaintStatus.SUBMITTED.value,
                status_since=now,
                filed_at=now,
                **_deadline_values(deadline),
            )
            .on_conflict_do_nothing(index_elements=["region_id", "tracking_code"])
            .returning(complaints.c.complaint_id)
        )
        if inserted is not None:
            tracking_code = candidate
            break
    else:  # pragma: no cover - 31**9 codes make five collisions in a row practically impossible
        raise Conflict(
            "tracking_code_exhausted",
            "Could not draw a free tracking code; try again.",
            "Tidak mendapat kode pelacakan yang bebas; coba lagi.",
        )
    await session.execute(
        insert(complaint_history).values(
            complaint_id=complaint_id,
            seq=1,
            region_id=region_id,
            status=ComplaintStatus.SUBMITTED.value,
            at=now,
            actor=CITIZEN,
        )
    )
    uow.emit(
        ComplaintFiled(
            region_id=region_id,
            complaint_id=complaint_id,
            unit_id=complaint_in.unit_id,
            officer_employee_id=complaint_in.officer_employee_id,
            filed_at=now,
            category=complaint_in.category,
        )
    )
    COMPLAINTS_FILED.labels(region_label(region_id)).inc()
    return complaint_id, ComplaintReceipt(
        tracking_code=format_tracking_code(tracking_code),
        status=ComplaintStatus.SUBMITTED,
        filed_at=clock.local(now),
        due_at=clock.local(deadline.due_at) if deadline else None,
        anonymous=contact is None or not (contact.name or contact.email or contact.phone),
    )


def rules_day(instant: datetime, *, region_timezone: str) -> date:
    """The local day whose policy governs a complaint filed at an instant."""
    return WorkingCalendar(timezone=region_timezone).local_date(instant)


def _parse_code(text: str) -> str:
    try:
        return parse_tracking_code(text)
    except DomainError as error:
        raise as_api_error(error) from error


def _unknown_complaint(field: str | None = None) -> NotFound:
    return NotFound("unknown_complaint", "No such complaint.", "Pengaduan tidak ditemukan.", field=field)


async def _row_by_code(session: AsyncSession, region_id: str, code: str, *, lock: bool = False) -> Any:
    statement = select(complaints).where(
        complaints.c.region_id == region_id, complaints.c.tracking_code == code
    )
    if lock:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).first()
    if row is None:
        raise _unknown_complaint("tracking_code")
    return row


async def _row_by_id(session: AsyncSession, region_id: str, complaint_id: str, *, lock: bool = False) -> Any:
    statement = select(complaints).where(
        complaints.c.region_id == region_id, complaints.c.complaint_id == complaint_id
    )
    if lock:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).first()
    if row is None:
        raise _unknown_complaint()
    return row


async def track_complaint(
    *, session: AsyncSession, region_id: str, tracking_code: str, now: datetime
) -> ComplaintTrackingRead:
    """What the citizen sees with the tracking code: status, history and the running deadline."""
    row = await _row_by_code(session, region_id, _parse_code(tracking_code))
    history = await _history(session, region_id, row.complaint_id)
    clock = await region_clock(session, region_id)
    status = ComplaintStatus(row.status)
    reopen_until = None
    working_days_left = None
    if status is ComplaintStatus.CLOSED or row.due_at is not None:
        rules = await complaint_rules(session, region_id, await _filed_day(session, region_id, row))
        if status is ComplaintStatus.CLOSED:
            reopen_until = rules.calendar.add_working_days(row.status_since, rules.policy.reopen_window_days)
        if row.due_at is not None:
            # In the region's working days (weekends and holidays skipped), negative once overdue.
            working_days_left = rules.calendar.working_days_between(now, row.due_at)
    return ComplaintTrackingRead(
        tracking_code=format_tracking_code(row.tracking_code),
        unit_name=await unit_name(session, region_id, row.unit_id),
        status=status,
        status_label_id=STATUS_LABELS_ID[status],
        filed_at=clock.local(row.filed_at),
        due_at=row.due_at and clock.local(row.due_at),
        history=[
            ComplaintStep(
                status=ComplaintStatus(step.status),
                status_label_id=STATUS_LABELS_ID[ComplaintStatus(step.status)],
                at=clock.local(step.at),
                reason=step.reason,
            )
            for step in history
        ],
        reopen_until=reopen_until and clock.local(reopen_until),
        deadline_kind=row.deadline_kind,
        working_days_left=working_days_left,
        has_photo=bool(
            await session.scalar(select(exists().where(complaint_photos.c.complaint_id == row.complaint_id)))
        ),
    )


async def _filed_day(session: AsyncSession, region_id: str, row: Any) -> date:
    return rules_day(row.filed_at, region_timezone=(await region_clock(session, region_id)).timezone)


async def record_breach_if_due(uow: UnitOfWork, *, row: Any, now: datetime, actor: str) -> bool:
    """Record and emit the breach of the row's running deadline if it has passed (at most once)."""
    if row.due_at is None or not now > row.due_at:
        return False
    inserted = await uow.session.scalar(
        insert(complaint_breaches)
        .values(
            complaint_id=row.complaint_id,
            deadline_kind=row.deadline_kind,
            deadline_started_at=row.deadline_started_at,
            region_id=row.region_id,
            due_at=row.due_at,
        )
        .on_conflict_do_nothing()
        .returning(complaint_breaches.c.complaint_id)
    )
    if inserted is None:
        return False
    uow.emit(
        ComplaintDeadlineBreached(
            region_id=row.region_id,
            complaint_id=row.complaint_id,
            unit_id=row.unit_id,
            stage=row.deadline_kind,
            due_at=row.due_at,
        ),
        occurred_at=now,
    )
    await uow.audit(
        actor=actor, action="complaint.deadline_breached", subject=row.complaint_id, detail=row.deadline_kind
    )
    COMPLAINT_BREACHES.labels(region_label(row.region_id), row.deadline_kind).inc()
    return True


async def _move(
    uow: UnitOfWork,
    *,
    row: Any,
    target: ComplaintStatus,
    now: datetime,
    actor: str,
    reason: str | None,
    unit_id: str | None,
    requires_field_check: bool | None,
) -> None:
    session = uow.session
    region_id = row.region_id
    # A deadline that passed before this move still counts, even if the scheduler has not run yet.
    await record_breach_if_due(uow, row=row, now=now, actor=SCHEDULER)
    history = await _history(session, region_id, row.complaint_id)
    rules = await complaint_rules(session, region_id, await _filed_day(session, region_id, row))
    domain = _domain_complaint(row, history)
    if requires_field_check is not None:
        domain = domain.with_field_check(requires_field_check)
    if target is ComplaintStatus.DISPATCHED and unit_id:
        await unit_name(session, region_id, unit_id)
    try:
        moved = transition(
            domain,
            target,
            at=now,
            calendar=rules.calendar,
            policy=rules.policy,
            reason=reason,
            unit_id=unit_id,
        )
    except DomainError as error:
        raise _domain_failure(error) from error
    deadline = current_deadline(moved, rules.calendar, rules.policy)
    await session.execute(
        insert(complaint_history).values(
            complaint_id=row.complaint_id,
            seq=len(history) + 1,
            region_id=region_id,
            status=target.value,
            at=now,
            reason=reason,
            unit_id=unit_id if target is ComplaintStatus.DISPATCHED else None,
            actor=actor,
        )
    )
    await session.execute(
        update(complaints)
        .where(complaints.c.region_id == region_id, complaints.c.complaint_id == row.complaint_id)
        .values(
            status=target.value,
            status_since=now,
            requires_field_check=moved.requires_field_check,
            **_deadline_values(deadline),
        )
    )
    uow.emit(
        ComplaintStatusChanged(
            region_id=region_id,
            complaint_id=row.complaint_id,
            unit_id=row.unit_id,
            from_status=row.status,
            to_status=target.value,
            changed_at=now,
            due_at=deadline.due_at if deadline else None,
            deadline_kind=deadline.kind.value if deadline else None,
            dispatched_unit_id=moved.unit_id,
            reason=reason,
        ),
        occurred_at=now,
    )
    if target is ComplaintStatus.CLOSED:
        breached = await session.scalar(
            select(func.count())
            .select_from(complaint_breaches)
            .where(
                complaint_breaches.c.region_id == region_id,
                complaint_breaches.c.complaint_id == row.complaint_id,
            )
        )
        uow.emit(
            ComplaintClosed(
                region_id=region_id,
                complaint_id=row.complaint_id,
                unit_id=row.unit_id,
                filed_at=row.filed_at,
                closed_at=now,
                breached_deadlines=int(breached or 0),
            ),
            occurred_at=now,
        )
    COMPLAINT_MOVES.labels(target.value).inc()


async def _staff_unit(session: AsyncSession, principal: Principal) -> str | None:
    if principal.employee_id is None:
        return None
    employee = await find_employee(session, principal.region, principal.employee_id)
    return employee.unit_id if employee else None


def _dispatched_unit(history: Sequence[Any]) -> str | None:
    units = [step.unit_id for step in history if step.status == ComplaintStatus.DISPATCHED.value]
    return units[-1] if units else None


async def _visible_to_unit_staff(session: AsyncSession, principal: Principal, row: Any) -> bool:
    """A rater sees complaints about their unit or dispatched to it."""
    unit = await _staff_unit(session, principal)
    if unit is None:
        return False
    history = await _history(session, principal.region, row.complaint_id)
    return unit in {row.unit_id, _dispatched_unit(history)}


async def move_complaint(
    *,
    uow: UnitOfWork,
    principal: Principal,
    complaint_id: str,
    move_in: ComplaintTransitionCreate,
    now: datetime,
) -> ComplaintRead:
    """Staff move a complaint along its life cycle (refused moves are 409)."""
    region_id = principal.region
    row = await _row_by_id(uow.session, region_id, complaint_id, lock=True)
    if not principal.has(Role.REGION_ADMIN):
        if not await _visible_to_unit_staff(uow.session, principal, row):
            raise _unknown_complaint()
        unit = await _staff_unit(uow.session, principal)
        history = await _history(uow.session, region_id, complaint_id)
        if move_in.status not in UNIT_MOVES or _dispatched_unit(history) != unit:
            raise Forbidden(
                "not_complaint_desk",
                "Only the complaint desk (region administrators) may make this move; a unit may only "
                "follow up or answer complaints dispatched to it.",
                "Hanya pengelola pengaduan (admin daerah) yang dapat melakukan perubahan ini; unit hanya "
                "dapat menindaklanjuti atau menjawab pengaduan yang didisposisikan kepadanya.",
                field="status",
            )
    await _move(
        uow,
        row=row,
        target=move_in.status,
        now=now,
        actor=principal.subject,
        reason=move_in.reason,
        unit_id=move_in.unit_id,
        requires_field_check=move_in.requires_field_check,
    )
    return await complaint_detail(session=uow.session, principal=principal, complaint_id=complaint_id)


async def reopen_complaint(
    *, uow: UnitOfWork, region_id: str, tracking_code: str, reason: str, now: datetime
) -> tuple[str, ComplaintTrackingRead]:
    """The citizen reopens a closed complaint with a reason, within the region's window (its id, as seen)."""
    row = await _row_by_code(uow.session, region_id, _parse_code(tracking_code), lock=True)
    await _move(
        uow,
        row=row,
        target=ComplaintStatus.REOPENED,
        now=now,
        actor=CITIZEN,
        reason=reason,
        unit_id=None,
        requires_field_check=None,
    )
    tracked = await track_complaint(
        session=uow.session, region_id=region_id, tracking_code=row.tracking_code, now=now
    )
    return row.complaint_id, tracked


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


async def complaint_detail(
    *, session: AsyncSession, principal: Principal, complaint_id: str
) -> ComplaintRead:
    """A complaint as staff see it (a unit's rater only complaints about or dispatched to their unit)."""
    row = await _row_by_id(session, principal.region, complaint_id)
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR) and not await _visible_to_unit_staff(
        session, principal, row
    ):
        raise _unknown_complaint()
    clock = await region_clock(session, principal.region)
    return _staff_read(row, await _history(session, principal.region, complaint_id), clock, principal)


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
        own_unit = await _staff_unit(session, principal)
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
        _staff_read(row, await _history(session, region_id, row.complaint_id), clock, principal)
        for row in rows
    ]


# --- Calendar and policy -------------------------------------------------------------------------


async def recompute_deadlines(uow: UnitOfWork, region_id: str) -> int:
    """Re-derive the running deadline of every open complaint after the calendar or policy changed."""
    session = uow.session
    rows = list(
        await session.execute(
            select(complaints)
            .where(
                complaints.c.region_id == region_id,
                complaints.c.status.in_([status.value for status in OPEN_STATUSES]),
            )
            .with_for_update()
        )
    )
    for row in rows:
        rules = await complaint_rules(session, region_id, await _filed_day(session, region_id, row))
        domain = _domain_complaint(row, await _history(session, region_id, row.complaint_id))
        deadline = current_deadline(domain, rules.calendar, rules.policy)
        await session.execute(
            update(complaints)
            .where(complaints.c.region_id == region_id, complaints.c.complaint_id == row.complaint_id)
            .values(**_deadline_values(deadline))
        )
    return len(rows)


async def add_holiday(*, uow: UnitOfWork, region_id: str, holiday_in: HolidayCreate) -> HolidayRead:
    """Add (or rename) a holiday; running deadlines move with it."""
    statement = insert(holidays).values(region_id=region_id, day=holiday_in.day, name=holiday_in.name)
    await uow.session.execute(
        statement.on_conflict_do_update(index_elements=["region_id", "day"], set_={"name": holiday_in.name})
    )
    await recompute_deadlines(uow, region_id)
    return HolidayRead(day=holiday_in.day, name=holiday_in.name)


async def remove_holiday(*, uow: UnitOfWork, region_id: str, day: date) -> None:
    """Remove a holiday; running deadlines move with it."""
    removed = await uow.session.execute(
        delete(holidays)
        .where(holidays.c.region_id == region_id, holidays.c.day == day)
        .returning(holidays.c.day)
    )
    if removed.first() is None:
        raise NotFound("unknown_holiday", "No such holiday.", "Hari libur tidak ditemukan.", field="day")
    await recompute_deadlines(uow, region_id)


async def list_holidays(*, session: AsyncSession, region_id: str, year: int | None) -> list[HolidayRead]:
    """The region's holidays, in date order."""
    statement = select(holidays).where(holidays.c.region_id == region_id)
    if year is not None:
        statement = statement.where(holidays.c.day >= date(year, 1, 1), holidays.c.day <= date(year, 12, 31))
    rows = await session.execute(statement.order_by(holidays.c.day))
    return [HolidayRead(day=row.day, name=row.name) for row in rows]


async def set_policy(
    *, uow: UnitOfWork, region_id: str, policy_in: ComplaintPolicyCreate
) -> ComplaintPolicyRead:
    """Set the region's complaint deadlines from a date on (a new dated version, or a correction)."""
    check_weekend(policy_in.weekend_days)
    weekend = sorted(set(policy_in.weekend_days))
    try:
        ComplaintPolicy(
            verification_days=policy_in.verification_days,
            follow_up_days=policy_in.follow_up_days,
            resolution_without_field_check_days=policy_in.resolution_without_field_check_days,
            resolution_with_field_check_days=policy_in.resolution_with_field_check_days,
            reopen_window_days=policy_in.reopen_window_days,
        )
        WorkingCalendar(weekend_days=frozenset(weekend))
    except DomainError as error:
        raise as_api_error(error) from error
    values = policy_in.model_dump(exclude={"effective_from"}) | {"weekend_days": weekend}
    statement = insert(complaint_policies).values(
        region_id=region_id, effective_from=policy_in.effective_from, **values
    )
    await uow.session.execute(
        statement.on_conflict_do_update(index_elements=["region_id", "effective_from"], set_=values)
    )
    await recompute_deadlines(uow, region_id)
    return ComplaintPolicyRead(effective_from=policy_in.effective_from, **values)


async def list_policies(*, session: AsyncSession, region_id: str) -> list[ComplaintPolicyRead]:
    """Every dated version of the region's complaint policy."""
    return [
        ComplaintPolicyRead.model_validate(row._asdict())
        for row in await _policy_versions(session, region_id)
    ]


def check_weekend(weekend_days: Sequence[int]) -> None:
    """Refuse weekend days outside 0..6 (also done by the calendar; here for a precise field)."""
    if any(not 0 <= day <= 6 for day in weekend_days):
        raise Unprocessable(
            "invalid_weekend_days",
            "Weekend days must be 0 (Monday) to 6 (Sunday).",
            "Hari libur mingguan harus bernilai 0 (Senin) sampai 6 (Minggu).",
            field="weekend_days",
        )
