"""An activity's stored period and offset, looked up by its local day, are the calendar's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.scoring.domain.activity import ActivityIdentity, ActivityState, Stamp
from services.scoring.domain.calendar import Calendar
from services.scoring.domain.periods import PeriodKind
from services.scoring.service_layer.projections.activities import _measure
from services.scoring.service_layer.projections.activity_store import RegionDays, region_days, stored_row
from services.scoring.service_layer.views import contribution_rows
from services.scoring.service_layer.views.contribution_rows import CONTRIBUTION_COLUMNS
from shared.region_time import utc_offset_minutes


def reported_row(occurred_at: datetime, days: RegionDays) -> dict[str, Any]:
    """The contributions row stored for an activity reported at ``occurred_at``, by column name."""
    state = ActivityState().reported(
        ActivityIdentity("e-1", "i-1", "r-1"),
        _measure(occurred_at, Decimal(3), None),
        Stamp(occurred_at, "ev-1"),
    )
    row = stored_row(state, "a-1", "e-1", "ev-1", "r", days)
    return dict(zip(CONTRIBUTION_COLUMNS, row, strict=True))


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
        row = reported_row(occurred_at, days)
        period = region_calendar.period_of(occurred_at)
        assert (row["period"], row["year"]) == (period.key, period.year), occurred_at
        assert row["occurred_utc_offset"] == utc_offset_minutes(occurred_at)
        # The instant in UTC, as ``astimezone`` gives it (the zone ``UTC`` itself).
        assert row["occurred_at"] == occurred_at.astimezone(UTC), occurred_at
        assert row["occurred_at"].tzinfo is UTC


def test_a_time_without_its_offset_is_refused() -> None:
    days = region_days(Calendar("Asia/Jakarta", PeriodKind.QUARTERLY))
    with pytest.raises(ValueError, match="offset"):
        reported_row(datetime(2026, 3, 1, 12), days)


def test_a_row_holds_each_value_in_its_columns_place() -> None:
    """The row is a tuple in the table's column order: each value read back by its column's name."""
    days = region_days(Calendar("Asia/Jakarta", PeriodKind.QUARTERLY))
    occurred_at = datetime(2026, 3, 31, 20, tzinfo=timezone(timedelta(hours=7)))
    reported = Stamp(datetime(2026, 4, 1, 1, tzinfo=UTC), "ev-1")
    verified = Stamp(datetime(2026, 4, 2, tzinfo=UTC), "ev-2")
    state = (
        ActivityState()
        .reported(
            ActivityIdentity("e-1", "i-1", "r-1"),
            _measure(occurred_at, Decimal("2.5"), Decimal(4)),
            reported,
            ("ab" * 32,),
        )
        .verified_at(verified)
    )
    row = stored_row(state, "a-1", "e-1", "ev-2", "region-1", days)
    assert dict(zip(CONTRIBUTION_COLUMNS, row, strict=True)) == {
        "activity_id": "a-1",
        "region_id": "region-1",
        "employee_id": "e-1",
        "indicator_id": "i-1",
        "result_id": "r-1",
        "period": "2026-Q1",
        "year": 2026,
        "occurred_at": occurred_at,
        "occurred_utc_offset": 420,
        "quantity": Decimal("2.5"),
        "denominator": Decimal(4),
        "reported": True,
        "status": "VERIFIED",
        "measure_stamp_at": reported.at,
        "measure_stamp_id": "ev-1",
        "measure_corrected": False,
        "status_stamp_at": verified.at,
        "status_stamp_id": "ev-2",
        "evidence_sha256": ("ab" * 32,),
        "last_event_id": "ev-2",
        "updated_at": None,  # the batch's stamp, the statement's own parameter
    }


def test_each_position_is_named_as_its_column() -> None:
    positions = {
        name.lower(): position
        for name, position in vars(contribution_rows).items()
        if name.isupper() and name != "CONTRIBUTION_COLUMNS"
    }
    assert positions == {name: position for position, name in enumerate(CONTRIBUTION_COLUMNS)}


def test_a_time_in_a_zone_whose_offset_varies_keeps_its_own_offset() -> None:
    """Offsets are remembered by fixed-offset zones only: Berlin's winter and summer times differ."""
    days = region_days(Calendar("Asia/Jakarta", PeriodKind.QUARTERLY))
    berlin = ZoneInfo("Europe/Berlin")
    for occurred_at, minutes in (
        (datetime(2026, 1, 15, 9, tzinfo=berlin), 60),
        (datetime(2026, 7, 15, 9, tzinfo=berlin), 120),
    ):
        assert reported_row(occurred_at, days)["occurred_utc_offset"] == minutes


def test_a_change_that_keeps_the_measure_keeps_the_measured_columns() -> None:
    """A verification, rejection or file keeps the measure: the row built from the report's row
    (``measured_row``) is the row built afresh."""
    days = region_days(Calendar("Asia/Jayapura", PeriodKind.MONTHLY))
    offsets = [timezone(timedelta(minutes=minutes)) for minutes in (0, 420, 540)]
    start = datetime(2026, 1, 31, 14, 30, tzinfo=UTC)
    for step in range(0, 24 * 60 * 40, 53):
        occurred_at = (start + timedelta(minutes=step)).astimezone(offsets[step % len(offsets)])
        later = Stamp(occurred_at + timedelta(hours=5), "ev-2")
        reported = ActivityState().reported(
            ActivityIdentity("e-1", "i-1", "r-1"),
            _measure(occurred_at, Decimal("2.5"), Decimal(4) if step % 2 else None),
            Stamp(occurred_at, "ev-1"),
        )
        report_row = stored_row(reported, "a-1", "e-1", "ev-1", "r", days)
        for changed in (
            reported.verified_at(later),
            reported.rejected_at(later),
            reported.with_evidence(("cd" * 32,)),
        ):
            assert changed.measure is reported.measure
            assert stored_row(changed, "a-1", "e-1", "ev-2", "r", days, report_row) == stored_row(
                changed, "a-1", "e-1", "ev-2", "r", days
            )
