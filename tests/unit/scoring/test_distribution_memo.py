"""A unit's distribution check is remembered by its counts and the rules' identity (the dashboards
check every unit on every read): the same counts against the same rules give the same report, other
counts or other rules a report of their own, equal to the check made anew."""

from __future__ import annotations

from collections import Counter

from services.scoring.domain.distribution import check_distribution
from services.scoring.domain.periods import parse_period_key
from services.scoring.domain.predicate import OrganisationPredicate, Predicate
from services.scoring.domain.rules import RuleBook
from services.scoring.service_layer.queries.common import distribution_report

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
