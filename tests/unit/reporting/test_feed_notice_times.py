"""A review's or a correction's feed notice shows the activity as the API answers it: reporting's own
times in the region's zone, a device's time as sent. Its message is the same bytes as when such a
notice was a type of its own (``FeedNotice``, until session 35), which held the activity as a
dictionary and moved its times itself; the feed now has one notice type, ``TeamNotices``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.service_layer.activities import feed_notice, read_activity
from shared.region_time import in_zone, shown_in

PAPUA = ZoneInfo("Asia/Jayapura")
ZONES = [ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), PAPUA]


def stored(**fields: Any) -> dict[str, Any]:
    """An activity as a reviewed row reads back (its times in UTC, the device's offset beside)."""
    return {
        "activity_id": "activity-0001",
        "region_id": "r-1",
        "employee_id": "e-1",
        "plan_id": "p-1",
        "result_id": "x-1",
        "indicator_id": "i-1",
        "occurred_at": datetime(2026, 3, 2, 2, 30, tzinfo=UTC),
        "occurred_utc_offset": 420,
        "quantity": Decimal("1.5"),
        "denominator": None,
        "description": "Menerbitkan KTP-el",
        "obstacles": None,
        "status": "verified",
        "reviewed_by": "head-1",
        "reviewed_at": datetime(2026, 3, 2, 3, 0, tzinfo=UTC),
        "submitted_at": datetime(2026, 3, 2, 2, 31, tzinfo=UTC),
        "revision": 1,
    } | fields


def message_before(kind: str, values: dict[str, Any], zone: Any) -> bytes:
    """The message as a notice holding the activity as a dictionary wrote it (until session 35)."""
    payload = read_activity(values).model_dump(mode="json")
    for key in ("submitted_at", "reviewed_at"):
        if isinstance(value := payload.get(key), str):
            payload[key] = in_zone(datetime.fromisoformat(value), zone)
    return orjson.dumps({"kind": kind, "activity": payload}, default=str)


def test_reportings_times_move_to_the_zone_and_the_devices_time_stays_as_sent():
    notice = feed_notice("head-1", "activity.verified", shown_in(read_activity(stored()), PAPUA))

    assert notice is not None
    assert (notice.region_id, notice.rater_id, notice.kind) == ("r-1", "head-1", "activity.verified")
    (payload,) = (orjson.loads(payload_json) for payload_json in notice.payloads_json)
    assert payload["occurred_at"] == "2026-03-02T09:30:00+07:00"
    assert payload["submitted_at"] == "2026-03-02T11:31:00+09:00"
    assert payload["reviewed_at"] == "2026-03-02T12:00:00+09:00"
    assert payload["quantity"] == "1.5000"
    assert orjson.loads(notice.encoded()) == {"kind": "activity.verified", "activity": payload}


def test_an_activity_without_a_rater_has_no_notice():
    assert feed_notice(None, "activity.corrected", shown_in(read_activity(stored()), PAPUA)) is None


_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    offset=st.integers(min_value=-720, max_value=840),
    occurred=_TIMES,
    submitted=_TIMES,
    reviewed=st.none() | _TIMES,
    text=st.text(min_size=3, max_size=60),
    note=st.none() | st.text(max_size=30),
    quantity=st.none() | st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False),
    zone=st.sampled_from(ZONES),
)
def test_the_message_is_the_one_a_notice_wrote_before(
    offset: int,
    occurred: datetime,
    submitted: datetime,
    reviewed: datetime | None,
    text: str,
    note: str | None,
    quantity: Decimal | None,
    zone: ZoneInfo,
) -> None:
    values = stored(
        occurred_at=occurred.astimezone(timezone(timedelta(minutes=offset))),
        occurred_utc_offset=offset,
        submitted_at=submitted,
        reviewed_at=reviewed,
        description=text,
        review_note=note,
        quantity=quantity,
    )

    notice = feed_notice("head-1", "activity.rejected", shown_in(read_activity(values), zone))

    assert notice is not None
    assert notice.encoded() == message_before("activity.rejected", values, zone)
