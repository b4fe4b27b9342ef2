"""Fixtures of the unit tests that more than one area's tests use."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

import pytest

#: Half past midnight of 1 January 2027 in WIB (02.30 in WIT), still 31 December 2026 in UTC.
NEW_YEAR_IN_WIB = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)


class _Clock(datetime):
    """datetime whose now() is :data:`NEW_YEAR_IN_WIB`."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return NEW_YEAR_IN_WIB.astimezone(tz)


@pytest.fixture
def new_year_in_wib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The moment above as the region's clock (``shared.region_time.region_now``) reads it, on a
    machine whose own zone is UTC. (The module's every ``datetime`` is the clock's then: a test
    under it shows no answer's times with ``shown_in``.)"""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr("shared.region_time.datetime", _Clock)
    yield
    monkeypatch.undo()
    time.tzset()
