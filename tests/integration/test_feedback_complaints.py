"""Complaints on real PostgreSQL: filing, tracking, the SP4N-LAPOR! life cycle, calendars and breaches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from services.feedback.adapters.tables import complaint_breaches, complaints
from services.feedback.domain.calendar import WorkingCalendar
from services.feedback.service_layer.deadlines import scan_once
from shared.db import restrict_to_region
from tests.conftest import auth, new_region_id, outbox_payloads, wait_until
from tests.integration.test_feedback_surveys import citizen, seed_region

pytestmark = pytest.mark.integration

COMPLAINT = {"description": "Antrean KTP-el tidak bergerak selama tiga jam tanpa penjelasan petugas."}


async def test_a_complaint_moves_through_its_life_cycle_and_the_citizen_can_follow_and_reopen_it(
    start_service, make_token
):
    feedback = await start_service("feedback")
    region = new_region_id()
    head = f"{region}-head"
    units = await seed_region(
        feedback, region, units=("dukcapil", "pelayanan"), employees=((head, "pelayanan", None),)
    )
    admin = auth(make_token("region_admin", region=region))
    unit_rater = auth(make_token("employee,rater", region=region, employee=head))
    public = f"/v1/public/regions/{region}/complaints"

    async with citizen(feedback) as client:
        no_unit = await client.post(public, json=COMPLAINT)
        unknown_unit = await client.post(public, json={**COMPLAINT, "unit_id": "nowhere"})
        filed = await client.post(
            public, json={**COMPLAINT, "unit_id": units["dukcapil"], "contact": {"email": "warga@example.id"}}
        )
    assert no_unit.status_code == 422
    assert no_unit.json()["error"]["field"] == "unit_id"
    assert unknown_unit.status_code == 404
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    code = receipt["tracking_code"]
    assert receipt["anonymous"] is False
    filed_at = datetime.fromisoformat(receipt["filed_at"])
    assert datetime.fromisoformat(receipt["due_at"]) == WorkingCalendar().add_working_days(filed_at, 3)
    complaint_id = (await outbox_payloads(feedback, region, "ComplaintFiled"))[0]["complaint_id"]
    moves = f"/v1/complaints/{complaint_id}/transitions"

    async def move(headers: dict[str, str], **body: object) -> httpx.Response:
        response: httpx.Response = await feedback.client.post(moves, json=body, headers=headers)
        return response

    assert (await move(admin, status="verified")).status_code == 200
    by_unit_before_dispatch = await move(unit_rater, status="followed_up")
    assert by_unit_before_dispatch.status_code == 404  # not yet about or dispatched to the rater's unit
    no_target = await move(admin, status="dispatched")
    assert no_target.status_code == 422
    assert no_target.json()["error"]["field"] == "unit_id"
    dispatched = await move(admin, status="dispatched", unit_id=units["pelayanan"])
    assert dispatched.json()["deadline_kind"] == "follow_up"
    assert (await move(unit_rater, status="closed")).status_code == 403
    followed = await move(unit_rater, status="followed_up", requires_field_check=True)
    assert followed.json()["deadline_kind"] == "resolution_with_field_check"
    assert (
        await move(unit_rater, status="answered", reason="Petugas tambahan ditempatkan")
    ).status_code == 200
    closed = await move(admin, status="closed")
    assert closed.json()["due_at"] is None

    refused = await move(admin, status="verified")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert "tidak dapat diubah dari 'closed' ke 'verified'" in error["message_id"]
    assert "cannot move from 'closed' to 'verified'" in error["message"]

    async with citizen(feedback) as client:
        tracked = await client.get(f"{public}/{code.replace('-', '').lower()}")
        no_reason = await client.post(f"{public}/{code}/reopen", json={"reason": ""})
        reopened = await client.post(f"{public}/{code}/reopen", json={"reason": "Antrean kembali macet"})
        twice = await client.post(f"{public}/{code}/reopen", json={"reason": "Antrean kembali macet"})
        typo = await client.get(f"{public}/{code[:-1]}{'2' if code[-1] != '2' else '3'}")
    assert tracked.status_code == 200
    body = tracked.json()
    assert body["status"] == "closed"
    assert body["reopen_until"] is not None
    assert [step["status"] for step in body["history"]] == [
        "submitted",
        "verified",
        "dispatched",
        "followed_up",
        "answered",
        "closed",
    ]
    assert "warga@example.id" not in tracked.text
    assert no_reason.status_code == 422
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "reopened"
    assert reopened.json()["status_label_id"] == "Dibuka kembali"
    # Reopened again (from another tab): said as something the citizen can act on, not as statuses.
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "feedback.complaint.already_reopened"
    assert twice.json()["error"]["message_id"].startswith("Pengaduan ini sudah dibuka kembali")
    assert typo.status_code == 422

    changes = await outbox_payloads(feedback, region, "ComplaintStatusChanged")
    assert [(c["from_status"], c["to_status"]) for c in changes] == [
        ("submitted", "verified"),
        ("verified", "dispatched"),
        ("dispatched", "followed_up"),
        ("followed_up", "answered"),
        ("answered", "closed"),
        ("closed", "reopened"),
    ]
    assert changes[1]["dispatched_unit_id"] == units["pelayanan"]
    closed_events = await outbox_payloads(feedback, region, "ComplaintClosed")
    assert [event["complaint_id"] for event in closed_events] == [complaint_id]


async def test_deadlines_follow_the_regions_policy_weekends_and_holidays(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region, timezone="Asia/Makassar"))["dukcapil"]
    admin = auth(make_token("region_admin", region=region))
    async with citizen(feedback) as client:
        filed = (
            await client.post(f"/v1/public/regions/{region}/complaints", json={**COMPLAINT, "unit_id": unit})
        ).json()
    filed_at = datetime.fromisoformat(filed["filed_at"])
    calendar = WorkingCalendar(timezone="Asia/Makassar")
    assert datetime.fromisoformat(filed["due_at"]) == calendar.add_working_days(filed_at, 3)

    policy = await feedback.client.post(
        "/v1/complaint-policies",
        json={"effective_from": "2000-01-01", "verification_days": 2, "weekend_days": [4, 5, 6]},
        headers=admin,
    )
    assert policy.status_code == 201, policy.text
    bad_policy = await feedback.client.post(
        "/v1/complaint-policies", json={"effective_from": "2000-01-02", "weekend_days": [7]}, headers=admin
    )
    assert bad_policy.status_code == 422
    assert bad_policy.json()["error"]["field"] == "weekend_days"
    first_working_day = calendar.local_date(
        WorkingCalendar(timezone="Asia/Makassar", weekend_days=frozenset({4, 5, 6})).add_working_days(
            filed_at, 1
        )
    )
    holiday = await feedback.client.post(
        "/v1/complaint-calendar/holidays",
        json={"day": first_working_day.isoformat(), "name": "Hari Raya"},
        headers=admin,
    )
    assert holiday.status_code == 201

    listed = await feedback.client.get("/v1/complaints", headers=admin)
    expected = WorkingCalendar(
        timezone="Asia/Makassar", weekend_days=frozenset({4, 5, 6}), holidays=frozenset({first_working_day})
    ).add_working_days(filed_at, 2)
    assert datetime.fromisoformat(listed.json()[0]["due_at"]) == expected
    holidays = await feedback.client.get("/v1/complaint-calendar/holidays", headers=admin)
    assert holidays.json() == [{"day": first_working_day.isoformat(), "name": "Hari Raya"}]


async def _file(feedback: Any, region: str, unit: str) -> str:
    async with citizen(feedback) as client:
        response = await client.post(
            f"/v1/public/regions/{region}/complaints", json={**COMPLAINT, "unit_id": unit}
        )
    assert response.status_code == 201
    return str(
        next(
            event["complaint_id"]
            for event in await outbox_payloads(feedback, region, "ComplaintFiled")
            # The receipt shows the region's zone, the event the same instant in UTC.
            if datetime.fromisoformat(event["filed_at"])
            == datetime.fromisoformat(response.json()["filed_at"])
        )
    )


async def _set_due(feedback, region: str, complaint_id: str, due_at: datetime) -> None:
    # Time is simulated by moving the deadline, never by sleeping for working days.
    async with feedback.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        await session.execute(
            update(complaints)
            .where(complaints.c.region_id == region, complaints.c.complaint_id == complaint_id)
            .values(due_at=due_at)
        )


async def _breaches(feedback: Any, region: str, complaint_id: str) -> list[dict[str, Any]]:
    return [
        event
        for event in await outbox_payloads(feedback, region, "ComplaintDeadlineBreached")
        if event["complaint_id"] == complaint_id
    ]


async def test_two_schedulers_emit_a_breach_the_moment_it_passes_and_exactly_once(start_service, monkeypatch):
    monkeypatch.setenv("KINERJA_COMPLAINT_SCAN_INTERVAL_SECONDS", "0.3")
    first = await start_service("feedback")
    second = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(first, region))["dukcapil"]

    watched = await _file(first, region, unit)
    due_at = datetime.now(UTC) + timedelta(seconds=1.5)
    await _set_due(first, region, watched, due_at)
    events = await wait_until(lambda: _breaches(first, region, watched), timeout=10, interval=0.05)
    detected_after = datetime.now(UTC) - due_at
    assert detected_after < timedelta(seconds=1.5)
    assert events[0]["stage"] == "verification"
    assert datetime.fromisoformat(events[0]["due_at"]) == due_at
    await asyncio.sleep(1.5)  # several more scans by both schedulers
    assert len(await _breaches(first, region, watched)) == 1

    # Two scans racing on the same overdue deadline: exactly one of them emits.
    raced = await _file(first, region, unit)
    await _set_due(first, region, raced, datetime.now(UTC) - timedelta(minutes=1))
    now = datetime.now(UTC)
    await asyncio.gather(scan_once(first.context, now), scan_once(second.context, now))
    assert len(await _breaches(first, region, raced)) == 1
    async with first.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        recorded = await session.scalar(
            select(func.count())
            .select_from(complaint_breaches)
            .where(complaint_breaches.c.region_id == region)
        )
    assert recorded == 2


async def test_a_move_after_a_missed_deadline_still_records_the_breach_once(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    complaint_id = await _file(feedback, region, unit)
    await _set_due(feedback, region, complaint_id, datetime.now(UTC) - timedelta(seconds=5))

    moved = await feedback.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={"status": "verified"},
        headers=auth(make_token("region_admin", region=region)),
    )

    assert moved.status_code == 200
    assert [event["stage"] for event in await _breaches(feedback, region, complaint_id)] == ["verification"]
    await scan_once(feedback.context, datetime.now(UTC))
    assert len(await _breaches(feedback, region, complaint_id)) == 1


async def test_contact_details_and_the_tracking_code_reach_the_complaint_desk_only(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    head = f"{region}-head"
    units = await seed_region(feedback, region, units=("dukcapil",), employees=((head, "dukcapil", None),))
    contact = {"name": "Siti Warga", "email": "siti@example.id", "phone": "+6281234567890"}
    async with citizen(feedback) as client:
        filed = await client.post(
            f"/v1/public/regions/{region}/complaints",
            json={**COMPLAINT, "unit_id": units["dukcapil"], "officer_employee_id": head, "contact": contact},
        )
    assert filed.status_code == 201, filed.text
    code = filed.json()["tracking_code"]
    complaint_id = (await outbox_payloads(feedback, region, "ComplaintFiled"))[0]["complaint_id"]
    desk = auth(make_token("region_admin", region=region))
    # The unit's head, who may be the very person complained about, and the region's auditors.
    others = {
        "head": auth(make_token("employee,rater", region=region, employee=head)),
        "auditor": auth(make_token("auditor", region=region)),
    }
    dispatched = await feedback.client.post(
        f"/v1/complaints/{complaint_id}/transitions", json={"status": "verified"}, headers=desk
    )
    assert dispatched.status_code == 200
    assert dispatched.json()["contact"] == contact
    assert dispatched.json()["tracking_code"] == code
    await feedback.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={"status": "dispatched", "unit_id": units["dukcapil"]},
        headers=desk,
    )

    for who, headers in others.items():
        listed = await feedback.client.get("/v1/complaints", headers=headers)
        detail = await feedback.client.get(f"/v1/complaints/{complaint_id}", headers=headers)
        reads = [listed.json()[0], detail.json()]
        if who == "head":
            moved = await feedback.client.post(
                f"/v1/complaints/{complaint_id}/transitions", json={"status": "followed_up"}, headers=headers
            )
            assert moved.status_code == 200, moved.text
            reads.append(moved.json())
        for read in reads:
            assert read["contact"] is None, who
            assert read["tracking_code"] is None, who
            for secret in (*contact.values(), code, code.replace("-", "")):
                assert secret not in str(read), (who, secret)
    listed_by_desk = await feedback.client.get("/v1/complaints", headers=desk)
    assert listed_by_desk.json()[0]["contact"] == contact
    await feedback.client.post(
        f"/v1/complaints/{complaint_id}/transitions", json={"status": "answered"}, headers=others["head"]
    )
    await feedback.client.post(
        f"/v1/complaints/{complaint_id}/transitions", json={"status": "closed"}, headers=desk
    )
    async with citizen(feedback) as client:
        reopened = await client.post(
            f"/v1/public/regions/{region}/complaints/{code}/reopen", json={"reason": "Belum ada jawaban"}
        )
    assert reopened.status_code == 200, reopened.text
    trail = await feedback.client.get("/v1/audit-log", headers=others["auditor"])
    assert trail.status_code == 200
    assert code not in trail.text
    assert code.replace("-", "") not in trail.text
