"""The JSON rows parameter: each row an array of its values in the order of the columns, decimals
as their exact text, a type it does not store refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import orjson
import pytest

from shared.json_rows import json_row_values, json_rows


def test_decimals_go_as_their_exact_text_beside_native_values() -> None:
    at = datetime(2026, 12, 5, 21, 30, tzinfo=UTC)
    sent = [{"q": Decimal("1.50"), "r": Decimal("-0.0001"), "s": Decimal("1E+3"), "n": 3, "at": at}]

    assert orjson.loads(json_rows(sent, ("q", "r", "s", "n", "at"))) == [
        ["1.50", "-0.0001", "1E+3", 3, "2026-12-05T21:30:00+00:00"]
    ]


def test_a_type_it_does_not_store_is_refused() -> None:
    with pytest.raises(TypeError):
        json_rows([{"share": Fraction(1, 3)}], ("share",))


def test_arrays_hold_each_rows_values_in_the_columns_order() -> None:
    at = datetime(2026, 12, 5, 21, 30, tzinfo=UTC)
    sent = [{"q": Decimal("1.50"), "at": at, "n": None}, {"n": 3, "q": Decimal("2"), "at": at}]

    assert orjson.loads(json_rows(sent, ("n", "q", "at"))) == [
        [None, "1.50", "2026-12-05T21:30:00+00:00"],
        [3, "2", "2026-12-05T21:30:00+00:00"],
    ]
    assert orjson.loads(json_rows(sent, ("n",))) == [[None], [3]]


@pytest.mark.parametrize("columns", [("n", "q"), ("q",)], ids=["several columns", "one column"])
def test_a_row_lacking_a_column_is_refused_not_stored_as_null(columns: tuple[str, ...]) -> None:
    """The rows as objects, before, stored a missing column as NULL without a word."""
    with pytest.raises(KeyError):
        json_rows([{"n": 3}], columns)


def test_rows_already_in_the_columns_order_are_written_as_json_rows_writes_them() -> None:
    at = datetime(2026, 12, 5, 21, 30, tzinfo=UTC)
    sent = [{"q": Decimal("1.50"), "at": at, "n": None}, {"n": 3, "q": Decimal("1E+3"), "at": at}]
    columns = ("n", "q", "at")

    held = [tuple(row[name] for name in columns) for row in sent]

    assert json_row_values(held) == json_rows(sent, columns)
    with pytest.raises(TypeError):
        json_row_values([(Fraction(1, 3),)])
