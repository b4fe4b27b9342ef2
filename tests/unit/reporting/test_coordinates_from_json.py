"""A coordinate read from a submission's JSON text (``_ActivityFromJson``, by its number's shortest
digits) is the very decimal the reading before made of the number pydantic decoded (``repr`` of
the float, kept here as the oracle), or is refused, which leaves the body to the decoded reading;
never a coordinate the reading before refused."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from services.reporting.entrypoints.schemas import valid_activity
from services.reporting.service_layer.schemas import ActivityCreate
from tests.unit.reporting.test_batch_from_json import _ITEM

_BOUNDS = {"latitude": 90.0, "longitude": 180.0}
#: What pydantic hands a field's validator for a JSON value (a float as its JSON reader makes it).
_DECODED = TypeAdapter(Any)


def _read_before(name: str, value: object) -> Decimal | None:
    """Session 27's reading of a coordinate from the decoded value: a float in range with at most
    six places in its ``repr`` made a decimal of that text, any other value by ``ActivityCreate``'s
    rules (which raise ``ValidationError`` when they refuse it)."""
    bound = _BOUNDS[name]
    if type(value) is float and -bound <= value <= bound:
        text = repr(value)
        if "e" not in text and len(text) - text.index(".") <= 7:
            return Decimal(text)
    exact = TypeAdapter(Annotated[Decimal | None, *ActivityCreate.model_fields[name].metadata])
    return exact.validate_python(value)


def _assert_read_as_before(name: str, number: str) -> None:
    """``number``: a JSON value's text."""
    read = valid_activity(json.dumps({**_ITEM, name: "NUMBER"}).replace('"NUMBER"', number).encode())
    try:
        before: Decimal | None = _read_before(name, _DECODED.validate_json(number))
    except ValidationError:
        assert read is None, number  # refused before: refused now (the decoded reading answers)
        return
    if read is None:
        # Left to the decoded reading, which reads it as before: only a whole number may be (its
        # float and its int show the same digits), a string not in repr's form, or what
        # pydantic's JSON reader refused or read as some other value.
        value = _DECODED.validate_json(number)
        assert type(value) is not float or value.is_integer(), number
        return
    assert _shown(read.__dict__[name]) == _shown(before), number


def _shown(value: Decimal | None) -> tuple[type, str, object]:
    """What ``==`` of two decimals hides: their digits and exponent."""
    return (type(value), str(value), None if value is None else value.as_tuple())


_EDGES = [
    "3.59123",
    "98.67",
    "-6.2",
    "0.1",
    "0.0001",
    "0.00005",
    "5e-05",
    "1.5e-05",
    "0.000001",
    "1e-06",
    "-1e-06",
    "1e-07",
    "0.0000015",
    "0.0",
    "-0.0",
    "0",
    "98.0",
    "98",
    "89.999999",
    "-89.999999",
    "89.9999995",
    "89.99999999999999999",
    "90.0",
    "-90.0",
    "90.000001",
    "179.999999",
    "-179.999999",
    "180.0",
    "180.000001",
    "3.591230",
    "3.5912300000000000001",
    "0.1000000000000000055511151231257827",
    "1e1",
    "35.9123e-1",
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    '"3.5"',
    '"3.50"',
    '"-0.5"',
    '"-0.0"',
    '"90.0"',
    '" 3.5"',
    '"3.5 "',
    '"3.5e0"',
    '"+3.5"',
    '"03.5"',
    '"3_5.5"',
    '"\\uff13.\\uff15"',
    '"3.5\\n"',
    '"x"',
    "true",
    "null",
    "[]",
    "{}",
]


@pytest.mark.parametrize("name", list(_BOUNDS))
@pytest.mark.parametrize("number", _EDGES)
def test_an_edge_reads_as_before(name: str, number: str) -> None:
    _assert_read_as_before(name, number)


@pytest.mark.parametrize("name", list(_BOUNDS))
@pytest.mark.parametrize("number", ["3.59123", "-6.2", "0.00005", "179.999999", '"3.5"'])
def test_a_usual_coordinate_is_read_at_once(name: str, number: str) -> None:
    """Not left to the decoded reading (``longitude`` only for its own range)."""
    if name == "latitude" and number == "179.999999":
        return
    assert valid_activity(json.dumps({**_ITEM, name: "NUMBER"}).replace('"NUMBER"', number).encode())


_places = st.integers(min_value=0, max_value=8)
_floats = st.one_of(
    st.floats(min_value=-200, max_value=200),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.builds(round, st.floats(min_value=-200, max_value=200), _places),
    st.builds(round, st.floats(min_value=-1e-3, max_value=1e-3), _places),
    st.floats(allow_nan=False, allow_infinity=False),
)
_texts = st.one_of(
    _floats.map(repr),
    st.tuples(_floats, _places).map(lambda pair: f"{pair[0]:.{pair[1]}f}"),
    st.tuples(_floats, _places).map(lambda pair: f"{pair[0]:.{pair[1]}e}"),
    st.integers(min_value=-300, max_value=300).map(str),
    st.decimals(min_value=-200, max_value=200, allow_nan=False, places=6).map(lambda d: json.dumps(str(d))),
    st.decimals(min_value=-200, max_value=200, allow_nan=False, places=7).map(str),
    st.text(alphabet="0123456789.-+eE_ ", min_size=1, max_size=12).map(json.dumps),
)


@settings(max_examples=2000, deadline=None)
@given(name=st.sampled_from(list(_BOUNDS)), number=_texts)
@example(name="latitude", number="1.7976931348623157e+308")
@example(name="longitude", number="5e-324")
def test_any_coordinate_reads_as_before(name: str, number: str) -> None:
    _assert_read_as_before(name, number)
