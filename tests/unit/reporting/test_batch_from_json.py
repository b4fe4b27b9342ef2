"""A batch or a single submission read from its JSON text in one pass (``valid_batch``,
``valid_activity``) holds the very items the decoded body gives, or is left to the decoded reading
(None): no body is read two ways."""

from __future__ import annotations

import json
from datetime import date, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.reporting.entrypoints.schemas import BatchCreate, valid_activity, valid_batch
from services.reporting.service_layer.intake_values import decimal_coordinates
from services.reporting.service_layer.schemas import ActivityCreate
from services.reporting.service_layer.submission_answers import _ACTIVITY_LIST
from shared.dates import DateWindow, configure_date_window, date_window
from shared.region_time import device_zone, utc_offset_minutes

_ITEM = {
    "activity_id": "a1b2c3d4e5f60708",
    "indicator_id": "ind-0001",
    "occurred_at": "2026-03-04T08:15:00.123456+07:00",
    "quantity": 3,
    "description": "Melayani 12 warga di loket",
    "latitude": 3.59123,
    "longitude": 98.67,
}


def _decoded(body: bytes) -> list[dict[str, Any]] | None:
    """The items as the route read them before: the body decoded, then validated."""
    try:
        batch = BatchCreate.model_validate(json.loads(body))
        return [item.__dict__ for item in _ACTIVITY_LIST.validate_python(batch.items)]
    except (ValueError, ValidationError):
        return None


