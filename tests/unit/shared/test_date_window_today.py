"""The window's last date is worked out once a UTC day, and again when the window changes."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from shared.dates import BoundedDate, DateWindow, configure_date_window, date_window
from tests.region_clock import stopped_datetime


class _Move(BaseModel):
    effective_from: BoundedDate


def test_a_new_window_and_a_new_day_move_the_last_date(monkeypatch: pytest.MonkeyPatch) -> None:
    before = date_window()
    next_year = date(datetime.now(UTC).year + 1, 1, 1).isoformat()
    try:
        _Move.model_validate({"effective_from": next_year})
        configure_date_window(DateWindow(years_ahead=0))
        with pytest.raises(ValidationError):
            _Move.model_validate({"effective_from": next_year})
        # A year on (the clock read in UTC days), next year's first day is this year's.
        a_year_on = datetime(datetime.now(UTC).year + 1, 6, 1, tzinfo=UTC).timestamp()
        monkeypatch.setattr(time, "time", lambda: a_year_on)
        assert _Move.model_validate({"effective_from": next_year}).effective_from.isoformat() == next_year
    finally:
        configure_date_window(before)


def test_today_refusal_counts_the_window_from_the_utc_day(monkeypatch: pytest.MonkeyPatch) -> None:
    # 23.30 UTC on 31 December 2030: already 2031 in every Indonesian zone, still 2030 in UTC.
    moment = datetime(2030, 12, 31, 23, 30, tzinfo=UTC)
    monkeypatch.setattr("shared.dates.datetime", stopped_datetime(moment))
    window = DateWindow(years_ahead=0)
    assert window.refusal_today(date(2030, 12, 31)) is None
    refusal = window.refusal_today(date(2031, 1, 1))
    assert refusal is not None
    assert refusal.code == "outside_date_window"
    assert refusal.params["latest"] == "2030-12-31"


@pytest.mark.parametrize("years_earlier", [0, 1, 3])
def test_a_last_date_worked_out_on_an_earlier_day_judges_as_todays_window(
    monkeypatch: pytest.MonkeyPatch, years_earlier: int
) -> None:
    """The last date is kept from the day it was worked out on: every date is still accepted or
    refused as today's window does (the last date only moves on, so a date past the kept one is
    judged again by today's)."""
    today = datetime.now(UTC)
    earlier = datetime(today.year - years_earlier, 6, 1, tzinfo=UTC).timestamp()
    window = date_window()
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: earlier)
        _Move.model_validate({"effective_from": "2020-01-01"})  # the last date worked out then
    last_year = today.year + window.years_ahead
    for year in (1999, 2000, today.year, last_year, last_year + 1):
        for month, day in ((1, 1), (12, 31)):
            value = date(year, month, day)
            try:
                _Move.model_validate({"effective_from": value.isoformat()})
                accepted = True
            except ValidationError:
                accepted = False
            assert accepted == (window.refusal_today(value) is None), value


def test_a_last_date_worked_out_later_is_not_kept_once_the_clock_is_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A clock that stood a year on (a test's, or one stepped back across a new year) leaves no
    later last date behind: the year after today's last is refused again once the clock is back."""
    today = datetime.now(UTC)
    window = date_window()
    past_last = date(today.year + window.years_ahead + 1, 1, 1)
    with monkeypatch.context() as patched:
        a_year_on = datetime(today.year + 1, 6, 1, tzinfo=UTC).timestamp()
        patched.setattr(time, "time", lambda: a_year_on)
        _Move.model_validate({"effective_from": past_last.isoformat()})  # its last date then
    with pytest.raises(ValidationError, match="outside"):
        _Move.model_validate({"effective_from": past_last.isoformat()})
