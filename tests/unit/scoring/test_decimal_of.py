"""An exact fraction as a decimal: the same number whether or not ``exact`` made the fraction."""

from decimal import Decimal
from fractions import Fraction

import pytest

from services.scoring.service_layer.views.values import decimal_of, exact


@pytest.mark.parametrize("stored", ["3.0000", "2.5000", "-0.1250", "0.0000", "123456789012.3456"])
def test_a_fraction_exact_made_gives_back_its_decimal(stored: str) -> None:
    fraction = exact(Decimal(stored))
    assert decimal_of(fraction) == Decimal(stored)
    assert Fraction(decimal_of(fraction)) == fraction


@pytest.mark.parametrize(
    ("fraction", "decimal"),
    [(Fraction(7, 4), Decimal("1.75")), (Fraction(5), Decimal(5)), (Fraction(-1, 8), Decimal("-0.125"))],
)
def test_any_other_fraction_is_divided_out(fraction: Fraction, decimal: Decimal) -> None:
    assert decimal_of(fraction) == decimal
    # An equal fraction that is another object is never taken for the one ``exact`` made.
    assert decimal_of(Fraction(fraction.numerator, fraction.denominator)) == decimal
