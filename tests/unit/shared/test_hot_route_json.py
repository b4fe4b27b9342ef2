"""A hot route reads a JSON body into the very values Starlette's ``json.loads`` gives, though orjson
reads most bodies (shared/hot_route.py)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.hot_route import _json_values


def _same(left: Any, right: Any) -> bool:
    """Equal values of the same types all the way down (1 and 1.0 differ; NaN equals NaN)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    return bool(left == right) and (
        not isinstance(left, float) or math.copysign(1, left) == math.copysign(1, right)
    )


def _read_both(body: bytes) -> tuple[Any, Any]:
    try:
        expected: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        expected = type(exc)
    try:
        got: Any = _json_values(body)
    except (ValueError, RecursionError) as exc:
        got = type(exc)
    return expected, got


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',
        b"1e400",
        b"-1e400",
        b"NaN",
        b"[Infinity, -Infinity]",
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        '{"a": 1}'.encode("utf-16"),
        b"18446744073709551615",
        b"18446744073709551616",
        b"-9223372036854775809",
        b'{"quantity": 123456789012345678901234567890}',
        b'{"quantity": 0.12345678901234567890123}',
        b'{"quantity":\n 123456789012345678901234567890}',
        b"[1, -12345678901234567890123]",
        b'{"id": "a12345678901234567890123", "n": [0, 12345678901234567890]}',
        b"[1.0000000000000002, 0.1, 1e-320, 5e-324, -0.0, -0]",
        b'{"x": "\\u0000", "y": "\xc3\xa9"}',
        b'"\xff"',
        b"[" * 2000 + b"]" * 2000,
        b"",
        b"{",
    ],
)
def test_edge_bodies_read_as_json_loads_reads_them(body: bytes) -> None:
    expected, got = _read_both(body)
    assert _same(expected, got) or (isinstance(expected, type) and expected is got), (expected, got)


_NUMBER_TEXT = st.builds(
    lambda sign, digits, point, exponent: (
        f"{sign}{digits[:point] or '0'}{'.' + digits[point:] if point < len(digits) else ''}{exponent}"
    ),
    st.sampled_from(["", "-"]),
    st.from_regex(r"[1-9][0-9]{0,24}", fullmatch=True),
    st.integers(0, 25),
    st.sampled_from(["", "e5", "E-7", "e+300", "e-330", "e400"]),
)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=2000, deadline=None)
@given(_NUMBER_TEXT)
def test_numbers_read_as_json_loads_reads_them(text: str) -> None:
    expected, got = _read_both(f'{{"quantity": {text}}}'.encode())
    assert _same(expected, got) or (isinstance(expected, type) and expected is got), (text, expected, got)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_documents_read_as_json_loads_reads_them(value: Any) -> None:
    expected, got = _read_both(json.dumps(value, ensure_ascii=False).encode(errors="surrogatepass"))
    assert _same(expected, got) or (isinstance(expected, type) and expected is got), (value, expected, got)
