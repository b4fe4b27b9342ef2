"""The dashboards' mean from an exact SQL sum is the exact mean, rounded as the views round.

The ranking's order, computed by PostgreSQL with the unit rollups, is checked against the rewards
module's in tests/integration/test_scoring_rollups.py."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.service_layer.queries.common import mean_of
from services.scoring.service_layer.views import to_decimal


@given(
    st.lists(
        st.decimals(
            min_value=Decimal("-9999"),
            max_value=Decimal("9999"),
            places=4,
            allow_nan=False,
            allow_infinity=False,
        ),
        max_size=500,
    )
)
def test_means_are_the_exact_mean_rounded(values: list[Decimal]) -> None:
    exact = to_decimal(sum((Fraction(v) for v in values), Fraction(0)) / len(values)) if values else None
    mean = mean_of(sum(values, Decimal(0)) if values else None, len(values))
    assert mean == exact
    assert str(mean) == str(exact)  # the answer's JSON writes the decimal's text


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_a_mean_is_the_exact_fractions_rounding_for_any_sum_and_count(units: int, count: int) -> None:
    total = Decimal(units).scaleb(-4)
    assert str(mean_of(total, count)) == str(to_decimal(Fraction(total) / count))


def test_a_mean_halfway_between_two_places_rounds_to_the_even_one() -> None:
    assert str(mean_of(Decimal("0.0001"), 2)) == "0.0000"
    assert str(mean_of(Decimal("0.0003"), 2)) == "0.0002"
    assert str(mean_of(Decimal("-0.0003"), 2)) == "-0.0002"
