"""The live feed's copy of an activity holds exactly the fields the API answers, as it answers them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from services.reporting.adapters.live_feed import TeamNotices
from services.reporting.service_layer.activities import activity_json
from services.reporting.service_layer.intake_values import ANSWER_JSON, feed_head, feed_payload, row_values
from services.reporting.service_layer.schemas import ActivityCreate, ActivityRead

SUBMITTED = datetime(2026, 3, 2, 2, 32, tzinfo=UTC)


INDICATOR = {"plan_id": "p-1", "result_id": "x-1"}


def sent(**fields: str) -> ActivityCreate:
    return ActivityCreate.model_validate(
        {"indicator_id": "indicator-1", "occurred_at": "2026-03-02T09:31:00+07:00", **fields}
    )


def stored_values(item: ActivityCreate) -> dict[str, Any]:
    """An activity's values as the intake stores them, submitted at ``SUBMITTED``."""
    return row_values(item.__dict__, region_id="r-1", employee_id="e-1", indicator=INDICATOR, now=SUBMITTED)


def payload_of(item: ActivityCreate, submitted_at: datetime) -> dict[str, Any]:
    sent = item.__dict__
    head = feed_head(sent, region_id="r-1", employee_id="e-1", indicator=INDICATOR, submitted_at=submitted_at)
    return feed_payload(sent, head)


def test_the_payload_has_every_field_of_an_activity_and_nothing_else():
    item = sent(
        activity_id="activity-0001", quantity="1.5", description="Menerbitkan KTP-el", latitude="-2.1"
    )
    values = stored_values(item)
    papua = ZoneInfo("Asia/Jayapura")

    payload = payload_of(item, SUBMITTED.astimezone(papua))

    assert list(payload) == list(ActivityRead.model_fields)
    assert payload == {name: values.get(name) for name in ActivityRead.model_fields} | {
        "quantity": "1.5000",
        "latitude": "-2.1",
        "submitted_at": datetime(2026, 3, 2, 11, 32, tzinfo=papua),
    }
    # The notice's JSON is the API's answer of the stored values (numbers as the database keeps
    # them, as text), shown in the zone.
    assert orjson.dumps(payload, option=ANSWER_JSON) == activity_json(values, papua)
    assert (
        values["occurred_utc_offset"] == 420
    )  # stored, not shown; the values themselves are left as they were
    # The values hold the answer's fields in its order (the feed's copy relies on it), then the offset.
    assert list(values) == [*ActivityRead.model_fields, "occurred_utc_offset"]


def test_notices_written_around_their_payloads_json_are_the_messages_of_their_payloads():
    payloads = [
        payload_of(
            sent(
                activity_id="activity-0002", quantity="2", description='Rapat "koordinasi" \u2013 kendala\n'
            ),
            SUBMITTED,
        ),
        payload_of(sent(activity_id="activity-0003", description="Melayani warga"), SUBMITTED),
    ]

    written = TeamNotices("r-1", "h-1", "activity.submitted", [orjson.dumps(p) for p in payloads])

    messages = [orjson.dumps({"kind": "activity.submitted", "activity": payload}) for payload in payloads]
    assert written.encoded() == b"\n".join(messages)


def _written_field_by_field(item: ActivityCreate, submitted_at: datetime) -> dict[str, Any]:
    """The feed's copy as it was written before its template: every field set in its order."""

    def text(value: Decimal | None, places: str | None = "0.0001") -> str | None:
        if value is None:
            return None
        return str(value if places is None else value.quantize(Decimal(places)))

    return {
        "activity_id": item.activity_id,
        "region_id": "r-1",
        "employee_id": "e-1",
        "plan_id": INDICATOR["plan_id"],
        "result_id": INDICATOR["result_id"],
        "indicator_id": item.indicator_id,
        "occurred_at": item.occurred_at,
        "quantity": text(item.quantity),
        "denominator": text(item.denominator),
        "description": item.description,
        "obstacles": item.obstacles,
        "latitude": text(item.latitude, None),
        "longitude": text(item.longitude, None),
        "status": "submitted",
        "review_note": None,
        "reviewed_by": None,
        "reviewed_at": None,
        "submitted_at": submitted_at,
        "revision": 1,
    }


def test_each_payload_holds_its_own_items_values_and_no_other_items():
    """Made from one head that a group's items of an indicator share (itself a copy of one template):
    an item without its optional fields shows them empty, even after an item that had them all (the
    head and the template are never changed)."""
    full = sent(
        activity_id="activity-0003",
        quantity="12.50",
        denominator="20",
        description="Menerbitkan KTP-el",
        obstacles="Blanko habis",
        latitude="-6.2",
        longitude="106.8",
    )
    bare = sent(activity_id="activity-0004", description="Rapat koordinasi")
    head = feed_head(
        full.__dict__, region_id="r-1", employee_id="e-1", indicator=INDICATOR, submitted_at=SUBMITTED
    )
    for item in (full, bare, full, bare):
        payload = feed_payload(item.__dict__, head)
        assert payload == _written_field_by_field(item, SUBMITTED)
        assert list(payload) == list(_written_field_by_field(item, SUBMITTED))
    assert payload_of(bare, SUBMITTED)["obstacles"] is None
    assert payload_of(full, SUBMITTED)["quantity"] == "12.5000"
