"""The platform's clock of "now in a region" (``shared.region_time.region_now``): its year, and the
clock stopped at a moment.

The clock reads ``shared.region_time``'s ``datetime``, so the tests put a ``datetime`` whose now() is
their moment there. Every other ``datetime`` of that module is then the stopped one too: a test under
it shows no answer's times with ``shown_in`` (a real datetime is no instance of the stopped class).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from shared.region_time import region_now


def year_in(timezone: str = "Asia/Jayapura") -> int:
    """The current year in a region's zone, as the platform reads it (the year the pages default to,
    the year reporting checks a plan against): from 15.00-17.00 UTC on 31 December (WIT-WIB) it is
    already UTC's next year."""
    return region_now(timezone).year


def quarter_in(timezone: str = "Asia/Jayapura") -> str:
    """The current quarter's key in a region's zone (``2026-Q4``), the period scoring files now in."""
    now = region_now(timezone)
    return f"{now.year}-Q{(now.month - 1) // 3 + 1}"


def moment_ago(timezone: str, ago: timedelta) -> datetime:
    """A phone's moment ``ago`` before now (in UTC, its clock left alone), but never before the
    region's year began: it falls in the plan's year (``year_in``) even just after 1 January 00.00."""
    now = region_now(timezone)
    new_year = now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return max(now - ago, new_year).astimezone(UTC)


def stopped_datetime(moment: datetime) -> type[datetime]:
    """A ``datetime`` whose now() is ``moment`` (in the zone asked for), to put in a module."""

    class _StoppedClock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return moment.astimezone(tz)

    return _StoppedClock


def stop_region_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Every region's now is ``moment`` (in its zone) until the test ends."""
    monkeypatch.setattr("shared.region_time.datetime", stopped_datetime(moment))
