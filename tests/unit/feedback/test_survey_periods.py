"""Survey periods follow the region's local calendar day and period length, never UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.feedback.domain.calendar import WIB, WIT, WITA
from services.feedback.domain.periods import PeriodKind, parse_period, period_at
from shared.i18n import refusal_body
from shared.refusals import Refusal

# 31 March 16:30 UTC is still 31 March 23:30 in Jakarta but already 1 April in Makassar and Jayapura.
NEAR_QUARTER_END = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(("timezone", "expected"), [(WIB, "2026-Q1"), (WITA, "2026-Q2"), (WIT, "2026-Q2")])
def test_a_response_near_midnight_belongs_to_the_quarter_of_the_regions_local_day(timezone, expected):
    assert period_at(NEAR_QUARTER_END, timezone=timezone).key == expected


def test_the_utc_day_would_have_put_jayapura_in_the_wrong_quarter():
    late_evening_utc = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)  # 1 July 03:00 WIT
    assert late_evening_utc.month == 6
    assert period_at(late_evening_utc, timezone=WIT).key == "2026-Q3"


@pytest.mark.parametrize(
    ("kind", "key", "first", "last"),
    [
        (PeriodKind.MONTHLY, "2026-M02", date(2026, 2, 1), date(2026, 2, 28)),
        (PeriodKind.QUARTERLY, "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (PeriodKind.SEMESTER, "2026-S1", date(2026, 1, 1), date(2026, 6, 30)),
    ],
)
def test_each_period_kind_has_the_platforms_key_and_its_local_bounds(kind, key, first, last):
    period = period_at(datetime(2026, 2, 15, 3, 0, tzinfo=UTC), timezone=WIB, kind=kind)
    assert (period.key, period.first_day, period.last_day) == (key, first, last)
    assert parse_period(key) == period


@pytest.mark.parametrize(
    "key", ["0000-M01", "2026-Q5", "2026-M13", "2026-M7", "2026-S3", "2026-q1", "Q1-2026"]
)
def test_keys_that_name_no_period_are_refused_naming_the_field(key):
    with pytest.raises(Refusal) as refused:
        parse_period(key)
    assert refused.value.field == "period"
    assert "Periode" in refusal_body(refused.value)["message_id"]


def test_naive_instants_and_unknown_time_zones_are_refused():
    with pytest.raises(Refusal):
        period_at(datetime(2026, 1, 1, 12, 0))
    with pytest.raises(Refusal):
        period_at(NEAR_QUARTER_END, timezone="Mars/Olympus")


def test_the_year_is_a_period_from_its_first_to_its_last_day():
    year = parse_period("2026")
    assert (year.key, year.first_day, year.last_day, year.is_year) == (
        "2026",
        date(2026, 1, 1),
        date(2026, 12, 31),
        True,
    )
    assert not parse_period("2026-Q4").is_year
