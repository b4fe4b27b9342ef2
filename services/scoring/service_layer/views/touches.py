"""What a batch touched: the view rows events changed, each with how many events, the latest and when.

Handlers only note touches; the refresh then recomputes each touched row once (``refresh.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String

from services.scoring.adapters.sql_arrays import keys_table
from services.scoring.service_layer.views.contribution_rows import (
    INDICATOR_ID,
    PERIOD,
    REPORTED,
    ContributionRow,
)

#: An (employee, indicator, period key) row of indicator_progress.
ProgressKey = tuple[str, str, str]
#: An (employee, period key) row of employee_scores.
SummaryKey = tuple[str, str]
#: An (employee, year) whose every view row needs a refresh; year None: every year of the employee.
EmployeeYear = tuple[str, int | None]


class Touch(NamedTuple):
    """The events that touched one view row: how many, the latest one, and the earliest time.

    A row touched by several events of a batch is refreshed once: it counts each event as applied,
    records the latest as the one that changed it, and is frozen only if its period was closed
    before the earliest of them happened (later ones were already diverted when they were applied).
    A named tuple, made anew at each touch (a batch's progress rows are touched several times an
    event): 0.3 µs where a dataclass took 0.8.
    """

    #: How many events (``count`` would hide the tuple's own method).
    events: int
    event_id: str
    at: datetime


#: Makes a ``Touch`` from its three fields without the named tuple's ``__new__`` (a Python function).
_new_touch = tuple.__new__


def touch(touches: dict[Any, Touch], key: Any, event_id: str, at: datetime, count: int = 1) -> None:
    """Record that an event touched a row."""
    found = touches.get(key)
    if found is None:
        touches[key] = _new_touch(Touch, (count, event_id, at))
        return
    # A row touched again: both touches as one (this event the later), made at once (a batch of
    # 2,000 events touches each progress row several times, and a replay's backlog merges each
    # batch's touches again). The earlier time by one comparison, without a call of ``min``.
    earliest = found[2]
    touches[key] = _new_touch(Touch, (found[0] + count, event_id, at if at < earliest else earliest))


def counted_keys(employee_id: str, row: ContributionRow | None) -> list[ProgressKey]:
    """The progress rows an activity (a contributions row) counts in: its period's and its year's."""
    if row is None or not row[REPORTED]:
        return []
    period: str | None = row[PERIOD]
    if period is None:
        return []
    indicator_id: str = row[INDICATOR_ID]
    return [(employee_id, indicator_id, period), (employee_id, indicator_id, period[:4])]


def progress_keys_table() -> Any:
    """Progress keys as the table ``k(employee_id, indicator_id, period)`` to join view rows to (its
    parameter: ``key_rows`` of the keys as they are)."""
    return keys_table("k", {"employee_id": String(), "indicator_id": String(), "period": String()})
