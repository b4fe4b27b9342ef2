"""Property: the incremental accumulator equals recomputation from the full list."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.achievement import (
    Aggregation,
    Contribution,
    IndicatorAccumulator,
    compute_realisation,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Aggregation, list[Contribution], list[Contribution]]:
    """An aggregation, its distinct contributions, and a delivery with duplicates in any order."""
    aggregation = draw(st.sampled_from(Aggregation))
    ids = draw(st.lists(st.text("abcdef", min_size=1, max_size=3), unique=True, max_size=12))
    quantities = st.fractions(min_value=0, max_value=1000, max_denominator=100)
    distinct = [
        Contribution(
            id=cid,
            # Few distinct minutes so equal timestamps (and the id tie-break) occur often.
            occurred_at=T0 + timedelta(minutes=draw(st.integers(0, 3))),
            quantity=draw(quantities),
            verified=draw(st.booleans()),
            denominator=draw(quantities) if aggregation is Aggregation.RATIO else None,
        )
        for cid in ids
    ]
    duplicates = draw(st.lists(st.sampled_from(distinct), max_size=6)) if distinct else []
    delivery = draw(st.permutations(distinct + duplicates))
    return aggregation, distinct, delivery


@given(scenario())
def test_accumulating_in_any_order_with_duplicates_equals_recomputing_from_the_list(
    case: tuple[Aggregation, list[Contribution], list[Contribution]],
) -> None:
    aggregation, distinct, delivery = case
    accumulator = IndicatorAccumulator(aggregation)
    for item in delivery:
        accumulator.add(item)
    assert accumulator.realisation() == compute_realisation(aggregation, distinct)
    assert compute_realisation(aggregation, delivery) == compute_realisation(aggregation, distinct)


@given(scenario(), st.data())
def test_late_verification_gives_the_same_result_in_any_order(
    case: tuple[Aggregation, list[Contribution], list[Contribution]], data: st.DataObject
) -> None:
    aggregation, distinct, _ = case
    unverified = [replace(c, verified=False) for c in distinct]
    stream = data.draw(st.permutations(unverified + [c for c in distinct if c.verified]))
    accumulator = IndicatorAccumulator(aggregation)
    for item in stream:
        accumulator.add(item)
    assert accumulator.realisation() == compute_realisation(aggregation, distinct)


def test_fractions_keep_sums_exact() -> None:
    accumulator = IndicatorAccumulator(Aggregation.SUM)
    for index in range(10):
        accumulator.add(Contribution(str(index), T0, Fraction(1, 10)))
    assert accumulator.realisation().value == 1
