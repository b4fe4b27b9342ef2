"""The platform's clock of "now in a region" (``shared.region_time.region_now``) stopped at a moment.

The clock reads ``shared.region_time``'s ``datetime``, so the tests put a ``datetime`` whose now() is
their moment there. Every other ``datetime`` of that module is then the stopped one too: a test under
it shows no answer's times with ``shown_in`` (a real datetime is no instance of the stopped class).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

import pytest


def stop_region_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Every region's now is ``moment`` (in its zone) until the test ends."""

    class _StoppedClock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return moment.astimezone(tz)

    monkeypatch.setattr("shared.region_time.datetime", _StoppedClock)
