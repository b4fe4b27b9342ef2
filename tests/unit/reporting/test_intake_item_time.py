"""An accepted item's time travels to the database as microseconds since 2000-01-01 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import AwareDatetime, TypeAdapter

from services.reporting.adapters.intake_store import ACTIVITY_COLUMNS, _item
from shared.region_time import utc_offset_minutes

_2000 = datetime(2000, 1, 1, tzinfo=UTC)
_OCCURRED_AT = list(ACTIVITY_COLUMNS).index("occurred_at")
_AWARE = TypeAdapter(AwareDatetime)


def _row(sent: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """An activity's values as the intake holds them, and the same with numbers as text."""
    values: dict[str, Any] = dict.fromkeys(ACTIVITY_COLUMNS)
    values |= {"occurred_at": sent, "occurred_utc_offset": utc_offset_minutes(sent)}
    return values, values


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-05T10:11:12.345678+07:00",
        "2026-12-05T23:59:59.999999-03:30",
        "2026-01-01T00:30:00.000001+09:00",  # still 31 December in UTC
        "2000-01-01T00:00:00+00:00",
        "1999-12-31T23:59:59.999999+00:00",
        "2036-02-29T12:00:00.5+05:45",
    ],
)
def test_the_time_is_its_microseconds_since_2000_as_validated(text: str) -> None:
    occurred_at = datetime.fromisoformat(text)
    validated = _validated(text)
    item, microseconds = _item(*_row(validated))
    assert microseconds == (occurred_at - _2000) // timedelta(microseconds=1)
    assert item[_OCCURRED_AT] is None  # carried by the integer alone


def _validated(text: str) -> datetime:
    """The time as the API's validation makes it (pydantic's offset type, not the stdlib's)."""
    return _AWARE.validate_json(b'"%s"' % text.encode())


@given(
    st.datetimes(min_value=datetime(1716, 1, 1), max_value=datetime(2284, 12, 31)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
def test_any_time_and_offset_in_the_exact_range(local: datetime, minutes: int) -> None:
    sent = local.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    item, microseconds = _item(*_row(sent))
    assert microseconds == (sent - _2000) // timedelta(microseconds=1)
    assert abs(microseconds) < 2**53
    assert item[_OCCURRED_AT] is None


def test_a_time_outside_the_exact_range_travels_as_the_time() -> None:
    for sent in (
        datetime(1700, 6, 1, tzinfo=UTC),
        datetime(2300, 6, 1, 12, tzinfo=timezone(timedelta(hours=7))),
    ):
        item, _ = _item(*_row(sent))
        assert item[_OCCURRED_AT] == sent
