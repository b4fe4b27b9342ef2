"""Activity reports on real PostgreSQL: idempotent submission, bad input, batches, group commit.

Review, team scope and history are tested in ``test_reporting_review.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import activity, new_id, outbox, seed_team, submit
from tests.region_clock import year_in

pytestmark = pytest.mark.integration


async def test_a_retry_returns_the_original_and_only_one_event_is_written(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]
    body = activity(staff)

    first = await submit(reporting, staff, body)
    retry = await submit(reporting, staff, body)

    assert first.status_code == 201, first.text
    assert retry.status_code == 200
    assert retry.json()["quantity"] == first.json()["quantity"] == "12.0000"
    events = await outbox(reporting, team.region)
    assert [kind for kind, _ in events] == ["ActivityReported"]
    assert events[0][1]["activity_id"] == body["activity_id"]
    assert events[0][1]["employee_id"] == staff.employee_id


async def test_an_id_used_by_a_colleague_is_a_conflict_not_their_activity(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    first, second = team.members
    body = activity(first)
    await submit(reporting, first, body)

    response = await submit(reporting, second, activity(second, activity_id=body["activity_id"]))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "activity_id_taken"


async def test_bad_input_is_refused_naming_the_field_and_the_reason(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    now = datetime.now(UTC)
    cases = [
        (activity(staff, indicator_id=colleague.indicators["count"]), "indicator_id", "unknown_indicator"),
        (activity(staff, occurred_at=(now + timedelta(hours=1)).isoformat()), "occurred_at", "in_the_future"),
        (
            activity(staff, occurred_at=f"{year_in(DEFAULT_TIMEZONE) - 1}-12-30T10:00:00+07:00"),
            "occurred_at",
            "outside_plan_year",
        ),
        (activity(staff, quantity=-3), "quantity", "negative_quantity"),
        (activity(staff, quantity=5_000_000), "quantity", "quantity_too_large"),
        (activity(staff, "ratio", denominator=None), "denominator", "denominator_required"),
        (activity(staff, "ratio", quantity=11, denominator=10), "quantity", "quantity_above_denominator"),
        (activity(staff, quantity=None), "quantity", "quantity_required"),
        (activity(staff, activity_id="short"), "activity_id", "invalid_input"),
        (activity(staff, occurred_at="2026-05-01T10:00:00"), "occurred_at", "invalid_input"),
    ]
    for body, field, code in cases:
        response = await submit(reporting, staff, body)
        assert response.status_code == 422, (code, response.text)
        error = response.json()["error"]
        assert (error["field"], error["code"]) == (field, code), response.text
        assert error["message"]
        assert error["message_id"]
    assert await outbox(reporting, team.region) == []
    qualitative = await submit(reporting, staff, activity(staff, "qualitative"))
    assert qualitative.status_code == 201, qualitative.text


async def test_a_batch_gives_each_item_its_own_outcome(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    earlier = activity(staff)
    await submit(reporting, staff, earlier)
    colleagues = activity(colleague)
    await submit(reporting, colleague, colleagues)
    good = activity(staff)
    items: list[Any] = [
        good,
        activity(staff, "ratio"),
        good,  # the same item twice in one sync
        earlier,  # already sent before the phone went offline
        activity(staff, quantity=-1),
        activity(staff, indicator_id="not-in-my-plan"),
        "not an object",
        activity(staff, activity_id=colleagues["activity_id"]),
        activity(staff, occurred_at="yesterday"),
    ]

    response = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (2, 2, 5)
    outcomes = [(i["outcome"], i["error"]["code"] if i["error"] else None) for i in result["items"]]
    assert outcomes == [
        ("accepted", None),
        ("accepted", None),
        ("duplicate", None),
        ("duplicate", None),
        ("rejected", "negative_quantity"),
        ("rejected", "unknown_indicator"),
        ("rejected", "invalid_input"),
        ("rejected", "activity_id_taken"),
        ("rejected", "invalid_input"),
    ]
    assert result["items"][2]["activity_id"] == good["activity_id"]
    assert result["items"][3]["activity_id"] == earlier["activity_id"]
    assert result["items"][3]["status"] == "submitted"
    assert result["items"][4]["error"]["field"] == "quantity"
    assert result["items"][8]["error"]["field"] == "occurred_at"
    reported = [
        p["activity_id"] for kind, p in await outbox(reporting, team.region) if kind == "ActivityReported"
    ]
    assert sorted(reported) == sorted(
        [earlier["activity_id"], colleagues["activity_id"], good["activity_id"], items[1]["activity_id"]]
    )

    again = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )
    assert again.json()["accepted"] == 0
    assert again.json()["duplicates"] == 4


async def test_a_batch_over_the_limit_is_refused_whole(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    items = [activity(staff) for _ in range(501)]

    response = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "items"
    assert "500" in response.json()["error"]["message"]


async def test_concurrent_submissions_share_transactions_and_a_bad_one_fails_alone(start_service, make_token):
    """Group commit: many single submissions at once are all committed with their events; one that
    the database refuses (a NUL character) gets its own 422 and costs the others nothing."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=4)
    bodies = [(member, activity(member)) for member in team.members for _ in range(15)]
    poisoned = activity(team.members[0], description="Rapat\x00koordinasi")
    bodies.insert(20, (team.members[0], poisoned))
    groups_before = _groups_written()

    responses = await asyncio.gather(*(submit(reporting, member, body) for member, body in bodies))

    statuses = [response.status_code for response in responses]
    assert statuses[20] == 422, responses[20].text
    assert statuses[:20] + statuses[21:] == [201] * 60
    events = await outbox(reporting, team.region)
    reported = sorted(payload["activity_id"] for kind, payload in events if kind == "ActivityReported")
    assert reported == sorted(body["activity_id"] for _, body in bodies if body is not poisoned)
    # 61 submissions, the poisoned group written again in halves, and still far fewer transactions.
    assert _groups_written() - groups_before < 30


