"""Rows read for a refresh as named tuples, whose fields are cheap to read again and again."""

from __future__ import annotations

from collections import namedtuple
from functools import cache
from typing import Any

from sqlalchemy.engine import Result


def named_rows(result: Result[Any]) -> list[Any]:
    """The rows of ``result`` as named tuples (same values, names and order, read by name alike).

    A SQLAlchemy row finds a column by name only after Python's own attribute look-up has failed
    (an ``AttributeError`` raised and caught inside), about ten times a tuple's field; the refresh
    reads a stored progress row's dozen totals, each plan row's ids and each summary's facts by
    name, several times a row, so the rows it reads most are made plain once.
    """
    make = _named_tuple(tuple(result.keys()))._make
    return [make(row) for row in result]


@cache
def _named_tuple(fields: tuple[str, ...]) -> Any:
    # One class a statement's columns (the refresh's statements are few and fixed).
    return namedtuple("Row", fields)