def _shown(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each value with what ``==`` may hide: a decimal's digits, a time's offset."""
    return [
        {
            name: (str(value), type(value).__name__, getattr(value, "utcoffset", lambda: None)())
            for name, value in item.items()
        }
        for item in items
    ]


def _assert_read_alike(body: bytes) -> None:
    decoded = _decoded(body)
    read = valid_batch(body)
    if read is None:
        return  # left to the decoded reading: whatever it answers, it answers as before
    assert decoded is not None, body
    # A batch item's coordinates are their text: ``str`` of the decoded decimal, which the intake
    # writes, and that very decimal where it compares or answers an item (``decimal_coordinates``).
    for item, decoded_item in zip(read.items, decoded, strict=True):
        for name in ("latitude", "longitude"):
            coordinate, decoded_coordinate = item[name], decoded_item[name]
            assert (coordinate, type(coordinate)) == (
                (None, type(None)) if decoded_coordinate is None else (str(decoded_coordinate), str)
            )
    assert _shown([decimal_coordinates(item) for item in read.items]) == _shown(decoded)


def _decoded_single(body: bytes) -> dict[str, Any] | None:
    """A single submission as the route reads it otherwise: the body decoded, then validated."""
    try:
        return ActivityCreate.model_validate(json.loads(body)).__dict__
    except (ValueError, ValidationError):
        return None


def _assert_single_read_alike(body: bytes) -> None:
    decoded = _decoded_single(body)
    read = valid_activity(body)
    if read is None:
        return  # left to the decoded reading, as above
    assert decoded is not None, body
    assert _shown([read.__dict__]) == _shown([decoded])


def _assert_both_read_alike(item: bytes) -> None:
    """The item sent alone, and in a batch after a valid one."""
    _assert_single_read_alike(item)
    _assert_read_alike(b'{"items": [%s, %s]}' % (item, json.dumps(_ITEM).encode()))


@pytest.mark.parametrize(
    "number",
    [
        "5",
        "0",
        "1023",
        "1024",
        "5.0",
        "5.10",
        "-0.0",
        "-0",
        "1e1",
        "1E-2",
        "1e16",
        "100000.0",
        "3.5912345",
        "1e400",
        "NaN",
        "0.1000000000000000055511151231257827",
        "89.9999999999999999999",
        "123456789012345678901234567890",
        '"5.0"',
        '"1e2"',
        "90.0",
        "-90.0",
        "90.0000001",
        "89.999999",
        "89.9999999",
        "180.0000001",
        "1e-05",
        "0.1234567",
        "99999999999999",
        "100000000000000",
        "-99999999999999",
        "2.12345",
        "true",
        "null",
        "[]",
    ],
)
@pytest.mark.parametrize("field", ["quantity", "latitude", "longitude", "denominator"])
def test_a_number_reads_as_the_decoded_body_reads_it(field: str, number: str) -> None:
    _assert_both_read_alike(json.dumps({**_ITEM, field: "NUMBER"}).replace('"NUMBER"', number).encode())


@pytest.mark.parametrize(
    "body",
    [
        b'{"items": [{"activity_id": "a1b2c3d4e5f60708", "activity_id": "x1b2c3d4e5f60708",'
        b' "indicator_id": "i", "occurred_at": "2026-03-04T08:15:00Z", "quantity": 1,'
        b' "description": "abc"}]}',
        b'{"items": [{"activity_id": "a1b2c3d4e5f60708", "indicator_id": "i", "occurred_at": 1772600000,'
        b' "quantity": 1, "description": "abc"}]}',
        b'{"items": [{"activity_id": "a1b2c3d4e5f60708", "indicator_id": "i",'
        b' "occurred_at": "2026-03-04 08:15:00+0700", "quantity": 1,'
        b' "description": "\\ud800\\u00e9 caf\\u00e9"}]}',
        b'{"items": [{"activity_id": "a1b2c3d4e5f60708", "indicator_id": "i",'
        b' "occurred_at": "2026-03-04T08:15:00Z", "quantity": 1, "description": "abc", "extra": 1}]}',
        b'{"items": [], "items": [1]}',
        # Items that are no object, or lack a field: each refused by the item's own reading.
        b'{"items": [1]}',
        b'{"items": [null]}',
        b'{"items": [[]]}',
        b'{"items": ["a1b2c3d4e5f60708"]}',
        json.dumps({"items": [{k: v for k, v in _ITEM.items() if k != "description"}]}).encode(),
        b'{"items": []}',
        b"\xef\xbb\xbf" + json.dumps({"items": [_ITEM]}).encode(),
        json.dumps({"items": [_ITEM]}).encode("utf-16"),
        json.dumps({"items": [_ITEM] * 501}).encode(),
        json.dumps({"items": [_ITEM], "more": 1}).encode(),
        json.dumps({"items": [_ITEM]}).encode() + b" x",
    ],
)
def test_an_odd_body_reads_alike_or_is_left_to_the_decoded_reading(body: bytes) -> None:
    _assert_read_alike(body)


@pytest.mark.parametrize(
    "item",
    [
        1,
        None,
        [],
        "a1b2c3d4e5f60708",
        {k: v for k, v in _ITEM.items() if k != "description"},
        {**_ITEM, "x": 1},
    ],
)
def test_a_malformed_item_leaves_the_batch_to_the_decoded_reading(item: Any) -> None:
    """Its refusal (the item's errors, in both languages) is answered by the items' models alone:
    the one-pass reading of the items as dicts (``fields_of``) accepts none of what they refuse."""
    assert valid_batch(json.dumps({"items": [_ITEM, item]}).encode()) is None


@pytest.mark.parametrize(
    "body",
    [
        b'{"activity_id": "a1b2c3d4e5f60708", "activity_id": "x1b2c3d4e5f60708", "indicator_id": "i",'
        b' "occurred_at": "2026-03-04T08:15:00Z", "quantity": 1, "quantity": 2.50, "description": "abc"}',
        b'{"activity_id": "a1b2c3d4e5f60708", "indicator_id": "i", "occurred_at": 1772600000,'
        b' "quantity": 1, "description": "abc"}',
        b'{"activity_id": "a1b2c3d4e5f60708", "indicator_id": "i",'
        b' "occurred_at": "2026-03-04 08:15:00+0700", "quantity": 1,'
        b' "description": "\\ud800\\u00e9 caf\\u00e9"}',
        b'{"activity_id": "a1b2c3d4e5f60708", "indicator_id": "i",'
        b' "occurred_at": "2026-03-04T08:15:00Z", "quantity": 1, "description": "abc", "extra": 1}',
        b'{"activity_id": "a1b2c3d4e5f60708", "indicator_id": "i", "occurred_at": "2026-03-04T08:15:00Z",'
        b' "quantity": null, "obstacles": null, "latitude": null, "description": "abc"}',
        b"\xef\xbb\xbf" + json.dumps(_ITEM).encode(),
        json.dumps(_ITEM).encode("utf-16"),
        json.dumps(_ITEM).encode() + b" x",
        json.dumps([_ITEM]).encode(),
        json.dumps({"items": [_ITEM]}).encode(),
        b"{}",
        b"null",
    ],
)
def test_an_odd_single_body_reads_alike_or_is_left_to_the_decoded_reading(body: bytes) -> None:
    _assert_single_read_alike(body)


def test_a_valid_single_submission_is_read_in_one_pass() -> None:
    body = json.dumps({**_ITEM, "quantity": 2.0, "obstacles": "Jaringan SIAK terputus"}).encode()
    assert valid_activity(body) is not None
    _assert_single_read_alike(body)


def test_a_valid_batch_is_read_in_one_pass() -> None:
    body = json.dumps(
        {"items": [_ITEM, {**_ITEM, "activity_id": "b1b2c3d4e5f60708", "quantity": 2.0}]}
    ).encode()
    read = valid_batch(body)
    assert read is not None
    _assert_read_alike(body)


_numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.decimals(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=300, deadline=None)
@given(
    quantity=_numbers,
    latitude=_numbers,
    text=st.text(max_size=12),
    offset=st.sampled_from(["Z", "+07:00", "-00:00", "+05:45", "+14:00"]),
)
def test_any_item_reads_as_the_decoded_body_reads_it(
    quantity: Any, latitude: Any, text: str, offset: str
) -> None:
    item = json.dumps(
        {**_ITEM, "description": f"abc{text}", "occurred_at": f"2026-03-04T08:15:00{offset}"}
        | {"quantity": "QUANTITY", "latitude": "LATITUDE"}
    )
    for name, number in (("QUANTITY", quantity), ("LATITUDE", latitude)):
        item = item.replace(f'"{name}"', repr(number) if isinstance(number, float) else str(number))
    _assert_both_read_alike(item.encode())


@pytest.mark.parametrize(
    ("occurred_at", "earliest"),
    [
        ("1999-12-31T23:59:59+07:00", date(2000, 1, 1)),
        ("2099-01-01T00:00:00Z", date(2000, 1, 1)),
        ("9999-12-31T10:00:00.5+09:00", date(2000, 1, 1)),
        ("2020-05-31T10:00:00+07:00", date(2020, 6, 1)),
        ("2020-06-01T10:00:00+07:00", date(2020, 6, 1)),  # inside, in a year only partly inside
    ],
)
def test_a_time_outside_the_window_is_left_to_the_decoded_reading(occurred_at: str, earliest: date) -> None:
    """Read from the JSON text, a time's day is checked by its year for the whole batch: a time
    outside the window (or of a year partly outside) sends the body to the decoded reading."""
    before = date_window()
    configure_date_window(DateWindow(earliest=earliest))
    try:
        item = json.dumps({**_ITEM, "occurred_at": occurred_at}).encode()
        assert valid_activity(item) is None
        assert valid_batch(b'{"items": [%s]}' % item) is None
        _assert_both_read_alike(item)
    finally:
        configure_date_window(before)


@pytest.mark.parametrize("offset", ["+07:00", "Z", "-03:30", "+14:00", "-12:00"])
def test_a_time_read_in_one_pass_is_in_the_standard_zone_of_its_offset(offset: str) -> None:
    """Two items of the offset: the first may learn its zone, the second finds it known."""
    body = json.dumps({"items": [{**_ITEM, "occurred_at": f"2026-03-04T08:15:00{offset}"}] * 2}).encode()
    batch = valid_batch(body)
    assert batch is not None
    for item in batch.items:
        occurred_at = item["occurred_at"]
        assert type(occurred_at.tzinfo) is timezone
        assert occurred_at.tzinfo is device_zone(utc_offset_minutes(occurred_at))
        assert occurred_at == ActivityCreate.model_validate({**_ITEM, "occurred_at": occurred_at}).occurred_at


def test_times_of_many_offsets_in_one_batch_are_each_in_their_own_offsets_zone() -> None:
    """Zones are found by the hash of pydantic's zone of a time: offsets a day apart (+12:00 and
    -12:00, whose ``timedelta.seconds`` are equal) and every other stay apart."""
    offsets = ["+12:00", "-12:00", "+13:45", "-10:15", "+14:00", "-10:00", "Z", "+07:00", "-00:30"]
    items = [{**_ITEM, "occurred_at": f"2026-03-04T08:15:00{offset}"} for offset in offsets * 2]
    batch = valid_batch(json.dumps({"items": items}).encode())
    assert batch is not None
    for item, sent in zip(batch.items, items, strict=True):
        occurred_at = item["occurred_at"]
        assert occurred_at.tzinfo is device_zone(utc_offset_minutes(occurred_at))
        assert occurred_at == ActivityCreate.model_validate(sent).occurred_at
        assert occurred_at.utcoffset() == ActivityCreate.model_validate(sent).occurred_at.utcoffset()


@pytest.mark.parametrize("offset", ["+14:01", "-12:01", "+23:59"])
def test_a_time_at_an_offset_no_zone_has_is_left_to_the_decoded_reading(offset: str) -> None:
    item = {**_ITEM, "occurred_at": f"2026-03-04T08:15:00{offset}"}
    assert valid_batch(json.dumps({"items": [_ITEM, item]}).encode()) is None
    assert valid_activity(json.dumps(item).encode()) is None
