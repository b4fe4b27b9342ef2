"""Pagination cursors survive a round trip and refuse anything this service did not produce."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.reporting.domain.cursor import InvalidCursor, decode_cursor, encode_cursor


def test_a_cursor_round_trips():
    at = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, "act-0001")) == (at, "act-0001")


@pytest.mark.parametrize("cursor", ["", "not-base64!!", "WzEsMl0", "WyIyMDI2LTAzLTAxVDA4OjMwOjE1IiwgImEiXQ"])
def test_foreign_or_naive_cursors_are_refused(cursor):
    # The last two decode to [1, 2] and to a time without a UTC offset.
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)
