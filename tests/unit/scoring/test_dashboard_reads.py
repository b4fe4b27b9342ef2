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
        st.decimals(min_value=0, max_value=Decimal("9999"), places=4, allow_nan=False, allow_infinity=False),
        max_size=500,
    )
)
def test_means_are_the_exact_mean_rounded(values: list[Decimal]) -> None:
    exact = to_decimal(sum((Fraction(v) for v in values), Fraction(0)) / len(values)) if values else None
    assert mean_of(sum(values, Decimal(0)) if values else None, len(values)) == exact
