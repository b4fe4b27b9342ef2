"""Reporting's team read model follows the one rule for planning's dated facts (shared/read_models.py):
a move dated later changes who rates whom only from its date, in the region's zone, and a late or
repeated event never overwrites a newer one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.reporting.service_layer import read_models
from shared.contracts import Envelope
from shared.contracts.planning import RegionRegistered
from shared.region_time import region_now
from tests.conftest import apply_event, auth, new_region_id
from tests.integration.test_reporting_support import (
    Member,
    activity,
    apply,
    approved_plan,
    employee_upserted,
    new_id,
    seed_team,
    submit,
)
from tests.region_clock import year_in

pytestmark = pytest.mark.integration

WANGGAR = ZoneInfo("Asia/Jayapura")


async def deliver(service: Any, region: str, event: Any, at: datetime) -> None:
    """Apply an employee event stamped ``at`` (the envelope's time), as the consumer would."""
    async with service.context.unit_of_work(region_id=region) as uow:
        envelope = Envelope.wrap(event, producer="planning", occurred_at=at)
        await apply_event(
            read_models.on_employee_upserted, uow.session, service.context.outbox, event, envelope
        )
        await uow.commit()


async def moving_staff(reporting: Any, make_token: Any) -> tuple[str, Member, Member, Member, Member]:
    """A region in Wanggar's zone, one staff member, their rater and two other raters."""
    region = new_region_id()
    await apply(reporting, region, RegionRegistered(region_id=region, name="Wanggar", timezone=WANGGAR.key))
    team = await seed_team(reporting, make_token, region, size=1, zone=WANGGAR.key)
    first, second = (new_id("head") for _ in range(2))
    raters = [Member(i, make_token("employee,rater", region=region, employee=i)) for i in (first, second)]
    return region, team.members[0], team.rater, raters[0], raters[1]


async def test_a_move_dated_later_changes_the_rater_only_from_its_date(start_service, make_token):
    reporting = await start_service("reporting")
    region, staff, rater, later, now_rater = await moving_staff(reporting, make_token)
    later_id, now_id = later.employee_id, now_rater.employee_id
    today = region_now(WANGGAR.key).date()
    stamped = datetime.now(UTC)
    next_month = employee_upserted(
        region, staff.employee_id, later_id, effective_from=today + timedelta(days=30)
    )
    stale_first = employee_upserted(region, staff.employee_id, later_id)  # the first date, an older event

    # The future move arrives twice, then a stale event for the first assignment's date.
    await deliver(reporting, region, next_month, stamped)
    await deliver(reporting, region, next_month, stamped)
    await deliver(reporting, region, stale_first, stamped - timedelta(days=400))
    first = (await submit(reporting, staff, activity(staff, zone=WANGGAR.key))).json()["activity_id"]
    refused = await reporting.client.post(
        f"/v1/activities/{first}/verify", json={"note": "ok"}, headers=auth(later.token)
    )
    not_in_later_team = await reporting.client.get("/v1/activities", headers=auth(later.token))
    verified = await reporting.client.post(
        f"/v1/activities/{first}/verify", json={"note": "ok"}, headers=auth(rater.token)
    )

    assert refused.status_code == 403, refused.text
    assert not_in_later_team.json()["items"] == []
    assert verified.status_code == 200, verified.text

    # A move effective today (in Wanggar) holds at once.
    await deliver(
        reporting, region, employee_upserted(region, staff.employee_id, now_id, effective_from=today), stamped
    )
    second = (await submit(reporting, staff, activity(staff, zone=WANGGAR.key))).json()["activity_id"]
    by_old = await reporting.client.post(
        f"/v1/activities/{second}/verify", json={"note": "ok"}, headers=auth(rater.token)
    )
    by_new = await reporting.client.post(
        f"/v1/activities/{second}/verify", json={"note": "ok"}, headers=auth(now_rater.token)
    )

    assert by_old.status_code == 403, by_old.text
    assert by_new.status_code == 200, by_new.text

    # The lists follow the same rule: the team holding today, found from either rater's side.
    old_list = await reporting.client.get("/v1/activities", headers=auth(rater.token))
    new_list = await reporting.client.get("/v1/activities", headers=auth(now_rater.token))
    assert old_list.json()["items"] == []
    assert [item["activity_id"] for item in new_list.json()["items"]] == [second, first]


async def test_each_read_of_one_employee_follows_the_rater_holding_today(
    start_service, make_token, monkeypatch, tmp_path
):
    """Getting an activity, its evidence, an employee's list and a field visit: the rater whose
    assignment holds today in the region's zone, not the one moved away from today nor the one a
    move dated tomorrow names; a newcomer whose first assignment starts later is their first rater's."""
    monkeypatch.setenv("KINERJA_EVIDENCE_DIR", str(tmp_path / "evidence"))
    reporting = await start_service("reporting")
    region, staff, before, holding, tomorrow = await moving_staff(reporting, make_token)
    today_id, tomorrow_id = holding.employee_id, tomorrow.employee_id
    today = region_now(WANGGAR.key).date()
    newcomer_id = new_id("staff")
    plan, indicators = approved_plan(region, newcomer_id, today_id, year=year_in(WANGGAR.key))
    newcomer = Member(newcomer_id, make_token("employee", region=region, employee=newcomer_id), indicators)
    await apply(
        reporting,
        region,
        employee_upserted(region, staff.employee_id, today_id, effective_from=today),
        employee_upserted(region, staff.employee_id, tomorrow_id, effective_from=today + timedelta(days=1)),
        employee_upserted(region, newcomer_id, today_id, effective_from=today + timedelta(days=10)),
        plan,
    )
    mine = (await submit(reporting, staff, activity(staff, zone=WANGGAR.key))).json()["activity_id"]
    theirs = (await submit(reporting, newcomer, activity(newcomer, zone=WANGGAR.key))).json()["activity_id"]
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256))
    uploaded = await reporting.client.post(
        f"/v1/activities/{mine}/evidence",
        files={"file": ("foto.jpg", photo, "image/jpeg")},
        headers=auth(staff.token),
    )
    assert uploaded.status_code == 201, uploaded.text
    digest = uploaded.json()["sha256"]

    async def answers(rater: Member) -> list[int]:
        def get(path: str, **params: Any) -> Any:
            return reporting.client.get(path, params=params, headers=auth(rater.token))

        visit = {
            "visit_id": new_id("visit"),
            "employee_ids": [staff.employee_id, newcomer_id],
            "location": "Kantor Distrik",
            "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "findings": "Pelayanan berjalan.",
        }
        responses = [
            await get(f"/v1/activities/{mine}"),
            await get(f"/v1/activities/{theirs}"),
            await get(f"/v1/activities/{mine}/evidence/{digest}"),
            await get("/v1/activities", employee_id=staff.employee_id),
            await get("/v1/field-visits", employee_id=newcomer_id),
            await reporting.client.post("/v1/field-visits", json=visit, headers=auth(rater.token)),
        ]
        return [response.status_code for response in responses]

    assert await answers(holding) == [200, 200, 200, 200, 200, 201]
    assert await answers(before) == [404, 404, 404, 404, 404, 422]
    assert await answers(tomorrow) == [404, 404, 404, 404, 404, 422]
