"""What a device sent is kept: an activity's and a visit's time keep the device's UTC offset everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import activity, new_id, outbox, seed_team, submit
from tests.region_clock import moment_ago

pytestmark = pytest.mark.integration

WIB, WIT = timezone(timedelta(hours=7)), timezone(timedelta(hours=9))


def sent_at(zone: timezone, hours_ago: int) -> str:
    """A moment of the plan's year (the WIB region's, never before its 1 January), as a phone in
    ``zone`` sends it."""
    return moment_ago(DEFAULT_TIMEZONE, timedelta(hours=hours_ago)).astimezone(zone).isoformat()


async def test_an_activity_keeps_the_devices_offset_after_review_and_correction(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff, rater = team.members[0], team.rater
    body = activity(staff, occurred_at=sent_at(WIB, 3))
    created = await submit(reporting, staff, body)
    activity_id = created.json()["activity_id"]

    def post(path: str, token: str, payload: Any = None) -> Any:
        return reporting.client.post(
            f"/v1/activities/{activity_id}/{path}", json=payload, headers=auth(token)
        )

    rejected = await post("reject", rater.token, {"note": "Jumlah tidak sesuai"})
    one = await reporting.client.get(f"/v1/activities/{activity_id}", headers=auth(staff.token))
    listed = await reporting.client.get("/v1/activities", headers=auth(rater.token))
    corrected = await post(
        "correction",
        staff.token,
        {"occurred_at": sent_at(WIT, 2), "quantity": 10, "description": "Diperbaiki"},
    )
    after = await reporting.client.get(f"/v1/activities/{activity_id}", headers=auth(staff.token))

    assert created.json()["occurred_at"].endswith("+07:00")
    for answer in (rejected.json(), one.json(), listed.json()["items"][0]):
        assert answer["occurred_at"].endswith("+07:00"), answer
        assert datetime.fromisoformat(answer["occurred_at"]) == datetime.fromisoformat(body["occurred_at"])
    assert corrected.json()["occurred_at"].endswith("+09:00")
    assert after.json()["occurred_at"].endswith("+09:00")
    # Scoring learns the time from the events: they carry the offset too.
    events = dict(await outbox(reporting, team.region))
    assert events["ActivityReported"]["occurred_at"].endswith("+07:00")
    assert events["ActivityCorrected"]["occurred_at"].endswith("+09:00")


async def test_a_field_visit_keeps_the_devices_offset(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    visit = {
        "visit_id": new_id("visit"),
        "employee_ids": [team.members[0].employee_id],
        "location": "Puskesmas Wanggar",
        "visited_at": sent_at(WIT, 4),
        "findings": "Antrean tertib.",
    }
    logged = await reporting.client.post("/v1/field-visits", json=visit, headers=auth(team.rater.token))
    retry = await reporting.client.post("/v1/field-visits", json=visit, headers=auth(team.rater.token))
    listed = await reporting.client.get("/v1/field-visits", headers=auth(team.rater.token))

    assert logged.json()["visited_at"].endswith("+09:00")
    assert retry.json()["visited_at"].endswith("+09:00")
    assert listed.json()["items"][0]["visited_at"].endswith("+09:00")
    assert dict(await outbox(reporting, team.region))["FieldVisitLogged"]["visited_at"].endswith("+09:00")


async def test_a_visit_dated_outside_the_date_window_is_refused(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    visit = {
        "visit_id": new_id("visit"),
        "employee_ids": [team.members[0].employee_id],
        "location": "Puskesmas Wanggar",
        "visited_at": "0001-01-01T08:00:00+09:00",
        "findings": "Antrean tertib.",
    }

    refused = await reporting.client.post("/v1/field-visits", json=visit, headers=auth(team.rater.token))

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "visited_at"


async def test_a_batchs_times_are_stored_to_the_microsecond_with_their_offsets(start_service, make_token):
    """A batch's times travel to the database as microseconds since 2000 (intake_store._item) and
    are read back as sent: the same instant, to the microsecond, in the device's offset."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    # Within a minute of each other, the earliest at or after the region's 1 January 00.00: all in
    # the plan's year, and none beyond the phones' clock skew (5 minutes) just after it.
    moment = (moment_ago(DEFAULT_TIMEZONE, timedelta(hours=2)) + timedelta(minutes=1)).replace(
        microsecond=123_456
    )
    times = [
        moment.astimezone(WIB).isoformat(),
        (moment + timedelta(microseconds=876_545))
        .astimezone(timezone(-timedelta(hours=3, minutes=30)))
        .isoformat(),
        (moment - timedelta(seconds=59, microseconds=1))
        .astimezone(timezone(timedelta(hours=5, minutes=45)))
        .isoformat(),
    ]
    items = [activity(staff, occurred_at=sent) for sent in times]
    answer = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )
    assert answer.status_code == 200, answer.text
    assert [item["outcome"] for item in answer.json()["items"]] == ["accepted"] * 3

    for body, sent in zip(items, times, strict=True):
        stored = await reporting.client.get(
            f"/v1/activities/{body['activity_id']}", headers=auth(staff.token)
        )
        assert stored.json()["occurred_at"] == sent
    assert times[1].endswith(".000001-03:30")
    assert times[2].endswith(".123455+05:45")


async def test_a_batch_item_at_an_offset_no_zone_has_is_refused_alone(start_service, make_token):
    """PostgreSQL reads no offset beyond 15:59: an item sent at +23:59 failed its whole batch (422
    unstorable_value, no field, no item) and every other item of it with it."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    beyond = activity(staff, occurred_at=sent_at(timezone(timedelta(hours=23, minutes=59)), 30))
    items = [activity(staff, occurred_at=sent_at(timezone(timedelta(hours=14)), 3)), beyond]
    answer = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )
    single = await submit(reporting, staff, beyond)

    assert answer.status_code == 200, answer.text
    assert [item["outcome"] for item in answer.json()["items"]] == ["accepted", "rejected"]
    refusal = answer.json()["items"][1]["error"]
    assert refusal["field"] == "occurred_at", refusal
    assert "+23:59" in refusal["message"], refusal
    assert single.status_code == 422, single.text
    assert single.json()["error"]["field"] == "occurred_at", single.text
