"""The complaint deadline scheduler: a breach event the moment a deadline passes, exactly once.

Any number of scheduler instances may run. Candidates are found across all regions; each is
then handled in its own transaction restricted to the complaint's region, under a row lock taken
with SKIP LOCKED (an instance never waits for another), and the breach row's primary key
(complaint, stage, stage start) makes a second emission impossible even if two instances race.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, exists, func, select

from services.feedback.adapters.tables import complaint_breaches, complaints
from services.feedback.domain.complaints import ComplaintStatus
from services.feedback.metrics import (
    COMPLAINTS_OPEN,
    COMPLAINTS_PAST_DEADLINE,
    DEADLINE_SCAN_SECONDS,
    DEADLINE_SCANS,
)
from services.feedback.service_layer.complaints import SCHEDULER, record_breach_if_due
from shared.context import ServiceContext
from shared.db import see_all_regions
from shared.observability import region_label

log = logging.getLogger(__name__)

SCAN_BATCH = 200
#: The per-region complaint gauges are counted at most this often (one grouped count of open rows).
GAUGE_INTERVAL_SECONDS = 15.0
#: Complaints no longer waiting on anyone.
FINISHED = (ComplaintStatus.CLOSED, ComplaintStatus.ARCHIVED, ComplaintStatus.NOT_OUR_AUTHORITY)
#: Never sleep less than this, so a deadline a few microseconds away does not spin the loop.
MIN_SLEEP_SECONDS = 0.05

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScanResult:
    """What one scan did and when the next deadline falls due."""

    emitted: int
    next_due_at: datetime | None


def _unbreached() -> ColumnElement[bool]:
    return ~exists().where(
        and_(
            complaint_breaches.c.complaint_id == complaints.c.complaint_id,
            complaint_breaches.c.deadline_kind == complaints.c.deadline_kind,
            complaint_breaches.c.deadline_started_at == complaints.c.deadline_started_at,
        )
    )


async def scan_once(context: ServiceContext, now: datetime) -> ScanResult:
    """Emit the breach of every deadline past ``now`` not yet emitted; say when the next one is due."""
    async with context.session_factory() as session, session.begin():
        await see_all_regions(session)
        candidates = list(
            await session.execute(
                select(complaints.c.complaint_id, complaints.c.region_id)
                .where(complaints.c.due_at < now, _unbreached())
                .order_by(complaints.c.due_at)
                .limit(SCAN_BATCH)
            )
        )
    emitted = 0
    for candidate in candidates:
        async with context.unit_of_work(region_id=candidate.region_id) as uow:
            row = (
                await uow.session.execute(
                    select(complaints)
                    .where(
                        complaints.c.region_id == candidate.region_id,
                        complaints.c.complaint_id == candidate.complaint_id,
                    )
                    .with_for_update(skip_locked=True)
                )
            ).first()
            # None: another instance (or a staff move) holds the row; it records the breach itself.
            if row is not None and await record_breach_if_due(uow, row=row, now=now, actor=SCHEDULER):
                emitted += 1
            await uow.commit()
    async with context.session_factory() as session, session.begin():
        await see_all_regions(session)
        next_due = await session.scalar(
            select(func.min(complaints.c.due_at)).where(complaints.c.due_at >= now, _unbreached())
        )
    return ScanResult(emitted, next_due)


async def count_open_complaints(context: ServiceContext, now: datetime, exported: set[str]) -> None:
    """Set the open and past-deadline gauges of every region; regions left with none go to 0."""
    open_now = func.count()
    past_deadline = func.count().filter(complaints.c.due_at < now)
    async with context.session_factory() as session, session.begin():
        await see_all_regions(session)
        rows = (
            await session.execute(
                select(complaints.c.region_id, open_now, past_deadline)
                .where(complaints.c.status.not_in([status.value for status in FINISHED]))
                .group_by(complaints.c.region_id)
            )
        ).all()
    counted: dict[str, tuple[int, int]] = {}
    for region_id, opened, overdue in rows:
        label = region_label(region_id)
        before = counted.get(label, (0, 0))
        counted[label] = (before[0] + opened, before[1] + overdue)
    for label in exported - set(counted):
        counted[label] = (0, 0)
    for label, (opened, overdue) in counted.items():
        COMPLAINTS_OPEN.labels(label).set(opened)
        COMPLAINTS_PAST_DEADLINE.labels(label).set(overdue)
    exported.update(counted)


def deadline_scheduler(
    interval_seconds: float, clock: Clock = utc_now
) -> Callable[[ServiceContext, asyncio.Event], object]:
    """A background task scanning at least every ``interval_seconds`` and waking at the next deadline."""

    async def run(context: ServiceContext, stop: asyncio.Event) -> None:
        exported: set[str] = set()
        gauges_counted_at = -GAUGE_INTERVAL_SECONDS
        while not stop.is_set():
            started = time.perf_counter()
            wait = interval_seconds
            try:
                result = await scan_once(context, clock())
                DEADLINE_SCANS.labels("ok").inc()
                if started - gauges_counted_at >= GAUGE_INTERVAL_SECONDS:
                    await count_open_complaints(context, clock(), exported)
                    gauges_counted_at = started
                if result.emitted:
                    log.info("complaint deadlines breached", extra={"fields": {"emitted": result.emitted}})
                if result.next_due_at is not None:
                    until_due = (result.next_due_at - clock()).total_seconds()
                    wait = min(interval_seconds, max(MIN_SLEEP_SECONDS, until_due + 0.001))
            except Exception as error:
                # A database hiccup must not end the scheduler; the next scan catches up, exactly once.
                DEADLINE_SCANS.labels("failed").inc()
                log.warning("deadline scan failed", extra={"fields": {"error": repr(error)[:300]}})
            finally:
                DEADLINE_SCAN_SECONDS.observe(time.perf_counter() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    return run
