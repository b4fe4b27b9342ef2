"""The view work a batch leaves for its end, and a replay's backlog of it for the rebuild's end.

``RegionWork`` is one region's share of a batch: its activity changes and the view rows touched.
``ViewBacklog`` keeps the touched rows of a whole replay (across worker processes) instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scoring.domain.activity import ActivityState
from services.scoring.service_layer.views import (
    EmployeeYear,
    ProgressDelta,
    ProgressKey,
    SummaryKey,
    Touch,
    refresh_views,
    region_facts,
)
from shared.contracts import EnvelopeHead, Event
from shared.db import restrict_to_region


class ActivityChange(NamedTuple):
    """One activity event, folded into the activity's state when the batch ends (a named tuple,
    made from its fields by ``tuple.__new__`` for every activity event: a dataclass's ``__init__``
    is a Python frame setting each of its six fields)."""

    envelope: EnvelopeHead
    #: The event itself: kept aside as it is if it turns out late (``divert_late``).
    event: Event
    activity_id: str
    employee_id: str
    change: Callable[[ActivityState], ActivityState]
    #: The event's id as the rows it changes record it (spelt once: a UUID's text costs a microsecond).
    event_id: str
    #: When the event happened (its envelope's time, read once: its view rows' touches and the late
    #: check take it).
    at: datetime


class PlanningKind(Enum):
    EMPLOYEE = "employee"
    PLAN_APPROVED = "plan approved"


@dataclass(slots=True)
class PlanningWrite:
    """One planning event's row(s), stored when the batch ends."""

    kind: PlanningKind
    envelope: EnvelopeHead
    #: The event's id as the row records it (``last_event_id``).
    event_id: str
    #: The employee's or plan's row, every column the statement writes.
    row: dict[str, Any]
    #: An approved plan's indicators (its rows of ``plan_indicators``).
    indicators: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RegionWork:
    changes: list[ActivityChange] = field(default_factory=list)
    progress: dict[ProgressKey, Touch] = field(default_factory=dict)
    summaries: dict[SummaryKey, Touch] = field(default_factory=dict)
    employee_years: dict[EmployeeYear, Touch] = field(default_factory=dict)
    deltas: dict[ProgressKey, ProgressDelta] = field(default_factory=dict)
    #: Employee-years whose plans changed: which plan is in force is decided once, at the end.
    plan_years: set[tuple[str, int]] = field(default_factory=set)
    #: Planning's employee and plan events, stored at the end (``planning_store.py``).
    planning: list[PlanningWrite] = field(default_factory=list)


