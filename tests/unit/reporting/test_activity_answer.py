"""A single submission's answer, written without an ActivityRead, is the model's JSON byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.service_layer.activities import activity_json, read_activity
from services.reporting.service_layer.schemas import ActivityRead
from shared.region_time import shown_in

_ZONES: list[tzinfo] = [
    ZoneInfo("Asia/Jakarta"),
    ZoneInfo("Asia/Makassar"),
    ZoneInfo("Asia/Jayapura"),
    UTC,
    timezone(timedelta(hours=-3, minutes=-30)),
]
_IDS = st.from_regex(r"[A-Za-z0-9_-]{8,64}", fullmatch=True)
_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


def _numbers(places: int, digits: int) -> st.SearchStrategy[Decimal | None]:
    # As a JSON body gives them (any scale up to the field's places, 12 or 12.50), or absent.
    return st.none() | st.decimals(
        min_value=-(10**digits), max_value=10**digits, places=places, allow_nan=False, allow_infinity=False
    ).map(lambda number: number.normalize() if number == number.to_integral() else number)


@st.composite
def _stored(draw: st.DrawFn) -> dict[str, Any]:
    """An activity as the intake inserts it (its values) or as a row read back (review fields too)."""
    offset = draw(st.integers(min_value=-720, max_value=840))
    occurred = draw(_TIMES)
    as_sent = occurred.astimezone(timezone(timedelta(minutes=offset)))
    values: dict[str, Any] = {
        "activity_id": draw(_IDS),
        "region_id": "r-1",
        "employee_id": draw(_IDS),
        "plan_id": "plan-1",
        "result_id": "rhk-1",
        "indicator_id": draw(_IDS),
        # The values keep the device's own offset; a stored row comes back in UTC.
        "occurred_at": draw(st.sampled_from([occurred, as_sent])),
        "occurred_utc_offset": draw(st.none() | st.just(offset)),
        "quantity": draw(_numbers(4, 13)),
        "denominator": draw(_numbers(4, 13)),
        "description": draw(st.text(min_size=3, max_size=60)),
        "obstacles": draw(st.none() | st.text(max_size=30)),
        "latitude": draw(_numbers(6, 2)),
        "longitude": draw(_numbers(6, 3)),
        "status": draw(st.sampled_from(["submitted", "verified", "rejected"])),
        "submitted_at": draw(_TIMES),
        "revision": draw(st.integers(min_value=1, max_value=9)),
    }
    if draw(st.booleans()):
        values |= {
            "review_note": draw(st.none() | st.text(max_size=30)),
            "reviewed_by": draw(st.none() | _IDS),
            "reviewed_at": draw(st.none() | _TIMES),
        }
    return values


@settings(max_examples=400, deadline=None)
@given(values=_stored(), zone=st.sampled_from(_ZONES))
def test_the_answer_is_the_models_json(values: dict[str, Any], zone: tzinfo) -> None:
    assert activity_json(values, zone) == shown_in(read_activity(values), zone).model_dump_json().encode()


@settings(max_examples=200, deadline=None)
@given(values=_stored(), zone=st.sampled_from(_ZONES))
def test_values_laid_out_as_the_intake_lays_them_out_answer_the_same(
    values: dict[str, Any], zone: tzinfo
) -> None:
    # ActivityRead's fields in its order, then the device's offset: the answer copies them.
    fields = ActivityRead.model_fields
    laid_out = {name: values.get(name, field.default) for name, field in fields.items()}
    laid_out["occurred_utc_offset"] = values["occurred_utc_offset"]
    assert activity_json(laid_out, zone) == shown_in(read_activity(values), zone).model_dump_json().encode()


def test_a_new_activitys_answer_shows_its_times_as_the_model_does() -> None:
    values = {
        "activity_id": "activity-0001",
        "region_id": "r-1",
        "employee_id": "e-1",
        "plan_id": "plan-1",
        "result_id": "rhk-1",
        "indicator_id": "indicator-1",
        "occurred_at": datetime(2026, 3, 2, 9, 31, tzinfo=timezone(timedelta(hours=7))),
        "occurred_utc_offset": 420,
        "quantity": Decimal("12"),
        "denominator": None,
        "description": 'Menerbitkan KTP-el "baru"\n',
        "obstacles": None,
        "latitude": Decimal("3.50000"),
        "longitude": None,
        "status": "submitted",
        "submitted_at": datetime(2026, 3, 2, 2, 32, 5, 120000, tzinfo=UTC),
        "revision": 1,
    }

    answer = activity_json(values, ZoneInfo("Asia/Jayapura"))

    assert answer == shown_in(read_activity(values), ZoneInfo("Asia/Jayapura")).model_dump_json().encode()
    assert b'"occurred_at":"2026-03-02T09:31:00+07:00"' in answer
    assert b'"quantity":"12.0000"' in answer
    assert b'"latitude":"3.50000"' in answer
    assert b'"submitted_at":"2026-03-02T11:32:05.120000+09:00"' in answer
    assert b'"review_note":null,"reviewed_by":null,"reviewed_at":null' in answer
