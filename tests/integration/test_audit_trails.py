"""Each service's audit trail, entry by entry: who did what to which object, with which detail, from where.

Pinned on the routes as they were before they moved to ``shared.route_work``, so that moving them
keeps every entry as it was: the actor, the action, its subject, the detail and the client address.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.conftest import auth
from tests.integration.work_plan_requests import organisation_with_chain, plan_body

pytestmark = pytest.mark.integration

#: Where the in-process client's requests come from (httpx's ASGI transport).
CLIENT_ADDRESS = "127.0.0.1"


async def trail(client: Any, headers: dict[str, str]) -> list[tuple[str, str, str, str | None, str | None]]:
    """The region's trail, oldest first, as (actor, action, subject, detail, client address)."""
    response = await client.get("/v1/audit-log", params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    return [
        (e["actor"], e["action"], e["subject"], e["detail"], e["client_address"])
        for e in reversed(response.json()["entries"])
    ]


async def test_plannings_trail(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    region, admin, ids = org["region"], org["admin"], org["ids"]
    unit_id = org["unit"]["unit_id"]

    renamed = await client.patch(f"/v1/units/{unit_id}", json={"name": "Dinas Dukcapil"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    created = await client.post("/v1/work-plans", json=plan_body(), headers=org["as"]["staff"])
    plan_id = created.json()["plan_id"]
    await client.post(f"/v1/work-plans/{plan_id}/submit", headers=org["as"]["staff"])
    rejected = await client.post(
        f"/v1/work-plans/{plan_id}/reject",
        json={"reason": "Target terlalu rendah"},
        headers=org["as"]["section"],
    )
    assert rejected.status_code == 200, rejected.text
    revised = await client.post(f"/v1/work-plans/{plan_id}/revise", headers=org["as"]["staff"])
    assert revised.status_code == 201, revised.text
    csv = "nip,name,unit_code,unit_name,parent_unit_code,position,job_type,supervisor_nip,effective_date\n"
    csv += "199202022017012006,Rina,DISDUKCAPIL,Dinas Dukcapil,,Pengadministrasi,general_staff,,2026-01-02\n"
    dry_run = await client.post(
        "/v1/imports/organisation?dry_run=true", content=csv, headers=admin | {"Content-Type": "text/csv"}
    )
    assert dry_run.status_code == 200, dry_run.text
    imported = await client.post(
        "/v1/imports/organisation", content=csv, headers=admin | {"Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text

    entries = await trail(client, auth(make_token("auditor", region=region)))

    enrolled = [("region_admin", "employee.create", ids[name], None, CLIENT_ADDRESS) for name in ids]
    assert entries == [
        ("platform_admin", "region.register", region, None, CLIENT_ADDRESS),
        ("region_admin", "unit.create", unit_id, None, CLIENT_ADDRESS),
        *enrolled,
        ("region_admin", "unit.update", unit_id, '{"name":"Dinas Dukcapil"}', CLIENT_ADDRESS),
        (ids["staff"], "work_plan.create", plan_id, None, CLIENT_ADDRESS),
        (ids["staff"], "work_plan.submit", plan_id, None, CLIENT_ADDRESS),
        (ids["section"], "work_plan.reject", plan_id, "Target terlalu rendah", CLIENT_ADDRESS),
        (ids["staff"], "work_plan.revise", revised.json()["plan_id"], f"revises {plan_id}", CLIENT_ADDRESS),
        (
            "region_admin",
            "organisation.import",
            region,
            "1 rows: 0 units, 1 employees created, 0 moved",
            CLIENT_ADDRESS,
        ),
    ]


async def test_scorings_trail(start_service, make_token):
    from tests.integration.test_scoring_judgements import CLEAN, judge, seeded

    service, region = await seeded(start_service)
    r = region.id
    boss = auth(make_token("employee,rater", region=r, employee="boss"))
    admin = auth(make_token("region_admin", region=r))

    assert (await judge(service, boss, {"judgement": "MET"})).status_code == 200
    partly = await judge(service, boss, {"judgement": "PARTLY_MET", "note": "Dua berkas direvisi"})
    assert partly.status_code == 200, partly.text
    decided = await service.client.post(
        "/v1/employees/ani/ratings/2026-Q1",
        json={
            "result_rating": "ABOVE",
            "behaviour_rating": "MEETS",
            "reason": "Menangani antrean tambahan saat banjir",
        },
        headers=boss,
    )
    assert decided.status_code == 201, decided.text
    rules = await service.client.post(
        "/v1/rules",
        json={"effective_from": "2026-04-01", "rating": {"meets_min_achievement": "0.7"}},
        headers=admin,
    )
    assert rules.status_code == 201, rules.text
    analysed = await service.client.post("/v1/periods/2026-Q1/analysis", headers=admin)
    assert analysed.status_code == 200, analysed.text
    closed = await service.client.post(
        "/v1/periods/2026-Q1/close", json={"acknowledge_warnings": True}, headers=admin
    )
    assert closed.status_code == 201, closed.text
    warned = "; ".join(f"{w['unit_id']}: {w['message']}" for w in closed.json()["warnings"]) or None

    entries = await trail(service.client, auth(make_token("auditor", region=r)))

    assert entries == [
        ("boss", "indicator.judge", f"ani/2026-Q1/{CLEAN}", "MET", CLIENT_ADDRESS),
        (
            "boss",
            "indicator.judge",
            f"ani/2026-Q1/{CLEAN}",
            "PARTLY_MET: Dua berkas direvisi",
            CLIENT_ADDRESS,
        ),
        ("boss", "rating.override", "ani/2026-Q1", "Menangani antrean tambahan saat banjir", CLIENT_ADDRESS),
        ("region_admin", "rules.add", "2026-04-01", None, CLIENT_ADDRESS),
        ("region_admin", "period.analyse", "2026-Q1", None, CLIENT_ADDRESS),
        ("region_admin", "period.close", "2026-Q1", warned, CLIENT_ADDRESS),
    ]


async def test_reportings_trail(start_service, make_token, monkeypatch, tmp_path):
    from tests.conftest import new_region_id
    from tests.integration.test_reporting_evidence import PHOTO, upload
    from tests.integration.test_reporting_support import activity, new_id, seed_team, submit

    monkeypatch.setenv("KINERJA_EVIDENCE_DIR", str(tmp_path / "evidence"))
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff, rater = team.members[0], team.rater
    one = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    two = (await submit(reporting, staff, activity(staff))).json()["activity_id"]

    def post(path: str, token: str, body: Any = None) -> Any:
        return reporting.client.post(f"/v1/activities/{path}", json=body, headers=auth(token))

    assert (await post(f"{one}/verify", rater.token, {"note": "Sesuai"})).status_code == 200
    assert (
        await post(f"{two}/reject", rater.token, {"note": "Jumlah tidak sesuai bukti"})
    ).status_code == 200
    body = activity(staff)
    correction = {"occurred_at": body["occurred_at"], "quantity": 10, "description": "KTP-el (diperbaiki)"}
    corrected = await post(f"{two}/correction", staff.token, correction)
    assert corrected.status_code == 200, corrected.text
    assert (await upload(reporting, two, staff.token, PHOTO)).status_code == 201
    assert (await upload(reporting, two, staff.token, PHOTO)).status_code == 200  # the same file: no entry
    visit = {
        "visit_id": new_id("visit"),
        "employee_ids": [staff.employee_id],
        "location": "SDN 3 Gerunggang",
        "visited_at": corrected.json()["occurred_at"],
        "findings": "Supervisi kelas berjalan.",
    }
    for expected in (201, 200):  # a retry answers from what is stored: no entry
        logged = await reporting.client.post("/v1/field-visits", json=visit, headers=auth(rater.token))
        assert logged.status_code == expected, logged.text

    entries = await trail(reporting.client, auth(make_token("auditor", region=team.region)))

    digest = hashlib.sha256(PHOTO).hexdigest()
    member, boss = staff.employee_id, rater.employee_id
    assert entries == [
        (member, "activity.submit", one, None, CLIENT_ADDRESS),
        (member, "activity.submit", two, None, CLIENT_ADDRESS),
        (boss, "activity.verify", one, "Sesuai", CLIENT_ADDRESS),
        (boss, "activity.reject", two, "Jumlah tidak sesuai bukti", CLIENT_ADDRESS),
        (member, "activity.correct", two, None, CLIENT_ADDRESS),
        (member, "evidence.attach", two, digest, CLIENT_ADDRESS),
        (boss, "field_visit.log", visit["visit_id"], None, CLIENT_ADDRESS),
    ]


async def test_feedbacks_trail(start_service, make_token):
    from tests.conftest import new_region_id, outbox_payloads
    from tests.integration.test_feedback_complaint_photos import JPEG
    from tests.integration.test_feedback_internal import berakhlak, seed_team
    from tests.integration.test_feedback_surveys import citizen, scores

    feedback = await start_service("feedback")
    region = new_region_id()
    people = await seed_team(feedback, region)
    unit = f"{region}-dukcapil"
    admin = auth(make_token("region_admin", region=region))
    head = auth(make_token("employee,rater", region=region, employee=people["head"]))
    staff = auth(make_token("employee", region=region, employee=people["staff"]))
    address = "10.20.30.40"
    public = f"/v1/public/regions/{region}"

    async def ok(response: Any, status: int = 200) -> Any:
        answered = await response
        assert answered.status_code == status, answered.text
        return answered.json() if status != 204 else None

    service = {"service_id": "ktp", "name": "KTP-el", "survey_kind": "public_service"}
    await ok(feedback.client.post(f"/v1/units/{unit}/services", json=service, headers=admin), 201)
    tickets = {"service_id": "ktp", "count": 2}
    await ok(feedback.client.post(f"/v1/units/{unit}/service-tickets", json=tickets, headers=admin), 201)
    async with citizen(feedback, address) as client:
        answer = {"scores": scores(4, 4, 3, 3, 4, 3, 4, 3, 2), "service_id": "ktp"}
        receipt = await ok(client.post(f"{public}/units/{unit}/survey-responses", json=answer), 201)
        complaint = {"unit_id": unit, "description": "Antrean KTP-el tidak bergerak selama tiga jam."}
        code = (await ok(client.post(f"{public}/complaints", json=complaint), 201))["tracking_code"]
        photo = client.put(
            f"{public}/complaints/{code}/photo", content=JPEG, headers={"Content-Type": "image/jpeg"}
        )
        await ok(photo, 204)
    users = {"period": receipt["period"], "service_id": "ktp", "service_users": 100}
    await ok(feedback.client.put(f"/v1/units/{unit}/service-users", json=users, headers=admin))
    complaint_id = (await outbox_payloads(feedback, region, "ComplaintFiled"))[0]["complaint_id"]
    moves = f"/v1/complaints/{complaint_id}/transitions"
    for move in (
        {"status": "verified"},
        {"status": "dispatched", "unit_id": unit},
        {"status": "followed_up"},
        {"status": "answered", "reason": "Petugas tambahan ditempatkan"},
        {"status": "closed"},
    ):
        await ok(feedback.client.post(moves, json=move, headers=admin))
    async with citizen(feedback, address) as client:
        await ok(client.post(f"{public}/complaints/{code}/reopen", json={"reason": "Antrean kembali macet"}))
    holiday = {"day": "2026-12-25", "name": "Hari Raya Natal"}
    await ok(feedback.client.post("/v1/complaint-calendar/holidays", json=holiday, headers=admin), 201)
    await ok(feedback.client.delete("/v1/complaint-calendar/holidays/2026-12-25", headers=admin), 204)
    policy = {"effective_from": "2026-01-01", "verification_days": 2}
    await ok(feedback.client.post("/v1/complaint-policies", json=policy, headers=admin), 201)
    given = {"result_id": f"{region}-rhk-1", "activity_ids": [f"{region}-act-1"], "text": "Capaian bagus."}
    url = f"/v1/employees/{people['staff']}"
    feedback_id = (
        await ok(feedback.client.post(f"{url}/continuous-feedback", json=given, headers=head), 201)
    )["feedback_id"]
    assessment = {"period": "2026-Q2", "scores": berakhlak(3, 3, 3, 3, 3, 3, 3)}
    assessed = await ok(
        feedback.client.post(f"{url}/behaviour-assessments", json=assessment, headers=staff), 201
    )

    entries = await trail(feedback.client, auth(make_token("auditor", region=region)))

    pseudonym = "sha256:" + hashlib.sha256(address.encode()).hexdigest()[:24]
    assert entries == [
        ("region_admin", "unit_service.declare", f"{unit}/ktp", None, CLIENT_ADDRESS),
        ("region_admin", "service_ticket.issue", unit, "2 ticket(s), service ktp", CLIENT_ADDRESS),
        ("citizen", "survey_response.submit", f"{unit}/ktp", None, pseudonym),
        ("citizen", "complaint.file", complaint_id, None, pseudonym),
        ("citizen", "complaint.photo", complaint_id, f"{len(JPEG)} bytes", pseudonym),
        ("region_admin", "service_users.report", f"{unit}/ktp/{receipt['period']}", "100", CLIENT_ADDRESS),
        ("region_admin", "complaint.verified", complaint_id, None, CLIENT_ADDRESS),
        ("region_admin", "complaint.dispatched", complaint_id, None, CLIENT_ADDRESS),
        ("region_admin", "complaint.followed_up", complaint_id, None, CLIENT_ADDRESS),
        ("region_admin", "complaint.answered", complaint_id, "Petugas tambahan ditempatkan", CLIENT_ADDRESS),
        ("region_admin", "complaint.closed", complaint_id, None, CLIENT_ADDRESS),
        ("citizen", "complaint.reopen", complaint_id, None, pseudonym),
        ("region_admin", "holiday.add", "2026-12-25", "Hari Raya Natal", CLIENT_ADDRESS),
        ("region_admin", "holiday.remove", "2026-12-25", None, CLIENT_ADDRESS),
        ("region_admin", "complaint_policy.set", "2026-01-01", None, CLIENT_ADDRESS),
        (people["head"], "continuous_feedback.give", feedback_id, None, CLIENT_ADDRESS),
        (people["staff"], "behaviour_assessment.self", assessed["assessment_id"], None, CLIENT_ADDRESS),
    ]
