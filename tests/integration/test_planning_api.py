"""Planning API against real PostgreSQL, Redis and broker: the plan life cycle and its events."""

from __future__ import annotations

import uuid

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from shared.settings import ServiceSettings
from tests.conftest import auth, new_region_id

pytestmark = pytest.mark.integration


async def seed_region_with_team(client, make_token, region: str) -> dict[str, str]:
    """A region with one unit, a head (rater) and one employee; returns their ids and tokens."""
    platform = make_token("platform_admin")
    admin = make_token("region_admin", region=region)
    response = await client.post(
        "/v1/regions", json={"region_id": region, "name": "Kota Uji"}, headers=auth(platform)
    )
    assert response.status_code == 201, response.text
    unit = (
        await client.post(
            "/v1/units", json={"code": "dukcapil", "name": "Dinas Dukcapil"}, headers=auth(admin)
        )
    ).json()
    head, staff = f"h-{uuid.uuid4().hex[:8]}", f"e-{uuid.uuid4().hex[:8]}"
    for employee_id, nip, supervisor in (
        (head, "197001011995031001", None),
        (staff, "199001012015032002", head),
    ):
        response = await client.post(
            "/v1/employees",
            json={
                "employee_id": employee_id,
                "nip": nip,
                "name": f"Pegawai {employee_id}",
                "unit_id": unit["unit_id"],
                "position": "Petugas",
                "job_type": "id_card_registrar",
                "supervisor_id": supervisor,
                "effective_from": "2026-01-01",
            },
            headers=auth(admin),
        )
        assert response.status_code == 201, response.text
    return {
        "region": region,
        "unit": unit["unit_id"],
        "head": head,
        "staff": staff,
        "staff_token": make_token("employee", region=region, employee=staff),
        "head_token": make_token("employee,rater", region=region, employee=head),
    }


PLAN = {
    "year": 2026,
    "results": [
        {
            "text": "KTP-el diterbitkan tepat waktu",
            "indicators": [
                {
                    "name": "KTP-el diterbitkan",
                    "unit_of_measure": "dokumen",
                    "target": 400,
                    "period_targets": {"2026-Q1": 100, "2026-Q2": 100, "2026-Q3": 100, "2026-Q4": 100},
                }
            ],
        }
    ],
}


async def test_approved_plan_is_published_with_its_full_content(start_service, make_token):
    planning = await start_service("planning", relay=True)
    region = new_region_id()
    team = await seed_region_with_team(planning.client, make_token, region)
    consumer = AIOKafkaConsumer(
        "planning.work_plan.v1",
        bootstrap_servers=ServiceSettings().kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=f"test-{uuid.uuid4().hex}",
    )
    await consumer.start()
    try:
        plan = (
            await planning.client.post("/v1/work-plans", json=PLAN, headers=auth(team["staff_token"]))
        ).json()
        assert plan["status"] == "draft"
        assert plan["rater_id"] == team["head"]
        submitted = await planning.client.post(
            f"/v1/work-plans/{plan['plan_id']}/submit", headers=auth(team["staff_token"])
        )
        assert submitted.json()["status"] == "submitted"
        approved = await planning.client.post(
            f"/v1/work-plans/{plan['plan_id']}/approve", headers=auth(team["head_token"])
        )
        assert approved.status_code == 200, approved.text

        found = None
        for _ in range(50):
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    envelope = orjson.loads(record.value)
                    if envelope["payload"].get("plan_id") == plan["plan_id"]:
                        found = (record, envelope)
            if found:
                break
        assert found is not None, "WorkPlanApproved never reached the broker"
        record, envelope = found
        assert envelope["type"] == "WorkPlanApproved"
        assert envelope["region_id"] == region
        assert record.key == team["staff"].encode()
        indicator = envelope["payload"]["results"][0]["indicators"][0]
        assert indicator["target"] == "400"
        assert indicator["period_targets"]["2026-Q3"] == "100"
    finally:
        await consumer.stop()


async def test_employee_cannot_approve_their_own_plan(start_service, make_token):
    planning = await start_service("planning")
    team = await seed_region_with_team(planning.client, make_token, new_region_id())
    plan = (await planning.client.post("/v1/work-plans", json=PLAN, headers=auth(team["staff_token"]))).json()
    await planning.client.post(f"/v1/work-plans/{plan['plan_id']}/submit", headers=auth(team["staff_token"]))

    # Holding the rater role (they rate someone else) still does not let them approve their own plan.
    staff_as_rater = make_token("employee,rater", region=team["region"], employee=team["staff"])
    response = await planning.client.post(
        f"/v1/work-plans/{plan['plan_id']}/approve", headers=auth(staff_as_rater)
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "own_plan"
    stored = await planning.client.get(f"/v1/work-plans/{plan['plan_id']}", headers=auth(team["staff_token"]))
    assert stored.json()["status"] == "submitted"


async def test_an_employee_without_the_rater_role_cannot_approve_at_all(start_service, make_token):
    planning = await start_service("planning")
    team = await seed_region_with_team(planning.client, make_token, new_region_id())
    plan = (await planning.client.post("/v1/work-plans", json=PLAN, headers=auth(team["staff_token"]))).json()
    await planning.client.post(f"/v1/work-plans/{plan['plan_id']}/submit", headers=auth(team["staff_token"]))

    response = await planning.client.post(
        f"/v1/work-plans/{plan['plan_id']}/approve", headers=auth(team["staff_token"])
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_role"


async def test_period_split_that_does_not_add_up_is_refused_naming_the_field(start_service, make_token):
    planning = await start_service("planning")
    team = await seed_region_with_team(planning.client, make_token, new_region_id())
    broken = orjson.loads(orjson.dumps(PLAN))
    broken["results"][0]["indicators"][0]["period_targets"]["2026-Q4"] = 90

    response = await planning.client.post("/v1/work-plans", json=broken, headers=auth(team["staff_token"]))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "results.0.indicators.0.period_targets"
    assert "add up to 390" in error["message"]


async def test_period_split_with_a_key_outside_the_plan_year_is_refused(start_service, make_token):
    planning = await start_service("planning")
    team = await seed_region_with_team(planning.client, make_token, new_region_id())
    broken = orjson.loads(orjson.dumps(PLAN))
    broken["results"][0]["indicators"][0]["period_targets"] = {"2025-Q1": 400}

    response = await planning.client.post("/v1/work-plans", json=broken, headers=auth(team["staff_token"]))

    assert response.status_code == 422
    assert "outside the plan year 2026" in response.json()["error"]["message"]


async def test_period_split_with_a_malformed_key_is_refused(start_service, make_token):
    planning = await start_service("planning")
    team = await seed_region_with_team(planning.client, make_token, new_region_id())
    broken = orjson.loads(orjson.dumps(PLAN))
    broken["results"][0]["indicators"][0]["period_targets"] = {"first quarter": 400}

    response = await planning.client.post("/v1/work-plans", json=broken, headers=auth(team["staff_token"]))

    assert response.status_code == 422
    assert "is not a period" in response.json()["error"]["message"]
