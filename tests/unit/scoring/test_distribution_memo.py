"""A unit's distribution check is remembered by its counts and the rules' identity (the dashboards
check every unit on every read): the same counts against the same rules give the same report, other
counts or other rules a report of their own, equal to the check made anew."""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.scoring.domain.distribution import check_distribution
from services.scoring.domain.periods import parse_period_key
from services.scoring.domain.predicate import OrganisationPredicate, Predicate
from services.scoring.domain.rules import RuleBook
from services.scoring.service_layer.queries.common import distribution_of, distribution_report
from shared.i18n import phrase_message

PERIOD = parse_period_key("2026-Q2")
COUNTS = Counter({Predicate.SANGAT_BAIK: 3, Predicate.BAIK: 10, Predicate.KURANG: 1})


async def report(counts: Counter[Predicate], book: RuleBook) -> object:
    return await distribution_report(None, "r1", PERIOD, "baik", counts, rule_book=book)  # type: ignore[arg-type]


async def test_the_same_counts_against_the_same_rules_are_checked_once() -> None:
    book = RuleBook()
    first = await report(COUNTS, book)
    assert await report(Counter(dict(COUNTS)), book) is first
    rules = book.for_period("r1", PERIOD).distribution
    assert first == check_distribution(OrganisationPredicate.BAIK, COUNTS, rules)


async def test_other_counts_are_checked_anew() -> None:
    book = RuleBook()
    fewer = Counter({Predicate.SANGAT_BAIK: 9, Predicate.KURANG: 1})
    found = await report(fewer, book)
    rules = book.for_period("r1", PERIOD).distribution
    assert found == check_distribution(OrganisationPredicate.BAIK, fewer, rules)
    assert found != await report(COUNTS, book)


async def test_a_report_is_shown_once_its_warnings_phrased_as_anew() -> None:
    """The answer's check (warnings in English and Indonesian) is made once a remembered report."""
    book = RuleBook()
    all_baik = Counter({Predicate.BAIK: 10})  # two violations for an organisation rated BAIK
    first = await distribution_of(None, "r1", PERIOD, "baik", all_baik, rule_book=book)  # type: ignore[arg-type]
    again = await distribution_of(None, "r1", PERIOD, "baik", Counter(all_baik), rule_book=book)  # type: ignore[arg-type]
    assert first is not None
    assert again is first
    found: Any = await report(all_baik, book)
    assert len(first.warnings) == len(found.violations) == 2
    for warning, result in zip(first.warnings, found.violations, strict=True):
        assert warning.message_en == phrase_message(result.explanation, "en")
        assert warning.message_id == phrase_message(result.explanation, "id")
        assert (warning.actual_count, warning.required_count) == (result.actual_count, result.required_count)
