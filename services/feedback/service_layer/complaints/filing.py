"""The citizen's side of a complaint: filing it, tracking it by its code, and reopening it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    complaint_history,
    complaint_photos,
    complaints,
)
from services.feedback.domain.complaints import (
    Complaint,
    ComplaintStatus,
    current_deadline,
)
from services.feedback.domain.tracking_code import (
    format_tracking_code,
    generate_tracking_code,
    parse_tracking_code,
)
from services.feedback.metrics import COMPLAINTS_FILED
from services.feedback.service_layer.complaints.lifecycle import apply_move
from services.feedback.service_layer.complaints.records import (
    CITIZEN,
    STATUS_LABELS_ID,
    deadline_values,
    load_history,
    row_by_code,
)
from services.feedback.service_layer.complaints.rules import complaint_rules, filed_day, rules_day
from services.feedback.service_layer.read_models import (
    region_clock,
    require_employee,
    unit_name,
)
from services.feedback.service_layer.schemas import (
    ComplaintCreate,
    ComplaintReceipt,
    ComplaintStep,
    ComplaintTrackingRead,
)
from services.feedback.service_layer.surveys import service_row
from shared.contracts.feedback import (
    ComplaintFiled,
)
from shared.observability import region_label
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

_CODE_ATTEMPTS: Final = 5


async def file_complaint(
    *, uow: UnitOfWork, region_id: str, complaint_in: ComplaintCreate, now: datetime
) -> tuple[str, ComplaintReceipt]:
    """File a citizen's complaint; returns its id and the receipt with the tracking code."""
    session = uow.session
    await unit_name(session, region_id, complaint_in.unit_id)
    if complaint_in.service_id:
        await service_row(session, region_id, complaint_in.unit_id, complaint_in.service_id)
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
                **deadline_values(deadline),
            )
            .on_conflict_do_nothing(index_elements=["region_id", "tracking_code"])
            .returning(complaints.c.complaint_id)
        )
        if inserted is not None:
            tracking_code = candidate
            break
    else:  # pragma: no cover - 31**9 codes make five collisions in a row practically impossible
        raise Refusal(
            "tracking_code_exhausted",
            "Could not draw a free tracking code; try again.",
            kind=RefusalKind.CONFLICT,
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


async def track_complaint(
    *, session: AsyncSession, region_id: str, tracking_code: str, now: datetime
) -> ComplaintTrackingRead:
    """What the citizen sees with the tracking code: status, history and the running deadline."""
    row = await row_by_code(session, region_id, parse_tracking_code(tracking_code))
    history = await load_history(session, region_id, row.complaint_id)
    clock = await region_clock(session, region_id)
    status = ComplaintStatus(row.status)
    reopen_until = None
    working_days_left = None
    if status is ComplaintStatus.CLOSED or row.due_at is not None:
        rules = await complaint_rules(session, region_id, await filed_day(session, region_id, row))
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


async def reopen_complaint(
    *, uow: UnitOfWork, region_id: str, tracking_code: str, reason: str, now: datetime
) -> tuple[str, ComplaintTrackingRead]:
    """The citizen reopens a closed complaint with a reason, within the region's window (its id, as seen)."""
    row = await row_by_code(uow.session, region_id, parse_tracking_code(tracking_code), lock=True)
    await apply_move(
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
