"""Dates, numbers and times in the page's language and the region's own zone (Babel)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.web.i18n import Formatter, language_of


def test_dates_and_numbers_follow_the_language() -> None:
    indonesian, english = Formatter("id"), Formatter("en")
    assert indonesian.date(date(2026, 12, 2)) == "2 Desember 2026"
    assert english.date(date(2026, 12, 2)) == "2 December 2026"
    assert indonesian.number(1234.5) == "1.234,5"
    assert english.number(1234.5) == "1,234.5"
    assert indonesian.number(Decimal("88.3"), 2) == "88,30"
    assert indonesian.percent(Decimal("0.875")) == "87,5%"


def test_a_moment_is_shown_in_the_regions_zone_with_its_name() -> None:
    moment = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)
    assert Formatter("id", "Asia/Jayapura").datetime(moment) == "3 Desember 2026 01.30 WIT"
    assert Formatter("id", "Asia/Makassar").datetime(moment) == "3 Desember 2026 00.30 WITA"
    assert Formatter("en", "Asia/Jakarta").datetime(moment) == "2 December 2026 23:30 WIB"
    # The date of a moment is the region's date, not UTC's.
    assert Formatter("id", "Asia/Jayapura").date(moment) == "3 Desember 2026"


def test_indonesian_is_the_default_and_unknown_choices_fall_back_to_it() -> None:
    assert language_of(None) == "id"
    assert language_of("en") == "en"
    assert language_of("fr") == "id"


def test_a_wait_is_said_in_its_largest_sensible_unit() -> None:
    # The 429 page after a citizen's daily budget: "besok"-sized, not "1440 menit".
    assert Formatter("id").wait(86_400) == "dalam 1 hari"
    assert Formatter("en").wait(86_400) == "in 1 day"
    assert Formatter("id").wait(5 * 3600) == "dalam 5 jam"
    assert Formatter("id").wait(45) == "dalam 45 detik"
    assert Formatter("en").wait(120) == "in 2 minutes"
