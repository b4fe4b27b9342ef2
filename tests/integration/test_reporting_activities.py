"""Activity reports on real PostgreSQL: idempotent submission, bad input, batches, review, access, history."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import (
    YEAR,
    activity,
    apply,
    employee_upserted,
    outbox,
    seed_team,
    submit,
)

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
        (activity(staff, occurred_at=f"{YEAR - 1}-12-30T10:00:00+07:00"), "occurred_at", "outside_plan_year"),
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


async def test_only_employees_report_and_only_raters_review(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]
    created = (await submit(reporting, staff, activity(staff))).json()
    admin = make_token("region_admin", region=team.region)

    as_admin = await reporting.client.post("/v1/activities", json=activity(staff), headers=auth(admin))
    self_verify = await reporting.client.post(
        f"/v1/activities/{created['activity_id']}/verify", headers=auth(staff.token)
    )

    assert as_admin.status_code == 403
    assert self_verify.status_code == 403
    assert self_verify.json()["error"]["code"] == "wrong_role"


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


async def test_verify_reject_correct_and_the_refused_transitions(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff, rater = team.members[0], team.rater
    one = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    two = (await submit(reporting, staff, activity(staff))).json()["activity_id"]

    def post(path: str, token: str, body: Any = None) -> Any:
        return reporting.client.post(f"/v1/activities/{path}", json=body, headers=auth(token))

    verified = await post(f"{one}/verify", rater.token, {"note": "Sesuai"})
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "verified"
    assert verified.json()["reviewed_by"] == rater.employee_id
    again = await post(f"{one}/verify", rater.token)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "cannot_verify"
    assert "verified" in again.json()["error"]["message"]
    assert (await post(f"{one}/reject", rater.token, {"note": "Salah"})).status_code == 409

    without_note = await post(f"{two}/reject", rater.token, {})
    assert without_note.status_code == 422
    assert without_note.json()["error"]["field"] == "note"
    rejected = await post(f"{two}/reject", rater.token, {"note": "Jumlah tidak sesuai bukti"})
    assert rejected.json()["status"] == "rejected"
    assert (await post(f"{two}/verify", rater.token)).status_code == 409

    correction = {
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "quantity": 10,
        "description": "Menerbitkan 10 KTP-el (diperbaiki)",
        "obstacles": "Blanko habis",
    }
    by_rater = await post(f"{two}/correction", rater.token, correction)
    assert by_rater.status_code == 403
    assert by_rater.json()["error"]["code"] == "not_the_owner"
    bad = await post(f"{two}/correction", staff.token, correction | {"quantity": -1})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "quantity"
    corrected = await post(f"{two}/correction", staff.token, correction)
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["status"], corrected.json()["revision"]) == ("submitted", 2)
    assert (await post(f"{two}/correction", staff.token, correction)).json()["error"][
        "code"
    ] == "cannot_correct"
    assert (await post(f"{two}/verify", rater.token)).json()["status"] == "verified"

    events = [(kind, p) for kind, p in await outbox(reporting, team.region) if kind != "ActivityReported"]
    assert [kind for kind, _ in events] == [
        "ActivityVerified",
        "ActivityRejected",
        "ActivityCorrected",
        "ActivityVerified",
    ]
    assert events[0][1]["verifier_id"] == rater.employee_id
    assert events[1][1]["note"] == "Jumlah tidak sesuai bukti"
    assert events[2][1]["quantity"] == "10"
    assert events[2][1]["obstacles"] == "Blanko habis"


async def test_a_rater_acts_only_on_their_team_and_other_regions_see_nothing(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    other_team = await seed_team(reporting, make_token, team.region, size=1)
    elsewhere = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff, colleague = team.members
    activity_id = (await submit(reporting, staff, activity(staff))).json()["activity_id"]

    foreign_rater = await reporting.client.post(
        f"/v1/activities/{activity_id}/verify", headers=auth(other_team.rater.token)
    )
    other_region = await reporting.client.post(
        f"/v1/activities/{activity_id}/verify", headers=auth(elsewhere.rater.token)
    )
    assert foreign_rater.status_code == 403
    assert foreign_rater.json()["error"]["code"] == "not_the_rater"
    assert other_region.status_code == 404

    def read(token: str) -> Any:
        return reporting.client.get(f"/v1/activities/{activity_id}", headers=auth(token))

    assert (await read(staff.token)).status_code == 200
    assert (await read(team.rater.token)).status_code == 200
    assert (await read(make_token("region_admin", region=team.region))).status_code == 200
    assert (await read(make_token("auditor", region=team.region))).status_code == 200
    assert (await read(colleague.token)).status_code == 404
    assert (await read(other_team.rater.token)).status_code == 404
    assert (await read(make_token("auditor", region=elsewhere.region))).status_code == 404


async def test_the_latest_move_decides_who_rates_an_employee(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    new_head = await seed_team(reporting, make_token, team.region, size=0)
    staff = team.members[0]
    activity_id = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    moved = employee_upserted(
        team.region, staff.employee_id, new_head.rater.employee_id, effective_from=date(YEAR, 3, 1)
    )
    stale = employee_upserted(
        team.region, staff.employee_id, team.rater.employee_id, effective_from=date(YEAR, 1, 1)
    )
    await apply(reporting, team.region, moved, stale)  # the older move arrives late

    old = await reporting.client.post(f"/v1/activities/{activity_id}/verify", headers=auth(team.rater.token))
    new = await reporting.client.post(
        f"/v1/activities/{activity_id}/verify", headers=auth(new_head.rater.token)
    )

    assert old.status_code == 403
    assert new.status_code == 200, new.text


async def test_history_is_filtered_and_paged_by_cursor_for_each_audience(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    base = datetime.now(UTC) - timedelta(days=1)
    mine = []
    for hours in range(5):
        kind = "ratio" if hours == 4 else "count"
        body = activity(staff, kind, occurred_at=(base - timedelta(hours=hours)).isoformat())
        mine.append((await submit(reporting, staff, body)).json())
    theirs = (await submit(reporting, colleague, activity(colleague))).json()
    await reporting.client.post(
        f"/v1/activities/{mine[1]['activity_id']}/verify", headers=auth(team.rater.token)
    )

    async def page(token: str, **params: Any) -> Any:
        response = await reporting.client.get("/v1/activities", params=params, headers=auth(token))
        assert response.status_code == 200, response.text
        return response.json()

    seen, cursor = [], None
    while True:
        params = {"employee_id": staff.employee_id, "limit": 2} | ({"cursor": cursor} if cursor else {})
        result = await page(team.rater.token, **params)
        seen += [item["activity_id"] for item in result["items"]]
        cursor = result["next_cursor"]
        if cursor is None:
            break
    assert seen == [a["activity_id"] for a in mine]  # newest first, each exactly once

    by_indicator = await page(team.rater.token, indicator_id=staff.indicators["ratio"])
    assert [i["activity_id"] for i in by_indicator["items"]] == [mine[4]["activity_id"]]
    verified = await page(team.rater.token, status="verified")
    assert [i["activity_id"] for i in verified["items"]] == [mine[1]["activity_id"]]
    window = await page(
        team.rater.token,
        employee_id=staff.employee_id,
        occurred_from=(base - timedelta(hours=2, minutes=30)).isoformat(),
        occurred_to=(base - timedelta(minutes=30)).isoformat(),
    )
    assert [i["activity_id"] for i in window["items"]] == [mine[1]["activity_id"], mine[2]["activity_id"]]

    team_view = await page(team.rater.token)
    assert {i["employee_id"] for i in team_view["items"]} == {staff.employee_id, colleague.employee_id}
    own_view = await page(colleague.token)
    assert [i["activity_id"] for i in own_view["items"]] == [theirs["activity_id"]]
    admin_view = await page(make_token("region_admin", region=team.region), limit=200)
    assert len(admin_view["items"]) == 6

    snooping = await reporting.client.get(
        f"/v1/employees/{staff.employee_id}/activities", headers=auth(colleague.token)
    )
    assert snooping.status_code == 404
    bad_cursor = await reporting.client.get(
        "/v1/activities", params={"cursor": "xyz"}, headers=auth(staff.token)
    )
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["error"]["field"] == "cursor"
    elsewhere = await page(make_token("auditor", region=new_region_id()))
    assert elsewhere["items"] == []


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
    return REGISTRY.get_sample_value("kinerja_reporting_submission_group_size_count") or 0.0


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
