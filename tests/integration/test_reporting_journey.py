"""One journey through the broker: planning's events build reporting's read models, then review works."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import auth, event_deadline, new_region_id, wait_until
from tests.integration.test_planning_api import seed_region_with_team
from tests.integration.test_reporting_support import new_id
from tests.region_clock import moment_ago, year_in

WIB = "Asia/Jakarta"  # a region planning registers without a zone

pytestmark = pytest.mark.integration


async def test_planning_events_let_the_supervisor_verify_the_employees_activity(start_service, make_token):
    planning = await start_service("planning", relay=True)
    reporting = await start_service("reporting", consumer=True, relay=True)
    region = new_region_id()
    team = await seed_region_with_team(planning.client, make_token, region)
    head, staff_token, head_token = team["head"], team["staff_token"], team["head_token"]
    plan = (
        await planning.client.post(
            "/v1/work-plans",
            json={
                "year": year_in(WIB),
                "results": [
                    {
                        "text": "KTP-el diterbitkan",
                        "indicators": [
                            {"name": "KTP-el diterbitkan", "unit_of_measure": "dokumen", "target": 400}
                        ],
                    }
                ],
            },
            headers=auth(staff_token),
        )
    ).json()
    indicator_id = plan["results"][0]["indicators"][0]["indicator_id"]
    await planning.client.post(f"/v1/work-plans/{plan['plan_id']}/submit", headers=auth(staff_token))
    approved = await planning.client.post(
        f"/v1/work-plans/{plan['plan_id']}/approve", headers=auth(head_token)
    )
    assert approved.status_code == 200, approved.text

    body = {
        "activity_id": new_id(),
        "indicator_id": indicator_id,
        "occurred_at": moment_ago(WIB, timedelta(minutes=5)).isoformat(),
        "quantity": 40,
        "description": "Menerbitkan 40 KTP-el di loket",
    }

    async def accepted():
        response = await reporting.client.post("/v1/activities", json=body, headers=auth(staff_token))
        return response.status_code == 201

    await wait_until(accepted, timeout=event_deadline(), interval=0.3)

    async def verified():
        response = await reporting.client.post(
            f"/v1/activities/{body['activity_id']}/verify", headers=auth(head_token)
        )
        return response.status_code == 200 and response.json()

    # EmployeeUpserted travels on its own topic: the team may be known a moment after the plan.
    result = await wait_until(verified, timeout=30, interval=0.3)
    assert result["status"] == "verified"
    assert result["reviewed_by"] == head
