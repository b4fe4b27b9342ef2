"""What every complaint use case reads and writes alike: its rows, its history, its labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    complaint_history,
    complaints,
)
from services.feedback.domain.complaints import (
    Complaint,
    ComplaintStatus,
    StageDeadline,
    StatusChange,
)
from shared.refusals import Refusal, RefusalKind

CITIZEN: Final = "citizen"


SCHEDULER: Final = "system:complaint-deadline-scheduler"


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


def domain_complaint(row: Any, history: Sequence[Any]) -> Complaint:
    """The domain complaint of a row and its history, for the life-cycle rules."""
    return Complaint(
        tracking_code=row.tracking_code,
        history=tuple(
            StatusChange(ComplaintStatus(step.status), step.at, step.reason, step.unit_id) for step in history
        ),
        requires_field_check=row.requires_field_check,
    )


async def load_history(session: AsyncSession, region_id: str, complaint_id: str) -> list[Any]:
    """The complaint's status changes, oldest first."""
    return list(
        await session.execute(
            select(complaint_history)
            .where(
                complaint_history.c.region_id == region_id, complaint_history.c.complaint_id == complaint_id
            )
            .order_by(complaint_history.c.seq)
        )
    )


def deadline_values(deadline: StageDeadline | None) -> dict[str, Any]:
    """The complaint columns that hold its running deadline (all None without one)."""
    return {
        "deadline_kind": deadline.kind.value if deadline else None,
        "deadline_started_at": deadline.started_at if deadline else None,
        "due_at": deadline.due_at if deadline else None,
    }


def unknown_complaint(field: str | None = None) -> Refusal:
    """The 404 for a complaint that does not exist or that the caller may not see."""
    return Refusal("unknown_complaint", "No such complaint.", field=field, kind=RefusalKind.NOT_FOUND)


async def row_by_code(session: AsyncSession, region_id: str, code: str, *, lock: bool = False) -> Any:
    """The complaint with a (parsed) tracking code, optionally locked for a move."""
    return await _row(
        session, region_id, complaints.c.tracking_code == code, lock=lock, field="tracking_code"
    )


async def row_by_id(session: AsyncSession, region_id: str, complaint_id: str, *, lock: bool = False) -> Any:
    """The complaint with an id in the region, optionally locked for a move."""
    return await _row(session, region_id, complaints.c.complaint_id == complaint_id, lock=lock, field=None)


async def _row(
    session: AsyncSession, region_id: str, which: ColumnElement[bool], *, lock: bool, field: str | None
) -> Any:
    """The region's complaint that ``which`` picks, optionally locked; else the 404 naming ``field``."""
    statement = select(complaints).where(complaints.c.region_id == region_id, which)
    if lock:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).first()
    if row is None:
        raise unknown_complaint(field)
    return row
