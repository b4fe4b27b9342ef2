"""The periods the pages offer (a year, or the region's own periods in it) and their names in the
person's language: "Semester I 2026", "Triwulan IV 2026", "Desember 2026"."""

from __future__ import annotations

import pytest

from services.web.entrypoints.raters.common import checked_period
from services.web.i18n import Formatter
from services.web.periods import chosen_period, current_period, period_choices, periods_of_year


@pytest.mark.parametrize(
    ("key", "indonesian", "english"),
    [
        ("2026", "Tahun 2026", "Year 2026"),
        ("2026-S1", "Semester I 2026", "Semester 1, 2026"),
        ("2026-Q4", "Triwulan IV 2026", "Quarter 4, 2026"),
        ("2026-M12", "Desember 2026", "December 2026"),
        ("2026-M07", "Juli 2026", "July 2026"),
        ("not-a-period", "not-a-period", "not-a-period"),
    ],
)
def test_a_period_is_named_in_the_persons_language(key: str, indonesian: str, english: str) -> None:
    assert Formatter("id").period(key) == indonesian
    assert Formatter("en").period(key) == english


def test_each_kind_of_region_has_its_own_periods_in_a_year() -> None:
    assert periods_of_year(2026, "semester") == ["2026-S1", "2026-S2"]
    assert periods_of_year(2026, "quarterly") == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert periods_of_year(2026, "monthly")[::11] == ["2026-M01", "2026-M12"]


def test_a_period_the_region_does_not_keep_falls_back_to_the_current_one() -> None:
    today = current_period("semester", "Asia/Jayapura")
    assert chosen_period("2025", "semester", "Asia/Jayapura") == "2025"
    assert chosen_period("2025-S2", "semester", "Asia/Jayapura") == "2025-S2"
    # A quarter in a region counted in semesters: scoring and feedback keep nothing for it.
    assert chosen_period("2025-Q3", "semester", "Asia/Jayapura") == today
    assert chosen_period("<script>", "semester", "Asia/Jayapura") == today
    assert chosen_period(None, "semester", "Asia/Jayapura") == today


def test_the_choices_are_this_year_and_the_last_without_periods_to_come() -> None:
    choices = period_choices("quarterly", shown="2024-Q2", today="2026-Q3")
    assert choices == [
        (2026, ["2026", "2026-Q1", "2026-Q2", "2026-Q3"]),
        (2025, ["2025", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]),
        (2024, ["2024", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]),  # the shown period's year
    ]


@pytest.mark.parametrize("text", ["2026", "2026-S2", "2026-Q4", "2026-M12"])
def test_a_raters_page_takes_a_period_key(text: str) -> None:
    assert checked_period(text) == text


@pytest.mark.parametrize("text", ["", "2026-Q5", "2026-M13", "2026-m07", "0999", "2026-Q4\n", "<script>"])
def test_a_raters_page_takes_nothing_else(text: str) -> None:
    assert checked_period(text) is None
