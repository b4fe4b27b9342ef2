"""Times reporting computes are shown in the region's zone; what a device sent keeps its own offset."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

from shared.contracts.planning import RegionRegistered
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_evidence import PHOTO, reporting, upload  # noqa: F401 - a fixture
from tests.integration.test_reporting_support import activity, apply, new_id, seed_team, submit
from tests.region_clock import moment_ago

pytestmark = pytest.mark.integration

WIB = timezone(timedelta(hours=7))


async def test_reportings_own_times_are_in_the_regions_zone_in_every_answer(reporting, make_token):  # noqa: F811
    region = new_region_id()
    await apply(
        reporting, region, RegionRegistered(region_id=region, name="Distrik Uji", timezone="Asia/Jayapura")
    )
    team = await seed_team(reporting, make_token, region, size=1, zone="Asia/Jayapura")
    staff, rater = team.members[0], team.rater
    sent = moment_ago("Asia/Jayapura", timedelta(hours=1)).astimezone(WIB).isoformat()
    created = await submit(reporting, staff, activity(staff, occurred_at=sent))
    activity_id = created.json()["activity_id"]
    attached = await upload(reporting, activity_id, staff.token, PHOTO)
    verified = await reporting.client.post(
        f"/v1/activities/{activity_id}/verify", json={"note": "Sesuai"}, headers=auth(rater.token)
    )
    detail = await reporting.client.get(f"/v1/activities/{activity_id}", headers=auth(staff.token))
    history = await reporting.client.get("/v1/activities", headers=auth(rater.token))
    visit = {
        "visit_id": new_id("visit"),
        "employee_ids": [staff.employee_id],
        "location": "Puskesmas Wanggar",
        "visited_at": sent,
        "findings": "Antrean tertib.",
    }
    logged = await reporting.client.post("/v1/field-visits", json=visit, headers=auth(rater.token))
    visits = await reporting.client.get("/v1/field-visits", headers=auth(rater.token))

    def own_times(answer: dict[str, Any]) -> list[str]:
        keys = ("submitted_at", "reviewed_at", "uploaded_at", "logged_at")
        return [answer[key] for key in keys if answer.get(key)]

    answers = [
        created.json(),
        attached.json(),
        verified.json(),
        detail.json(),
        *detail.json()["evidence"],
        history.json()["items"][0],
        logged.json(),
        visits.json()["items"][0],
    ]
    for answer in answers:
        assert own_times(answer), answer
        assert all(time.endswith("+09:00") for time in own_times(answer)), answer
    for answer in (created.json(), verified.json(), detail.json(), history.json()["items"][0]):
        assert answer["occurred_at"].endswith("+07:00"), answer
    assert logged.json()["visited_at"].endswith("+07:00")