class ViewBacklog:
    """The view rows a replay touched, refreshed once when every event is applied (not per batch).

    A rebuild is fast only if each employee's summaries are computed once, not after every batch
    that touched them (a year of events touches each summary hundreds of times). The rows follow
    from the stored facts, so refreshing at the end gives what the per-batch refreshes would; the
    touches are merged as within one batch (``Touch``), so frozen periods stay frozen.
    """

    def __init__(self) -> None:
        self._regions: dict[str, RegionWork] = {}
        self._activities: dict[str, set[int]] = {}

    def activities_stored(self, region_id: str) -> set[int]:
        """The activities of a region this replay's process has stored (or tried to: a batch rolled
        back leaves its own here), as their ids' hashes: it alone applies their partitions (an
        activity's events are keyed by its employee, in one topic), into a fresh schema, so no other
        activity's row can be found by the locked read. A hash shared by another id only adds a
        look-up. Not handed between processes."""
        return self._activities.setdefault(region_id, set())

    def record(self, region_id: str, work: RegionWork) -> None:
        """Keep a batch's touched rows of one region for the end (its activity deltas are not needed)."""
        kept = self._regions.setdefault(region_id, RegionWork())
        _merge(kept.progress, work.progress)
        _merge(kept.summaries, work.summaries)
        _merge(kept.employee_years, work.employee_years)

    @property
    def owners(self) -> int:
        """The employees whose rows are recorded (across regions)."""
        return sum(len(_employees_of(work)) for work in self._regions.values())

    def merge(self, other: ViewBacklog) -> None:
        """Add what another process's backlog recorded."""
        for region_id, work in other._regions.items():
            self.record(region_id, work)

    def __getstate__(self) -> dict[str, dict[str, tuple[_Columns, _Columns, _Columns]]]:
        """What crosses between processes (a worker's backlog to the replay, its pieces back): each
        region's touches as columns, their times in UTC.

        Pickled as they are, each touch was a named tuple to rebuild and its time carried a zone
        object of its own (pydantic parses an event's offset into a new one each time), pickled
        and made anew for every row while the other processes waited; in UTC the zone is one
        object, and the refresh compares the times with the closures' (UTC too) at once. The
        same instants: the times are only compared. (A dict under a name: an empty state would
        not be handed to ``__setstate__``.)
        """
        return {
            "regions": {
                region_id: (_columns(work.progress), _columns(work.summaries), _columns(work.employee_years))
                for region_id, work in self._regions.items()
            }
        }

    def __setstate__(self, state: dict[str, dict[str, tuple[_Columns, _Columns, _Columns]]]) -> None:
        self._activities = {}
        self._regions = {
            region_id: RegionWork(
                progress=_touches(progress), summaries=_touches(summaries), employee_years=_touches(years)
            )
            for region_id, (progress, summaries, years) in state["regions"].items()
        }

    def split(self, owners_per_piece: int) -> list[ViewBacklog]:
        """Pieces of one region and at most that many employees (one's rows depend on no one else's)."""
        pieces = []
        for region_id, work in sorted(self._regions.items()):
            employees = _employees_of(work)
            for start in range(0, len(employees), owners_per_piece):
                chunk = set(employees[start : start + owners_per_piece])
                piece = ViewBacklog()
                piece._regions[region_id] = RegionWork(
                    progress={key: found for key, found in work.progress.items() if key[0] in chunk},
                    summaries={key: found for key, found in work.summaries.items() if key[0] in chunk},
                    employee_years={
                        key: found for key, found in work.employee_years.items() if key[0] in chunk
                    },
                )
                pieces.append(piece)
        return pieces

    async def finish(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        """Refresh every recorded row from the facts, in one transaction: into a rebuild's fresh
        schema, whose views no batch wrote (their rows are inserted plainly), each employee's rows
        in one piece."""
        async with session_factory() as session, session.begin():
            for region_id, work in sorted(self._regions.items()):
                await restrict_to_region(session, region_id)
                await refresh_views(
                    session,
                    await region_facts(session, region_id),
                    progress=work.progress,
                    summaries=work.summaries,
                    employee_years=work.employee_years,
                    none_stored=True,
                )


def _merge(into: dict[Any, Touch], touches: dict[Any, Touch]) -> None:
    """A batch's touches added to the backlog's: what ``touch`` with each would make (events summed,
    the batch's event the latest, the earlier time), written out here: a replay merges every
    batch's touches, thousands each (a call of ``touch`` with the touch's fields read by name was
    ~2,000 instructions a key of ~7,600; bench/README.md, session 22)."""
    kept_touch = into.get
    for key, found in touches.items():
        kept = kept_touch(key)
        if kept is None:
            into[key] = found  # a touch is immutable: kept as it is
            continue
        earliest, at = kept[2], found[2]
        into[key] = _new_touch(Touch, (kept[0] + found[0], found[1], at if at < earliest else earliest))


#: A dict of touches as columns: its keys, and their touches' events, event ids and UTC times.
_Columns = tuple[list[Any], list[int], list[str], list[datetime]]


def _columns(touches: dict[Any, Touch]) -> _Columns:
    return (
        list(touches),
        [found[0] for found in touches.values()],
        [found[1] for found in touches.values()],
        [found[2].astimezone(UTC) for found in touches.values()],
    )


def _touches(columns: _Columns) -> dict[Any, Touch]:
    keys, events, event_ids, times = columns
    return {
        key: _new_touch(Touch, fields)
        for key, fields in zip(keys, zip(events, event_ids, times, strict=True), strict=True)
    }


#: Makes a ``Touch`` from its three fields without the named tuple's ``__new__`` (a Python function).
_new_touch = tuple.__new__


def _employees_of(work: RegionWork) -> list[str]:
    return sorted(
        {key[0] for key in work.progress}
        | {key[0] for key in work.summaries}
        | {key[0] for key in work.employee_years}
    )
