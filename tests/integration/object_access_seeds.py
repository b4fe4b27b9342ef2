"""Real objects of one region, made through the services' own APIs, for the object-level access tests.

Each service's objects are made in turn, and its events forwarded to the services that consume them
(``World.forward``) before the next service's objects, which are read against those events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import RunningService, new_region_id
from tests.integration.object_access_world import (
    BERAKHLAK,
    PHOTO,
    SKM_ITEMS,
    World,
    citizen,
    ok,
    random_nip,
    unique,
)
from tests.region_clock import moment_ago


async def seed_world(services: dict[str, RunningService], make_token: Callable[..., str]) -> World:
    """Region A with an approved plan, activity, evidence, field visit, complaint, feedback and a rating."""
    world = World(services, make_token, region=new_region_id(), other_region=new_region_id())
    world.ids["hr"] = unique("hr-bkpsdm")
    world.remember(world.ids["hr"])
    await _seed_planning(world)
    await world.forward("planning")
    await _seed_reporting(world)
    await world.forward("reporting")
    await _seed_feedback(world)
    await world.forward("feedback")
    await _seed_scoring(world)
    world.remember(world.region)
    return world


async def _seed_planning(world: World) -> None:
    planning = world.services["planning"].client
    assert planning is not None
    platform = world.headers(["platform_admin"])
    for region in (world.region, world.other_region):
        ok(
            await planning.post(
                "/v1/regions", json={"region_id": region, "name": unique("Kota")}, headers=platform
            )
        )
    admin = world.hr
    unit = ok(
        await planning.post(
            "/v1/units", json={"code": unique("DUKCAPIL"), "name": unique("Dinas Dukcapil")}, headers=admin
        )
    )
    world.ids["unit_id"], world.ids["unit_code"] = unit["unit_id"], unit["code"]
    world.remember(unit["unit_id"], unit["code"], unit["name"])
    for person, supervisor in (("head", None), ("owner", "head"), ("colleague", "head")):
        employee_id, nip, name = unique(f"p-{person}"), random_nip(), unique("Pegawai")
        ok(
            await planning.post(
                "/v1/employees",
                json={
                    "employee_id": employee_id,
                    "nip": nip,
                    "name": name,
                    "unit_id": unit["unit_id"],
                    "position": "Petugas Registrasi",
                    "job_type": "id_card_registrar",
                    "supervisor_id": world.ids.get(supervisor) if supervisor else None,
                    "effective_from": f"{world.year}-01-01",
                },
                headers=admin,
            )
        )
        world.ids[person] = employee_id
        world.ids[f"{person}_nip"] = nip
        world.remember(employee_id, nip, name)
    owner = world.headers(["employee"], employee=world.ids["owner"])
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    quarters = {f"{world.year}-Q{q}": 100 for q in range(1, 5)}
    indicator = {
        "name": "KTP-el diterbitkan",
        "unit_of_measure": "keping",
        "target": 400,
        "period_targets": quarters,
    }
    plan = ok(
        await planning.post(
            "/v1/work-plans",
            json={
                "year": world.year,
                "results": [{"text": unique("KTP-el tepat waktu"), "indicators": [indicator]}],
            },
            headers=owner,
        )
    )
    ok(await planning.post(f"/v1/work-plans/{plan['plan_id']}/submit", headers=owner))
    plan = ok(await planning.post(f"/v1/work-plans/{plan['plan_id']}/approve", headers=head))
    result = plan["results"][0]
    world.ids.update(
        plan_id=plan["plan_id"],
        result_id=result["result_id"],
        indicator_id=result["indicators"][0]["indicator_id"],
    )
    world.remember(
        plan["plan_id"], result["result_id"], result["text"], result["indicators"][0]["indicator_id"]
    )


async def _seed_reporting(world: World) -> None:
    reporting = world.services["reporting"].client
    assert reporting is not None
    owner = world.headers(["employee"], employee=world.ids["owner"])
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    activity = ok(
        await reporting.post(
            "/v1/activities",
            json={
                "activity_id": unique("act"),
                "indicator_id": world.ids["indicator_id"],
                "occurred_at": moment_ago(DEFAULT_TIMEZONE, timedelta(hours=2)).isoformat(),
                "quantity": 12,
                "description": unique("Layanan loket KTP-el"),
            },
            headers=owner,
        ),
        201,
    )
    world.ids["activity_id"] = activity["activity_id"]
    world.remember(activity["activity_id"], activity["description"])
    evidence = ok(
        await reporting.post(
            f"/v1/activities/{activity['activity_id']}/evidence",
            files={"file": (f"{unique('foto')}.jpg", PHOTO, "image/jpeg")},
            headers=owner,
        ),
        201,
    )
    assert evidence["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    world.ids["sha256"] = evidence["sha256"]
    world.remember(evidence["sha256"], evidence["filename"])
    visit = ok(
        await reporting.post(
            "/v1/field-visits",
            json={
                "visit_id": unique("visit"),
                "employee_ids": [world.ids["owner"]],
                "location": unique("Kantor Kecamatan"),
                "visited_at": moment_ago(DEFAULT_TIMEZONE, timedelta(hours=1)).isoformat(),
                "findings": unique("Antrean tertib"),
            },
            headers=head,
        ),
        201,
    )
    world.ids["visit_id"] = visit["visit_id"]
    world.remember(visit["visit_id"], visit["location"], visit["findings"])


async def _seed_feedback(world: World) -> None:
    service = world.services["feedback"]
    feedback = service.client
    assert feedback is not None
    admin = world.hr
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    unit_id = world.ids["unit_id"]
    declared = ok(
        await feedback.post(
            f"/v1/units/{unit_id}/services",
            json={"service_id": unique("ktp"), "name": unique("Layanan KTP-el")},
            headers=admin,
        )
    )
    world.ids["service_id"] = declared["service_id"]
    world.remember(declared["service_id"], declared["name"])
    holiday = ok(
        await feedback.post(
            "/v1/complaint-calendar/holidays",
            json={"day": f"{world.year}-12-26", "name": unique("Cuti bersama")},
            headers=admin,
        )
    )
    world.ids["day"] = holiday["day"]
    world.remember(holiday["name"])
    async with citizen(service) as client:
        public = f"/v1/public/regions/{world.region}"
        ok(
            await client.post(
                f"{public}/units/{unit_id}/survey-responses",
                json={"scores": dict.fromkeys(SKM_ITEMS, 4), "service_id": declared["service_id"]},
            )
        )
        receipt = ok(
            await client.post(
                f"{public}/complaints",
                json={
                    "unit_id": unit_id,
                    "description": unique("Antrean KTP-el tidak bergerak tiga jam"),
                    "contact": {"email": f"{unique('warga')}@example.id"},
                },
            )
        )
        # The citizen's photo, so that staff of region A can read it and no one else can.
        attached = await client.put(
            f"{public}/complaints/{receipt['tracking_code']}/photo",
            content=PHOTO,
            headers={"Content-Type": "image/jpeg"},
        )
        assert attached.status_code == 204, f"seeding the complaint's photo: {attached.text[:500]}"
    world.ids["tracking_code"] = receipt["tracking_code"]
    (filed,) = await world.outbox_payloads("feedback", "ComplaintFiled")
    world.ids["complaint_id"] = filed["complaint_id"]
    complaint = ok(await feedback.get(f"/v1/complaints/{filed['complaint_id']}", headers=admin))
    world.remember(
        receipt["tracking_code"],
        complaint["complaint_id"],
        complaint["description"],
        (complaint["contact"] or {}).get("email"),
    )
    given = ok(
        await feedback.post(
            f"/v1/employees/{world.ids['owner']}/continuous-feedback",
            json={
                "result_id": world.ids["result_id"],
                "activity_ids": [world.ids["activity_id"]],
                "text": unique("Capaian bagus; perhatikan antrean sore"),
            },
            headers=head,
        )
    )
    world.remember(given["feedback_id"], given["text"])
    assessed = ok(
        await feedback.post(
            f"/v1/employees/{world.ids['owner']}/behaviour-assessments",
            json={
                "period": world.period,
                "scores": dict.fromkeys(BERAKHLAK, 4),
                "note": unique("Sigap melayani"),
            },
            headers=head,
        )
    )
    world.remember(assessed["assessment_id"])


async def _seed_scoring(world: World) -> None:
    scoring = world.services["scoring"].client
    assert scoring is not None
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    card = ok(
        await scoring.get(
            f"/v1/employees/{world.ids['owner']}/scorecard", params={"period": world.period}, headers=head
        )
    )
    decision = ok(
        await scoring.post(
            f"/v1/employees/{world.ids['owner']}/ratings/{world.period}",
            json={
                "result_rating": "ABOVE",
                "behaviour_rating": "ABOVE",
                "reason": unique("Melampaui target layanan dan sikap pelayanan sangat baik"),
            },
            headers=head,
        ),
        201,
    )
    world.remember(decision["decision_id"], decision["reason"], card.get("last_event_id"))
    ok(await scoring.post("/v1/rules", json={"effective_from": f"{world.year}-01-01"}, headers=world.hr), 201)
