"""Moving a complaint along its life cycle, and recording a deadline it missed (at most once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from services.feedback.adapters.tables import (
    complaint_breaches,
    complaint_history,
    complaints,
)
from services.feedback.domain.complaints import (
    ComplaintStatus,
    current_deadline,
    transition,
)
from services.feedback.metrics import COMPLAINT_BREACHES, COMPLAINT_MOVES
from services.feedback.service_layer.complaints.desk import (
    complaint_detail,
    dispatched_unit,
    staff_unit,
    visible_to_unit_staff,
)
from services.feedback.service_layer.complaints.records import (
    SCHEDULER,
    deadline_values,
    domain_complaint,
    load_history,
    row_by_id,
    unknown_complaint,
)
from services.feedback.service_layer.complaints.rules import complaint_rules, filed_day
from services.feedback.service_layer.read_models import (
    unit_name,
)
from services.feedback.service_layer.schemas import ComplaintRead, ComplaintTransitionCreate
from shared.auth import Principal, Role
from shared.contracts.feedback import (
    ComplaintClosed,
    ComplaintDeadlineBreached,
    ComplaintStatusChanged,
)
from shared.observability import region_label
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

#: What a unit's own staff (a rater of that unit) may do with a complaint dispatched to it.
UNIT_MOVES: Final = frozenset({ComplaintStatus.FOLLOWED_UP, ComplaintStatus.ANSWERED})


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


async def apply_move(
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
    """Move a complaint to a status: history, deadline, events and metrics, in the caller's unit of work."""
    session = uow.session
    region_id = row.region_id
    # A deadline that passed before this move still counts, even if the scheduler has not run yet.
    await record_breach_if_due(uow, row=row, now=now, actor=SCHEDULER)
    history = await load_history(session, region_id, row.complaint_id)
    rules = await complaint_rules(session, region_id, await filed_day(session, region_id, row))
    domain = domain_complaint(row, history)
    if requires_field_check is not None:
        domain = domain.with_field_check(requires_field_check)
    if target is ComplaintStatus.DISPATCHED and unit_id:
        await unit_name(session, region_id, unit_id)
    moved = transition(
        domain,
        target,
        at=now,
        calendar=rules.calendar,
        policy=rules.policy,
        reason=reason,
        unit_id=unit_id,
    )
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
            **deadline_values(deadline),
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
    row = await row_by_id(uow.session, region_id, complaint_id, lock=True)
    if not principal.has(Role.REGION_ADMIN):
        if not await visible_to_unit_staff(uow.session, principal, row):
            raise unknown_complaint()
        unit = await staff_unit(uow.session, principal)
        history = await load_history(uow.session, region_id, complaint_id)
        if move_in.status not in UNIT_MOVES or dispatched_unit(history) != unit:
            raise Refusal(
                "not_complaint_desk",
                "Only the complaint desk (region administrators) may make this move; a unit may only "
                "follow up or answer complaints dispatched to it.",
                field="status",
                kind=RefusalKind.FORBIDDEN,
            )
    await apply_move(
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