def _groups_written() -> float:
    count = REGISTRY.get_sample_value("kinerja_reporting_submission_group_size_count", {"kind": "single"})
    return count or 0.0


async def test_a_batch_of_malformed_items_only_is_answered_item_by_item(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    items = [{"activity_id": "short"}, "not an object"]

    response = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (0, 0, 2)
    assert [item["error"]["code"] for item in answer["items"]] == ["invalid_input", "invalid_input"]
    assert await outbox(reporting, team.region) == []


async def test_the_same_id_twice_in_a_batch_is_accepted_once_from_its_valid_item(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    first, second = activity(staff), activity(staff)
    items = [
        first | {"occurred_at": future},  # invalid, then the same id valid
        first,
        second,  # valid, then the same id again (a double tap)
        second,
    ]

    response = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )

    outcomes = [item["outcome"] for item in response.json()["items"]]
    assert outcomes == ["rejected", "accepted", "accepted", "duplicate"]
    events = await outbox(reporting, team.region)
    assert sorted(payload["activity_id"] for _, payload in events) == sorted(
        [first["activity_id"], second["activity_id"]]
    )


async def test_a_batch_item_with_a_nul_character_alone_is_rejected_naming_its_field(
    start_service, make_token
):
    """PostgreSQL text cannot hold NUL: the item is refused at its field, not the whole batch with
    the database's error (a phone would never sync its queue again)."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    good, bad, other = activity(staff), activity(staff, obstacles="hujan\x00deras"), activity(staff)

    response = await reporting.client.post(
        "/v1/activities/batch", json={"items": [good, bad, other]}, headers=auth(staff.token)
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert [item["outcome"] for item in answer["items"]] == ["accepted", "rejected", "accepted"]
    error = answer["items"][1]["error"]
    assert (error["code"], error["field"]) == ("invalid_input", "obstacles")
    assert "NUL" in error["message"]
    assert "NUL" in error["message_id"]
    events = await outbox(reporting, team.region)
    assert sorted(payload["activity_id"] for _, payload in events) == sorted(
        [good["activity_id"], other["activity_id"]]
    )


async def test_a_submission_with_a_nul_character_is_refused_naming_its_field(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]

    response = await submit(reporting, staff, activity(staff, description="Rapat\x00koordinasi"))

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", "description")
    assert "NUL" in error["message"]
    assert "NUL" in error["message_id"]
    assert await outbox(reporting, team.region) == []


async def test_a_note_a_correction_or_a_visit_with_a_nul_character_is_refused_naming_its_field(
    start_service, make_token
):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff, rater = team.members[0], team.rater
    activity_id = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    path = f"/v1/activities/{activity_id}"
    correction = {"occurred_at": datetime.now(UTC).isoformat(), "description": "Diperbaiki\x00"}
    visit = {
        "visit_id": new_id("visit"),
        "employee_ids": [staff.employee_id],
        "location": "Puskesmas Wanggar",
        "visited_at": datetime.now(UTC).isoformat(),
        "findings": "Antrean\x00tertib.",
    }

    refusals = [
        (
            await reporting.client.post(
                f"{path}/verify", json={"note": "Baik\x00"}, headers=auth(rater.token)
            ),
            "note",
        ),
        (
            await reporting.client.post(
                f"{path}/reject", json={"note": "Ulang\x00"}, headers=auth(rater.token)
            ),
            "note",
        ),
        (await reporting.client.post("/v1/field-visits", json=visit, headers=auth(rater.token)), "findings"),
    ]
    rejected = await reporting.client.post(
        f"{path}/reject", json={"note": "Ulangi"}, headers=auth(rater.token)
    )
    assert rejected.status_code == 200, rejected.text
    refusals.append(
        (
            await reporting.client.post(f"{path}/correction", json=correction, headers=auth(staff.token)),
            "description",
        )
    )

    for response, field in refusals:
        assert response.status_code == 422, response.text
        assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
            "invalid_input",
            field,
        )
