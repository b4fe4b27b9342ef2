"""Property: the totals a view row stores give exactly the realisation of the list behind them."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.achievement import (
    Aggregation,
    Contribution,
    RealisationTotals,
    compute_realisation,
    realisation_from_totals,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def contributions(draw: st.DrawFn) -> tuple[Aggregation, list[Contribution]]:
    aggregation = draw(st.sampled_from(Aggregation))
    quantities = st.fractions(min_value=0, max_value=500, max_denominator=100)
    ids = draw(st.lists(st.text("abcxyz", min_size=1, max_size=3), unique=True, max_size=10))
    return aggregation, [
        Contribution(
            id=cid,
            occurred_at=T0 + timedelta(minutes=draw(st.integers(0, 3))),
            quantity=draw(quantities),
            verified=draw(st.booleans()),
            denominator=draw(quantities) if aggregation is Aggregation.RATIO else None,
        )
        for cid in ids
    ]


@given(contributions())
def test_realisation_from_totals_equals_recomputing_from_the_list(
    case: tuple[Aggregation, list[Contribution]],
) -> None:
    aggregation, items = case
    assert realisation_from_totals(aggregation, RealisationTotals.of(items)) == compute_realisation(
        aggregation, items
    )
