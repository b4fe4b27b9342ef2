"""The one ordering rule for dated facts from planning: newest event per date, latest date by the day."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

from shared.read_models import FactOrder, holding_on, holding_or_first


@dataclass(frozen=True)
class Assignment:
    unit: str
    order: FactOrder


def fact(unit: str, effective_from: date, second: int, event_id: str = "") -> Assignment:
    stamp = datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC)
    return Assignment(unit, FactOrder(effective_from, stamp, event_id or f"e{second}"))


def by_order(assignment: Assignment) -> FactOrder:
    return assignment.order


JOINED = fact("dukcapil", date(2026, 1, 1), 1)
MOVED_NEXT_YEAR = fact("dinkes", date(2027, 1, 1), 2)  # announced now, effective next year
CORRECTED = fact("disdik", date(2026, 1, 1), 3)  # the first assignment, corrected by a later event


def test_a_move_dated_in_the_future_holds_only_from_its_date() -> None:
    facts = [JOINED, MOVED_NEXT_YEAR]

    assert holding_on(facts, date(2026, 6, 1), by_order) == JOINED
    assert holding_on(facts, date(2026, 12, 31), by_order) == JOINED
    assert holding_on(facts, date(2027, 1, 1), by_order) == MOVED_NEXT_YEAR


def test_nothing_holds_before_the_first_fact() -> None:
    assert holding_on([JOINED], date(2025, 12, 31), by_order) is None


def test_the_newer_event_wins_on_the_same_date_in_whatever_order_they_arrive() -> None:
    facts = [JOINED, MOVED_NEXT_YEAR, CORRECTED]

    for arrival in itertools.permutations(facts):
        assert holding_on(arrival, date(2026, 6, 1), by_order) == CORRECTED
        assert holding_on(arrival, date(2027, 2, 1), by_order) == MOVED_NEXT_YEAR


def test_a_repeated_event_changes_nothing() -> None:
    facts = [JOINED, CORRECTED, JOINED, CORRECTED, JOINED]

    assert holding_on(facts, date(2026, 6, 1), by_order) == CORRECTED


def test_events_stamped_alike_are_ordered_by_their_ids() -> None:
    first, second = fact("a", date(2026, 1, 1), 5, "e-1"), fact("b", date(2026, 1, 1), 5, "e-2")

    assert holding_on([second, first], date(2026, 1, 1), by_order) == second
    assert first.order < second.order


def test_someone_who_starts_later_is_shown_with_their_first_assignment() -> None:
    starts_next_year = fact("dinkes", date(2027, 1, 1), 1)
    then_moves = fact("disdik", date(2027, 6, 1), 2)

    assert holding_or_first([then_moves, starts_next_year], date(2026, 6, 1), by_order) == starts_next_year
    assert holding_or_first([then_moves, starts_next_year], date(2027, 7, 1), by_order) == then_moves
    assert holding_or_first([], date(2026, 6, 1), by_order) is None
