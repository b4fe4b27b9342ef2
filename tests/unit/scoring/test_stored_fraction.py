"""A reported decimal as the activity's state holds it: the stored value (four places, half even)
as an exact fraction, the same whether or not its text was seen before."""

from decimal import Decimal
from fractions import Fraction

import pytest

from services.scoring.service_layer.views.values import decimal_of, exact

REPORTED = ["3", "3.0", "3.5", "3.50", "1E+2", "100", "-0", "0.00005", "0.00015", "2.71828", "-1.23456"]


@pytest.mark.parametrize("reported", REPORTED)
def test_the_stored_value_as_a_fraction(reported: str) -> None:
    stored = Decimal(reported).quantize(Decimal("0.0001"))
    first = exact(Decimal(reported))
    again = exact(Decimal(reported))  # by its text, remembered
    assert first == again == Fraction(stored)
    assert decimal_of(first) == stored


def test_equal_values_of_other_texts_are_equal_fractions() -> None:
    assert exact(Decimal("1E+2")) == exact(Decimal("100.00")) == 100
    assert exact(Decimal("0.00005")) == 0  # half even, as `quantize` rounds
