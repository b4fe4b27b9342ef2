"""Period arithmetic: keys, boundaries, parsing."""

from datetime import date

import pytest

from services.scoring.domain.periods import (
    Period,
    PeriodKind,
    parse_period_key,
    period_key,
    period_of,
    periods_in_year,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (PeriodKind.MONTHLY, "2026-M07"),
        (PeriodKind.QUARTERLY, "2026-Q3"),
        (PeriodKind.SEMESTER, "2026-S2"),
        (PeriodKind.YEAR, "2026"),
    ],
)
def test_a_date_maps_to_the_key_of_its_period(kind: PeriodKind, expected: str) -> None:
    assert period_key(date(2026, 7, 15), kind) == expected


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2026-M02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-M02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-S1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-S2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_period_starts_and_ends_on_calendar_boundaries(key: str, start: date, end: date) -> None:
    period = parse_period_key(key)
    assert (period.start, period.end) == (start, end)
    assert period.key == key


def test_boundary_days_belong_to_their_own_period() -> None:
    assert period_of(date(2026, 3, 31), PeriodKind.QUARTERLY).key == "2026-Q1"
    assert period_of(date(2026, 4, 1), PeriodKind.QUARTERLY).key == "2026-Q2"
    assert period_of(date(2026, 12, 31), PeriodKind.MONTHLY).contains(date(2026, 12, 31))


def test_the_period_after_the_last_of_a_year_is_the_first_of_the_next() -> None:
    assert Period(2026, PeriodKind.QUARTERLY, 4).next() == Period(2027, PeriodKind.QUARTERLY, 1)
    assert Period(2026, PeriodKind.QUARTERLY, 4).year_period().key == "2026"


def test_a_year_has_twelve_months_four_quarters_and_two_semesters() -> None:
    assert len(periods_in_year(2026, PeriodKind.MONTHLY)) == 12
    assert [p.key for p in periods_in_year(2026, PeriodKind.QUARTERLY)] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    assert len(periods_in_year(2026, PeriodKind.SEMESTER)) == 2


@pytest.mark.parametrize("key", ["2026-Q5", "2026-M13", "2026-M7", "2026-X1", "26-Q1", ""])
def test_invalid_or_non_canonical_keys_are_rejected(key: str) -> None:
    with pytest.raises(Refusal) as refused:
        parse_period_key(key)
    assert (refused.value.code, refused.value.field) == ("invalid_period", "period")
    assert refusal_body(refused.value)["message_id"] == f"Bukan periode yang sah: {key!r}."
