"""The window a date is judged by, whatever clocks came before: ``_check`` keeps the last date with
its UTC year's span and reads the clock for every value; each value is still accepted exactly when
the plain computation from today's UTC date accepts it (clocks moving on, back, across new years
and their last second, the window changed between values)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from shared.dates import BoundedDate, BoundedInstant, DateWindow, configure_date_window, date_window
from tests.region_clock import stopped_datetime

_DATE = TypeAdapter(BoundedDate)
_INSTANT = TypeAdapter(BoundedInstant)
_WINDOWS = [DateWindow(), DateWindow(years_ahead=0), DateWindow(date(2020, 2, 29), 3)]

#: A clock near a new year (its last second, its first, a leap day's year) or anywhere.
_CLOCKS = st.one_of(
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2090, 12, 31)),
    st.builds(
        lambda year, seconds: datetime(year, 1, 1) + timedelta(seconds=seconds),
        st.integers(1999, 2060),
        st.sampled_from([-86_400, -1, -0.000001, 0, 0.000001, 1, 86_399]),
    ),
)
_VALUES = st.one_of(
    st.dates(min_value=date(1995, 1, 1), max_value=date(2105, 12, 31)),
    st.builds(
        lambda year, last: date(year, 12, 31) if last else date(year, 1, 1),
        st.integers(1998, 2102),
        st.booleans(),
    ),
)
_STEP = st.tuples(
    _CLOCKS, st.sampled_from(range(len(_WINDOWS))), _VALUES, st.sampled_from([-720, 0, 420, 840])
)


def _accepted(adapter: TypeAdapter[Any], value: object) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(_STEP, min_size=1, max_size=12))
@example(
    steps=[
        (datetime(2031, 1, 1), 1, date(2031, 12, 31), 0),
        (datetime(2030, 12, 31, 23, 59, 59), 1, date(2031, 1, 1), 0),
    ]
)
@example(
    steps=[
        (datetime(2030, 12, 31, 23, 59, 59, 999999), 0, date(2040, 12, 31), 0),
        (datetime(2031, 1, 1), 0, date(2041, 12, 31), 0),
    ]
)
def test_each_value_is_judged_as_the_plain_computation_of_its_clock(
    steps: list[tuple[datetime, int, date, int]],
) -> None:
    before = date_window()
    try:
        with pytest.MonkeyPatch.context() as patched:
            for clock, window_index, value, offset_minutes in steps:
                moment = clock.replace(tzinfo=UTC)
                patched.setattr(time, "time", lambda moment=moment: moment.timestamp())
                patched.setattr("shared.dates.datetime", stopped_datetime(moment))
                window = _WINDOWS[window_index]
                configure_date_window(window)
                plain = window.earliest <= value <= date(moment.year + window.years_ahead, 12, 31)
                assert _accepted(_DATE, value) == plain, (moment, window, value)
                # A device's time is judged by its own calendar day, as sent.
                sent = f"{value.isoformat()}T12:00:00{'+' if offset_minutes >= 0 else '-'}"
                sent += f"{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
                assert _accepted(_INSTANT, sent) == plain, (moment, window, sent)
    finally:
        configure_date_window(before)
