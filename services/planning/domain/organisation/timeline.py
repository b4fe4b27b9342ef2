"""A value that changes on dated days: what holds on a day is the latest one dated on or before it."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import date
from typing import Generic, TypeVar

_T = TypeVar("_T")


class Timeline(Generic[_T]):
    """Values that each hold from their effective date until the next one."""

    __slots__ = ("_dates", "_values")

    def __init__(self) -> None:
        self._dates: list[date] = []
        self._values: list[_T] = []

    def set(self, effective_from: date, value: _T) -> None:
        """From `effective_from` the value is `value`; a second value for one date replaces the first."""
        index = bisect.bisect_left(self._dates, effective_from)
        if index < len(self._dates) and self._dates[index] == effective_from:
            self._values[index] = value
        else:
            self._dates.insert(index, effective_from)
            self._values.insert(index, value)

    def on(self, day: date) -> _T | None:
        """The value holding on `day`, None before the first date."""
        index = bisect.bisect_right(self._dates, day) - 1
        return self._values[index] if index >= 0 else None

    def changes_between(self, after: date, before: date | None) -> Iterator[date]:
        """Dates of changes after `after` and before `before` (None: no end), in order."""
        start = bisect.bisect_right(self._dates, after)
        for changed in self._dates[start:]:
            if before is not None and changed >= before:
                return
            yield changed

    @property
    def start(self) -> date:
        """The first date; a timeline is read only once something is set."""
        return self._dates[0]
