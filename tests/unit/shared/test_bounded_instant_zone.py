"""A device's time (``BoundedInstant``) parsed by pydantic comes in the standard library's zone of
its offset (``device_zone``'s), not pydantic's own: the same instant, offset, text and refusals as
the reading before (pydantic's time, its window checked), kept here as the oracle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, AwareDatetime, TypeAdapter, ValidationError

from shared.dates import BoundedInstant, _check, _check_offset
from shared.region_time import device_zone


def _checked_before(value: datetime) -> datetime:
    _check(value.date())
    _check_offset(value.utcoffset())  # an offset no zone has refused (tested on its own below)
    return value


_BEFORE = TypeAdapter(Annotated[AwareDatetime, AfterValidator(_checked_before)])
_NOW = TypeAdapter(BoundedInstant)
_SHOWN = TypeAdapter(datetime)


def _read(adapter: TypeAdapter[Any], text: str, mode: str) -> object:
    """The time read from a JSON string (a body) or a Python one (a query), or its errors."""
    try:
        if mode == "json":
            return adapter.validate_json(json.dumps(text))
        return adapter.validate_python(text)
    except ValidationError as refused:
        return refused.errors(include_url=False)


def _assert_read_as_before(text: str, mode: str) -> None:
    before, now = _read(_BEFORE, text, mode), _read(_NOW, text, mode)
    if not isinstance(before, datetime):
        assert now == before, text
        return
    assert isinstance(now, datetime), text
    offset = before.utcoffset()
    assert offset is not None
    assert now.tzinfo is device_zone(offset // timedelta(minutes=1)), text
    assert (now, now.utcoffset(), now.fold) == (before, offset, before.fold), text
    assert (now.timetuple(), now.microsecond) == (before.timetuple(), before.microsecond), text
    assert (now.isoformat(), str(now)) == (before.isoformat(), str(before)), text
    assert orjson.dumps(now) == orjson.dumps(before), text
    assert _SHOWN.dump_json(now) == _SHOWN.dump_json(before), text


def _offset(minutes: int, form: str) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return {"colon": f"{sign}{hours:02d}:{rest:02d}", "plain": f"{sign}{hours:02d}{rest:02d}"}[form]


@settings(max_examples=600, deadline=None)
@given(
    at=st.datetimes(min_value=datetime(1999, 12, 25), max_value=datetime(2040, 1, 5)),
    minutes=st.one_of(st.integers(-1439, 1439), st.sampled_from([0, 420, 480, 540, 345, -210])),
    form=st.sampled_from(["colon", "plain"]),
    mode=st.sampled_from(["json", "python"]),
)
@example(at=datetime(1999, 12, 31, 23, 59, 59), minutes=0, form="colon", mode="json")
@example(at=datetime(2000, 1, 1), minutes=-1, form="colon", mode="json")
def test_any_time_reads_as_before(at: datetime, minutes: int, form: str, mode: str) -> None:
    _assert_read_as_before(at.isoformat() + _offset(minutes, form), mode)


@pytest.mark.parametrize("mode", ["json", "python"])
@pytest.mark.parametrize(
    "text",
    [
        "2026-03-04T08:15:00Z",
        "2026-03-04T08:15:00z",
        "2026-03-04T08:15:00-00:00",
        "2026-03-04T08:15:00+07",
        "2026-03-04T08:15:00.5+07:00",
        "2026-03-04 08:15:00+0700",
        "2026-03-04T08:15:00+23:59",
        "2026-03-04T08:15:00-23:59",
        "2026-03-04T08:15:00+24:00",
        "2026-03-04T08:15:00+07:00:30",
        "2026-03-04T08:15:00+07:60",
        "2026-03-04T08:15:00",
        "2026-03-04",
        "2026-02-29T08:15:00+07:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T10:00:00+07:00",
        "1999-12-31T23:59:59-01:00",
        "1772600000",
        "x",
    ],
)
def test_an_edge_reads_as_before(text: str, mode: str) -> None:
    _assert_read_as_before(text, mode)


def test_a_number_reads_as_before() -> None:
    before, now = _BEFORE.validate_json(b"1772600000"), _NOW.validate_json(b"1772600000")
    assert (now, now.utcoffset(), now.isoformat()) == (before, before.utcoffset(), before.isoformat())
    assert now.tzinfo is UTC


@pytest.mark.parametrize(
    "zone", [ZoneInfo("Asia/Jayapura"), timezone(timedelta(hours=7)), timezone(timedelta(seconds=30))]
)
def test_a_time_with_a_zone_of_its_own_keeps_it(zone: Any) -> None:
    sent = datetime(2026, 3, 4, 8, 15, tzinfo=zone)
    assert _NOW.validate_python(sent).tzinfo is zone


@pytest.mark.parametrize("mode", ["json", "python"])
@pytest.mark.parametrize("offset", ["-12:00", "+14:00", "+05:45", "Z", "+00:00"])
def test_the_offsets_of_the_worlds_zones_are_taken(offset: str, mode: str) -> None:
    read = _read(_NOW, "2026-03-04T08:15:00" + offset, mode)
    assert isinstance(read, datetime), read


@pytest.mark.parametrize("mode", ["json", "python"])
@pytest.mark.parametrize("offset", ["-12:01", "+14:01", "+15:59", "+16:00", "+23:59", "-23:59", "-1601"])
def test_an_offset_no_zone_has_is_refused(offset: str, mode: str) -> None:
    """PostgreSQL reads no offset beyond 15:59 (the intake sends the time as text): such a time
    failed the whole batch it came in with 422 unstorable_value, naming no field and no item."""
    read = _read(_NOW, "2026-03-04T08:15:00" + offset, mode)
    assert isinstance(read, list), read
    assert "-12:00 .. +14:00" in read[0]["ctx"]["message"], read
    assert "-12:00 .. +14:00" in read[0]["ctx"]["message_id"], read


def test_a_time_with_a_zone_of_its_own_is_refused_outside_the_worlds_offsets() -> None:
    with pytest.raises(ValidationError, match=r"-12:00 \.\. \+14:00"):
        _NOW.validate_python(datetime(2026, 3, 4, 8, 15, tzinfo=timezone(timedelta(hours=-13))))
