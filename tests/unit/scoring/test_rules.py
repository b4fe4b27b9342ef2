"""Dated, per-region rule sets."""

from datetime import date
from fractions import Fraction

import pytest

from services.scoring.domain.periods import Period, PeriodKind
from services.scoring.domain.rating import RatingThresholds
from services.scoring.domain.rules import (
    NATIONAL_DEFAULT,
    NoRuleInForceError,
    RetroactiveRuleError,
    RuleBook,
    RuleSet,
)

MEDAN_2025 = RuleSet(effective_from=date(2025, 1, 1), period_kind=PeriodKind.MONTHLY)
MEDAN_2026_07 = RuleSet(
    effective_from=date(2026, 7, 1),
    period_kind=PeriodKind.QUARTERLY,
    rating=RatingThresholds(above_min_achievement=Fraction(6, 5)),
)
BOOK = RuleBook({"medan": [MEDAN_2026_07, MEDAN_2025]})


def test_the_rule_book_picks_the_rule_set_in_force_on_the_date() -> None:
    assert BOOK.in_force("medan", date(2026, 6, 30)) is MEDAN_2025
    assert BOOK.in_force("medan", date(2026, 7, 1)) is MEDAN_2026_07


def test_a_period_is_scored_by_the_rule_set_in_force_on_its_first_day() -> None:
    assert BOOK.for_period("medan", Period(2026, PeriodKind.QUARTERLY, 2)) is MEDAN_2025
    assert BOOK.for_period("medan", Period(2026, PeriodKind.QUARTERLY, 3)) is MEDAN_2026_07
    # The year started under the old rules, so the annual assessment keeps them.
    assert BOOK.for_period("medan", Period(2026, PeriodKind.YEAR)) is MEDAN_2025


def test_a_region_without_its_own_rules_uses_the_national_defaults() -> None:
    assert BOOK.in_force("wanggar", date(2026, 1, 1)) is NATIONAL_DEFAULT
    assert BOOK.in_force("medan", date(2024, 1, 1)) is NATIONAL_DEFAULT


def test_a_date_before_any_rule_set_has_no_rules() -> None:
    with pytest.raises(NoRuleInForceError):
        BOOK.in_force("medan", date(2020, 1, 1))


def test_a_rule_change_applies_from_its_date_without_touching_earlier_periods() -> None:
    change = RuleSet(effective_from=date(2026, 10, 1), period_kind=PeriodKind.SEMESTER)
    book = BOOK.with_rule_set("medan", change, closed_through=date(2026, 9, 30))
    assert book.for_period("medan", Period(2026, PeriodKind.QUARTERLY, 3)) is MEDAN_2026_07
    assert book.in_force("medan", date(2026, 10, 1)) is change
    assert BOOK.in_force("medan", date(2026, 10, 1)) is MEDAN_2026_07


def test_a_rule_change_reaching_into_a_closed_period_is_refused() -> None:
    with pytest.raises(RetroactiveRuleError):
        BOOK.with_rule_set(
            "medan", RuleSet(effective_from=date(2026, 9, 1)), closed_through=date(2026, 9, 30)
        )


def test_two_rule_sets_on_the_same_date_are_refused() -> None:
    with pytest.raises(ValueError, match="effective_from"):
        RuleBook({"medan": [MEDAN_2025, RuleSet(effective_from=date(2025, 1, 1))]})


def test_the_year_is_not_a_region_period_kind() -> None:
    with pytest.raises(ValueError, match="period kind"):
        RuleSet(effective_from=date(2026, 1, 1), period_kind=PeriodKind.YEAR)
