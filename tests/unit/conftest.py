"""Fixtures of the unit tests that more than one area's tests use."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.region_clock import stop_region_clock

#: Half past midnight of 1 January 2027 in WIB (02.30 in WIT), still 31 December 2026 in UTC.
NEW_YEAR_IN_WIB = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)


@pytest.fixture
def new_year_in_wib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The moment above as the region's clock reads it (tests/region_clock.py, with its warning), on
    a machine whose own zone is UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    stop_region_clock(monkeypatch, NEW_YEAR_IN_WIB)
    yield
    monkeypatch.undo()
    time.tzset()
