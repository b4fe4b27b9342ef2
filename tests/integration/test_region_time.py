"""Every service shows the times it computed in the region's zone, and a device's times as sent.

Reporting's and feedback's own answers are tested beside them (test_reporting_region_time.py,
test_feedback_region_time.py); here scoring's answers and every service's audit trail, in a region
counting in Wanggar's zone (WIT, +09:00) while its devices send WIB (+07:00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.contracts import Envelope
from shared.contracts.planning import RegionRegistered, UnitUpserted
from shared.contracts.reporting import FieldVisitLogged
from tests.conftest import apply_event, auth, new_region_id
from tests.integration.scoring_events import Q1, Region, employee, plan, rater_assessment, reported, verified

pytestmark = pytest.mark.integration

WANGGAR = "Asia/Jayapura"
WIB = timezone(timedelta(hours=7))
SENT = datetime(2026, 2, 10, 20, 30, tzinfo=WIB)  # 11 February in Wanggar: the device's own day
DEVICE_TIMES = ("occurred_at", "visited_at")


def platform_times(value: Any, *, skip: tuple[str, ...] = DEVICE_TIMES) -> list[str]:
    """Every timestamp the platform computed in an answer (device times left out)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (key.endswith("_at") or key == "at") and isinstance(item, str) and key not in skip:
                found.append(item)
            found.extend(platform_times(item, skip=skip))
    elif isinstance(value, list):
        for item in value:
            found.extend(platform_times(item, skip=skip))
    return found


async def test_scorings_answers_show_its_times_in_wanggars_zone_and_device_times_as_sent(
    start_service, make_token
):
    service = await start_service("scoring")
    region = Region(service)
    r = region.id
    region.clock = datetime.now(UTC) - timedelta(hours=1)
    await region.apply(
        RegionRegistered(region_id=r, name="Kabupaten Wanggar", timezone=WANGGAR),
        UnitUpserted(region_id=r, unit_id="dukcapil", code="dukcapil", name="Dinas Dukcapil", kind="opd"),
        employee(r, "boss", None),
        employee(r, "ani", "boss"),
        plan(r, "ani", "boss"),
        reported(r, "ani", "a1", "docs", 100, occurred_at=SENT),
        verified(r, "ani", "a1"),
        rater_assessment(r, "ani", "boss", 3),
        FieldVisitLogged(
            region_id=r,
            visit_id="v1",
            supervisor_id="boss",
            employee_ids=["ani"],
            location="Puskesmas Wanggar",
            visited_at=SENT,
            findings="Antrean tertib.",
        ),
    )
    boss = auth(make_token("employee,rater", region=r, employee="boss"))
    proposed = (await service.client.get(f"/v1/employees/ani/scorecard?period={Q1}", headers=boss)).json()
    decided = await service.client.post(
        f"/v1/employees/ani/ratings/{Q1}",
        json={
            "result_rating": proposed["proposed_result_rating"],
            "behaviour_rating": proposed["proposed_behaviour_rating"],
        },
        headers=boss,
    )
    card = await service.client.get("/v1/employees/ani/scorecard", params={"period": Q1}, headers=boss)

    assert decided.status_code in (200, 201), decided.text
    assert card.status_code == 200, card.text
    body = card.json()
    [activity] = body["indicators"][0]["activities"]
    assert activity["occurred_at"] == SENT.isoformat()
    assert body["field_visits"][0]["visited_at"] == SENT.isoformat()
    for answer in (decided.json(), body):
        found = platform_times(answer)
        assert found, answer
        assert all(time.endswith("+09:00") for time in found), found


async def _registered(name: str, service: Any, region: str, make_token: Any) -> None:
    if name == "planning":
        answer = await service.client.post(
            "/v1/regions",
            json={"region_id": region, "name": "Kabupaten Wanggar", "timezone": WANGGAR},
            headers=auth(make_token("platform_admin")),
        )
        assert answer.status_code == 201, answer.text
        return
    event = RegionRegistered(region_id=region, name="Kabupaten Wanggar", timezone=WANGGAR)
    handle = service.definition.handlers(service.context)[RegionRegistered]
    async with service.context.unit_of_work(region_id=region) as uow:
        envelope = Envelope.wrap(event, producer="planning")
        await apply_event(handle, uow.session, service.context.outbox, event, envelope)
        await uow.commit()


@pytest.mark.parametrize("name", ["planning", "reporting", "scoring", "feedback"])
async def test_every_services_audit_trail_is_shown_in_the_regions_zone(name, start_service, make_token):
    service = await start_service(name)
    region = new_region_id()
    await _registered(name, service, region, make_token)
    async with service.context.unit_of_work(region_id=region) as uow:
        await uow.audit(actor="hr-wanggar", action="test.touch", subject="s1")
        await uow.commit()

    trail = await service.client.get("/v1/audit-log", headers=auth(make_token("auditor", region=region)))

    assert trail.status_code == 200, trail.text
    times = [entry["at"] for entry in trail.json()["entries"]]
    assert times, trail.json()
    assert all(time.endswith("+09:00") for time in times), times
