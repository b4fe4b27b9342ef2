"""The rebuild's bench writes a year of activity that falls in its plans' year in every region's zone.

From 17.00 UTC on 31 December it is already 1 January in all four regions (WIB to WIT): a year and
a 1 January taken from UTC gave plans for last year and activities in the regions' new year.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bench.scoring_rebuild_events import ZONES, activity_stream, planning_events, year_so_far
from shared.contracts.planning import WorkPlanApproved
from shared.contracts.reporting import ActivityCorrected, ActivityReported
from tests.region_clock import stop_region_clock


@pytest.mark.parametrize(
    ("utc", "year"),
    [
        (datetime(2026, 12, 31, 17, 30, tzinfo=UTC), 2026),  # 23.30 WIB an hour ago; 01.30 WIT already 2027
        (datetime(2026, 12, 31, 18, 30, tzinfo=UTC), 2027),  # 00.30 WIB an hour ago
        (datetime(2026, 12, 6, 19, 0, tzinfo=UTC), 2026),
    ],
)
def test_every_activity_falls_in_the_plans_year_in_its_regions_zone(
    monkeypatch: pytest.MonkeyPatch, utc: datetime, year: int
) -> None:
    stop_region_clock(monkeypatch, utc)
    rng = random.Random(7)
    window = year_so_far()
    assert window[0].year == year
    # The stream's first and last moments (it ends before its end) in the year in every region's zone.
    first, last = window[0], window[1] - timedelta(microseconds=1)
    assert {moment.astimezone(zone).year for moment in (first, last) for zone in ZONES.values()} == {year}
    setup, people = planning_events(2, window[0].year, rng)
    assert {event.year for event in setup if isinstance(event, WorkPlanApproved)} == {year}
    stream = activity_stream(people, 2_000, rng, window)
    reports = [event for event, _ in stream if isinstance(event, ActivityReported)]
    assert reports
    assert {report.occurred_at.astimezone(ZONES[report.region_id]).year for report in reports} == {year}


@pytest.mark.parametrize(
    ("utc", "year"),
    [
        (datetime(2027, 1, 10, 12, 0, tzinfo=UTC), 2027),  # the real clock's "now - 20 days" was 2026
        (datetime(2026, 12, 6, 19, 0, tzinfo=UTC), 2026),
    ],
)
def test_every_correction_dates_its_activity_in_the_plans_year(
    monkeypatch: pytest.MonkeyPatch, utc: datetime, year: int
) -> None:
    stop_region_clock(monkeypatch, utc)
    rng = random.Random(7)
    window = year_so_far()
    _, people = planning_events(2, window[0].year, rng)
    stream = activity_stream(people, 2_000, rng, window)
    corrections = [event for event, _ in stream if isinstance(event, ActivityCorrected)]
    assert corrections
    assert {
        correction.occurred_at.astimezone(ZONES[correction.region_id]).year for correction in corrections
    } == {year}
