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
from tests.conftest import apply_event, auth, new_region_id
from tests.integration.test_reporting_support import (
    Member,
    activity,
    apply,
    employee_upserted,
    new_id,
    seed_team,
    submit,
)

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


async def test_a_move_dated_later_changes_the_rater_only_from_its_date(start_service, make_token):
    reporting = await start_service("reporting")
    region = new_region_id()
    await apply(reporting, region, RegionRegistered(region_id=region, name="Wanggar", timezone=WANGGAR.key))
    team = await seed_team(reporting, make_token, region, size=1)
    staff, rater = team.members[0], team.rater
    later_id, now_id = new_id("head"), new_id("head")
    later = Member(later_id, make_token("employee,rater", region=region, employee=later_id))
    now_rater = Member(now_id, make_token("employee,rater", region=region, employee=now_id))
    today = datetime.now(WANGGAR).date()
    stamped = datetime.now(UTC)
    next_month = employee_upserted(
        region, staff.employee_id, later_id, effective_from=today + timedelta(days=30)
    )
    stale_first = employee_upserted(region, staff.employee_id, later_id)  # the first date, an older event

    # The future move arrives twice, then a stale event for the first assignment's date.
    await deliver(reporting, region, next_month, stamped)
    await deliver(reporting, region, next_month, stamped)
    await deliver(reporting, region, stale_first, stamped - timedelta(days=400))
    first = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
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
    second = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
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
