"""Moves that take effect on their date reach the summaries that day, with no event arriving.

The summaries (``employee_scores``) name the unit and rater holding today (shared/read_models.py),
and are refreshed when an event arrives. A move planning announced earlier, dated today, changes
what holds without any event: so once a day per region, just after the region's local midnight,
the summaries of every employee whose announced-ahead assignment took effect since the last day
done are refreshed, as the employee's own event would have refreshed them.

Kept at write time rather than read at query time: the dashboards select a unit's summaries by
their stored unit through an index, which a join with each employee's dated history would lose.

Any number of scoring processes may run this, as feedback's deadline scheduler runs: regions due
are found across all regions, then each is done in its own transaction restricted to it, under
its ``assignments_applied`` row taken with SKIP LOCKED (an instance never waits for another's
refresh), and the row's ``applied_through`` makes a second pass of the same day do nothing. A
refresh recomputes rows from the stored facts, so doing one twice changes nothing either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import distinct_on, insert

from services.scoring.adapters.tables import assignments_applied, employees, region_settings
from services.scoring.service_layer.views import EmployeeYear, Touch, refresh_views, region_facts
from shared.context import ServiceContext
from shared.db import see_all_regions
from shared.read_models import today_in_zone

log = logging.getLogger(__name__)

#: How long after a region's midnight the pass wakes: the database's clock must be past it too.
AFTER_MIDNIGHT = timedelta(seconds=1)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class MovesPass:
    """What one pass did (employees refreshed, by region), and the zones of the regions it knows (to
    wake at their next midnight)."""

    moved: dict[str, int]
    zones: frozenset[str]


def next_midnight(now: datetime, zones: Iterable[str]) -> datetime | None:
    """The earliest next local midnight among the zones (None without any)."""
    midnights = []
    for name in zones:
        zone = ZoneInfo(name)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        midnights.append(datetime.combine(tomorrow, time(), zone).astimezone(UTC))
    return min(midnights, default=None)


async def apply_due_moves(context: ServiceContext) -> MovesPass:
    """Refresh, in every region whose today has not been done, the summaries of its moved employees."""
    async with context.session_factory() as session, session.begin():
        await see_all_regions(session)
        regions = (
            await session.execute(
                select(
                    region_settings.c.region_id,
                    region_settings.c.timezone,
                    today_in_zone(region_settings.c.timezone).label("today"),
                    assignments_applied.c.applied_through,
                ).outerjoin(
                    assignments_applied, assignments_applied.c.region_id == region_settings.c.region_id
                )
            )
        ).all()
    moved: dict[str, int] = {}
    for region in regions:
        if region.applied_through is None or region.applied_through < region.today:
            try:
                moved[region.region_id] = await _apply_region(context, region.region_id, region.timezone)
            except Exception as error:
                # One region's failure must not hold the others back; its day stays undone, retried next.
                log.warning(
                    "dated moves of a region failed",
                    extra={"fields": {"region": region.region_id, "error": repr(error)[:300]}},
                )
    return MovesPass(moved, frozenset(region.timezone for region in regions))


async def _apply_region(context: ServiceContext, region_id: str, zone: str) -> int:
    """One region's pass, once per day whatever the number of instances; how many employees it refreshed."""
    async with context.unit_of_work(region_id=region_id) as uow:
        session = uow.session
        await session.execute(
            insert(assignments_applied).values(region_id=region_id).on_conflict_do_nothing()
        )
        mark = (
            await session.execute(
                select(assignments_applied.c.applied_through)
                .where(assignments_applied.c.region_id == region_id)
                .with_for_update(skip_locked=True)
            )
        ).first()
        today: date = (await session.execute(select(today_in_zone(literal(zone, String))))).scalar_one()
        if mark is None or (mark.applied_through is not None and mark.applied_through >= today):
            return 0  # another instance holds the region, or has done today already
        # Only an assignment announced before its date needs this: one dated on or before the day it
        # was announced was in the summaries from its own event. The first pass has no lower bound.
        e = employees.c
        window = [e.region_id == region_id, e.effective_from <= today]
        window.append(e.effective_from > cast(func.timezone(zone, e.stamp_at), Date))
        if mark.applied_through is not None:
            window.append(e.effective_from > mark.applied_through)
        moved = (
            await session.execute(
                select(e.employee_id, e.last_event_id)
                .where(*window)
                .order_by(e.employee_id, e.effective_from.desc())
                .ext(distinct_on(e.employee_id))
            )
        ).all()
        if moved:
            now = utc_now()
            # Every year of them, as the employee's own event refreshes; no event is applied (count 0),
            # and the rows' last event is the one that announced the move now holding.
            touched: dict[EmployeeYear, Touch] = {
                (row.employee_id, None): Touch(0, row.last_event_id or "", now) for row in moved
            }
            await refresh_views(session, await region_facts(session, region_id), employee_years=touched)
        await session.execute(
            update(assignments_applied)
            .where(assignments_applied.c.region_id == region_id)
            .values(applied_through=today, applied_at=func.now())
        )
        await uow.commit()
    return len(moved)


def dated_moves_scheduler(
    interval_seconds: float, clock: Clock = utc_now
) -> Callable[[ServiceContext, asyncio.Event], object]:
    """A background task passing at least every ``interval_seconds`` and just after each region's
    midnight (a failed or missed pass is caught up by the next)."""

    async def run(context: ServiceContext, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = interval_seconds
            try:
                done = await apply_due_moves(context)
                if any(done.moved.values()):
                    log.info("dated moves applied", extra={"fields": {"employees": done.moved}})
                midnight = next_midnight(clock(), done.zones)
                if midnight is not None:
                    until = (midnight + AFTER_MIDNIGHT - clock()).total_seconds()
                    wait = min(wait, max(until, AFTER_MIDNIGHT.total_seconds()))
            except Exception as error:
                # A database hiccup must not end the task; the next pass catches up.
                log.warning("dated moves pass failed", extra={"fields": {"error": repr(error)[:300]}})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    return run
