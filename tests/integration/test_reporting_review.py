"""Activity reports on real PostgreSQL after submission: who may report and review, verify, reject and
correct, a rater's team across regions and moves, and history filtered and paged for each audience."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.region_time import DEFAULT_TIMEZONE, region_now
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import (
    activity,
    apply,
    employee_upserted,
    outbox,
    seed_team,
    submit,
)
from tests.region_clock import moment_ago

pytestmark = pytest.mark.integration


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
        "occurred_at": moment_ago(DEFAULT_TIMEZONE, timedelta(hours=2)).isoformat(),
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
    # Dated today in the region (a day later this year may not have come), the stale one before it.
    today = region_now(DEFAULT_TIMEZONE).date()
    moved = employee_upserted(
        team.region, staff.employee_id, new_head.rater.employee_id, effective_from=today
    )
    stale = employee_upserted(
        team.region, staff.employee_id, team.rater.employee_id, effective_from=today - timedelta(days=60)
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
    # A minute apart, the oldest a day ago but in this year: the newest at most 4 minutes after the
    # year began is still within the phones' clock skew (5 minutes) just after 1 January 00.00.
    base = moment_ago(DEFAULT_TIMEZONE, timedelta(days=1)) + timedelta(minutes=4)
    mine = []
    for minutes in range(5):
        kind = "ratio" if minutes == 4 else "count"
        body = activity(staff, kind, occurred_at=(base - timedelta(minutes=minutes)).isoformat())
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
        occurred_from=(base - timedelta(minutes=2, seconds=30)).isoformat(),
        occurred_to=(base - timedelta(seconds=30)).isoformat(),
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
