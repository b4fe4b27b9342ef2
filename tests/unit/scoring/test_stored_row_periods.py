"""An activity's stored period and offset, looked up by its local day, are the calendar's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.scoring.domain.activity import ActivityIdentity, ActivityState, Stamp
from services.scoring.domain.calendar import Calendar
from services.scoring.domain.periods import PeriodKind
from services.scoring.service_layer.projections.activities import _measure
from services.scoring.service_layer.projections.activity_store import region_days, stored_row
from shared.region_time import utc_offset_minutes


@pytest.mark.parametrize(
    "region_calendar",
    [
        Calendar("Asia/Jakarta", PeriodKind.QUARTERLY),
        Calendar("Asia/Jayapura", PeriodKind.MONTHLY),
        # Daylight saving time moves the local day's start; quarters and months change at midnight.
        Calendar("Europe/Berlin", PeriodKind.MONTHLY),
        Calendar("America/St_Johns", PeriodKind.SEMESTER),
    ],
)
def test_an_instant_is_stored_in_the_calendars_period_with_its_sent_offset(region_calendar: Calendar) -> None:
    days = region_days(region_calendar)
    offsets = [timezone(timedelta(minutes=minutes)) for minutes in (-210, 0, 345, 420, 540)]
    start = datetime(2025, 12, 30, tzinfo=UTC)
    for step in range(0, 24 * 60 * 460, 37):  # every 37 minutes over more than a year
        occurred_at = (start + timedelta(minutes=step)).astimezone(offsets[step % len(offsets)])
        state = ActivityState().reported(
            ActivityIdentity("e-1", "i-1", "r-1"),
            _measure(occurred_at, Decimal(3), None),
            Stamp(occurred_at, "ev-1"),
        )
        row = stored_row(state, "a-1", "e-1", "ev-1", "r", days, datetime.now(UTC))
        period = region_calendar.period_of(occurred_at)
        assert (row["period"], row["year"]) == (period.key, period.year), occurred_at
        assert row["occurred_utc_offset"] == utc_offset_minutes(occurred_at)


def test_a_time_without_its_offset_is_refused() -> None:
    days = region_days(Calendar("Asia/Jakarta", PeriodKind.QUARTERLY))
    naive = datetime(2026, 3, 1, 12)
    state = ActivityState().reported(
        ActivityIdentity("e-1", "i-1", "r-1"), _measure(naive, Decimal(3), None), Stamp(naive, "ev-1")
    )
    with pytest.raises(ValueError, match="offset"):
        stored_row(state, "a-1", "e-1", "ev-1", "r", days, datetime.now(UTC))
