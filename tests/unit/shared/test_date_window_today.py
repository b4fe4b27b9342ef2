"""The window's last date is worked out once a UTC day, and again when the window changes."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from shared.dates import BoundedDate, DateWindow, configure_date_window, date_window


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
