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
