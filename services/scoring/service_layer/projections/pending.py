"""Deferring the views to the end of the batch: handlers note work, ``PendingViews`` does it once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.service_layer.projections.activity_store import apply_changes
from services.scoring.service_layer.projections.backlog import RegionWork, ViewBacklog
from services.scoring.service_layer.projections.planning_store import store_planning
from services.scoring.service_layer.views import mark_plans_in_force, refresh_views, region_facts
from shared.contracts import EnvelopeHead, Event
from shared.db import analyze_import, in_each_region
from shared.messaging.scope import Batch, HandlerScope

#: The read models a region's import fills (its employees and plans, looked up by region and
#: employee for every summary), analyzed before the batch's summaries are refreshed, and the views
#: those summaries fill, after (``analyze_import``).
IMPORTED_READ_MODELS = ("employees", "plans", "plan_indicators")
IMPORTED_VIEWS = ("employee_scores",)


class PendingViews:
    """A batch's activity changes and touched view rows, applied and refreshed once, set-based.

    The batch's deferred work (``HandlerScope.deferred``), so a row touched by many events of a
    batch is recomputed once, and a batch's activities are read and stored with one statement each.
    """

    def __init__(self, batch: Batch[ViewBacklog]) -> None:
        self._batch = batch
        self._regions: dict[str, RegionWork] = {}

    def region(self, region_id: str) -> RegionWork:
        """The work left for one region."""
        work = self._regions.get(region_id)
        if work is None:
            work = self._regions[region_id] = RegionWork()
        return work

    async def run(self) -> None:
        """At the end of the batch: what ``flush`` does."""
        await self.flush()

    async def flush(self) -> None:
        """Store the pending planning and activity changes and refresh every touched row, region by
        region."""
        session = self._batch.session
        regions, self._regions = self._regions, {}
        if not regions:
            return
        async for region_id in in_each_region(session, list(regions)):
            work = regions[region_id]
            backlog = self._batch.replay_backlog
            # A rebuild analyzes its tables itself, once its events are applied.
            imported = len(work.planning) if backlog is None else 0
            await store_planning(session, work)
            await mark_plans_in_force(session, region_id, work.plan_years)
            await analyze_import(session, imported, IMPORTED_READ_MODELS)
            facts = await region_facts(session, region_id)
            await apply_changes(self._batch, facts, work)
            if backlog is not None:
                backlog.record(region_id, work)
            else:
                await refresh_views(
                    session,
                    facts,
                    progress=work.progress,
                    summaries=work.summaries,
                    employee_years=work.employee_years,
                    deltas=work.deltas,
                )
                await analyze_import(session, imported, IMPORTED_VIEWS)


#: What scoring's handlers act with: a replay leaves its view work to a ``ViewBacklog``.
ScoringScope = HandlerScope[ViewBacklog]
EventType = TypeVar("EventType", bound=Event)


def deferring(
    apply: Callable[[AsyncSession, EventType, EnvelopeHead, PendingViews], Awaitable[None]],
) -> Callable[[ScoringScope, EventType, EnvelopeHead], Awaitable[None]]:
    """A handler whose view work waits for the end of the batch (its ``PendingViews``)."""

    def handler(scope: ScoringScope, event: EventType, envelope: EnvelopeHead) -> Awaitable[None]:
        # The scope's batch asked directly: its ``session`` and ``deferred`` are Python frames of
        # their own that ask the batch (every activity event). Not a coroutine itself: it hands
        # the runner ``apply``'s to await, one coroutine less made and run an event.
        batch = scope.batch
        return apply(batch.session, event, envelope, batch.deferred(PendingViews))

    handler.__name__ = apply.__name__
    handler.__qualname__ = apply.__qualname__
    handler.__doc__ = apply.__doc__
    return handler
