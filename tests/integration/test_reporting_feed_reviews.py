"""A review's and a correction's notices reach the rater's team feed once committed, each showing the
activity exactly as the route answered it (reporting's times in the region's zone)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from services.reporting.adapters.live_feed import team_channel
from services.reporting.entrypoints.dependencies import live_feed
from shared.contracts.planning import RegionRegistered
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import activity, apply, seed_team, submit

pytestmark = pytest.mark.integration

PAPUA = "Asia/Jayapura"


async def test_reviews_and_corrections_show_the_activity_as_answered(
    start_service: Any, make_token: Any
) -> None:
    reporting = await start_service("reporting")
    region = new_region_id()
    await apply(reporting, region, RegionRegistered(region_id=region, name="Distrik Uji", timezone=PAPUA))
    team = await seed_team(reporting, make_token, region, size=1, zone=PAPUA)
    staff, rater = team.members[0], team.rater
    one = (await submit(reporting, staff, activity(staff, zone=PAPUA))).json()["activity_id"]
    two = (await submit(reporting, staff, activity(staff, zone=PAPUA))).json()["activity_id"]

    async def post(path: str, token: str, body: Any) -> dict[str, Any]:
        answer = await reporting.client.post(f"/v1/activities/{path}", json=body, headers=auth(token))
        assert answer.status_code == 200, answer.text
        answered: dict[str, Any] = answer.json()
        return answered

    verified = await post(f"{one}/verify", rater.token, {"note": "Sesuai"})
    rejected = await post(f"{two}/reject", rater.token, {"note": "Jumlah tidak sesuai bukti"})
    sent = activity(staff, zone=PAPUA)
    corrected = await post(
        f"{two}/correction",
        staff.token,
        {"occurred_at": sent["occurred_at"], "quantity": 10, "description": "KTP-el (diperbaiki)"},
    )
    await live_feed(reporting.context).flush()
    entries = await reporting.context.redis.xrange(team_channel(team.region, rater.employee_id))

    notices = [orjson.loads(fields[b"m"]) for _, fields in entries]
    assert notices[-3:] == [
        {"kind": "activity.verified", "activity": verified},
        {"kind": "activity.rejected", "activity": rejected},
        {"kind": "activity.corrected", "activity": corrected},
    ]
    assert verified["reviewed_at"].endswith("+09:00")
    assert corrected["submitted_at"].endswith("+09:00")
