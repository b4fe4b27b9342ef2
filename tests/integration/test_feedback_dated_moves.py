"""Feedback's read models of planning's facts follow the one rule (shared/read_models.py): a move
dated later changes who rates whom only from its date, in the region's zone, and a late or repeated
event never overwrites a newer one (units included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.contracts import Envelope
from shared.contracts.planning import EmployeeUpserted, RegionRegistered, UnitUpserted
from shared.db import restrict_to_region
from shared.region_time import region_now
from tests.conftest import apply_event, auth, new_region_id
from tests.integration.test_feedback_internal import seed_team
from tests.region_clock import stop_region_clock

pytestmark = pytest.mark.integration

WANGGAR = ZoneInfo("Asia/Jayapura")


async def deliver(service: Any, region: str, event: Any, at: datetime) -> None:
    """Apply one event stamped ``at`` (the envelope's time) through feedback's own handler."""
    handle = service.definition.handlers(service.context)[type(event)]
    async with service.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        envelope = Envelope.wrap(event, producer="planning", occurred_at=at)
        await apply_event(handle, session, service.context.outbox, event, envelope)


def moved(region: str, employee_id: str, supervisor_id: str, effective_from: date) -> EmployeeUpserted:
    return EmployeeUpserted(
        region_id=region,
        employee_id=employee_id,
        nip="199001012015030001",
        name=f"Pegawai {employee_id}",
        unit_id=f"{region}-dukcapil",
        position="Petugas",
        job_type="clerk",
        supervisor_id=supervisor_id,
        effective_from=effective_from,
    )


async def test_a_move_dated_later_changes_the_rater_only_from_its_date(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    people = await seed_team(feedback, region)
    wanggar = RegionRegistered(region_id=region, name="Kabupaten Wanggar", timezone=WANGGAR.key)
    await deliver(feedback, region, wanggar, datetime.now(UTC))
    head = auth(make_token("employee,rater", region=region, employee=people["head"]))
    outsider = auth(make_token("employee,rater", region=region, employee=people["outsider"]))
    today = region_now(WANGGAR.key).date()
    stamped = datetime.now(UTC)
    next_month = moved(region, people["staff"], people["outsider"], today + timedelta(days=30))
    stale_first = moved(region, people["staff"], people["outsider"], date(2026, 1, 1))

    # The future move arrives twice, then a stale event for the first assignment's date.
    await deliver(feedback, region, next_month, stamped)
    await deliver(feedback, region, next_month, stamped)
    await deliver(feedback, region, stale_first, stamped - timedelta(days=400))
    url = f"/v1/employees/{people['staff']}/continuous-feedback"
    body = {"result_id": f"{region}-rhk-1", "text": "Capaian bagus; perhatikan antrean sore hari."}
    by_later = await feedback.client.post(url, json=body, headers=outsider)
    by_head = await feedback.client.post(url, json=body, headers=head)

    assert by_later.status_code == 403, by_later.text
    assert by_head.status_code == 201, by_head.text

    # A move effective today (in Wanggar) holds at once.
    await deliver(feedback, region, moved(region, people["staff"], people["outsider"], today), stamped)
    now_by_head = await feedback.client.post(url, json=body, headers=head)
    now_by_outsider = await feedback.client.post(url, json=body, headers=outsider)

    assert now_by_head.status_code == 403, now_by_head.text
    assert now_by_outsider.status_code == 201, now_by_outsider.text


async def test_a_move_dated_the_regions_today_holds_while_utc_is_still_the_day_before(
    start_service, make_token, monkeypatch: pytest.MonkeyPatch
):
    """At 05.00 WIT it is still the day before in UTC: the rater is the one of Wanggar's today, read
    from the platform's clock of the region's now (shared.region_time.region_now). The clock stops at
    20.00 UTC tomorrow, a day that is neither UTC's nor Wanggar's by the real clock at any hour."""
    feedback = await start_service("feedback")
    region = new_region_id()
    people = await seed_team(feedback, region)
    wanggar = RegionRegistered(region_id=region, name="Kabupaten Wanggar", timezone=WANGGAR.key)
    await deliver(feedback, region, wanggar, datetime.now(UTC))
    utc_tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    stop_region_clock(monkeypatch, datetime.combine(utc_tomorrow, time(20, 0), UTC))  # 05.00 WIT
    wanggar_today = utc_tomorrow + timedelta(days=1)
    await deliver(
        feedback, region, moved(region, people["staff"], people["outsider"], wanggar_today), datetime.now(UTC)
    )
    url = f"/v1/employees/{people['staff']}/continuous-feedback"
    body = {"result_id": f"{region}-rhk-1", "text": "Capaian bagus; perhatikan antrean sore hari."}

    by_head = await feedback.client.post(
        url, json=body, headers=auth(make_token("employee,rater", region=region, employee=people["head"]))
    )
    by_new_rater = await feedback.client.post(
        url, json=body, headers=auth(make_token("employee,rater", region=region, employee=people["outsider"]))
    )

    assert by_head.status_code == 403, by_head.text
    assert by_new_rater.status_code == 201, by_new_rater.text


async def test_a_units_older_event_delivered_late_does_not_overwrite_a_newer_one(start_service):
    feedback = await start_service("feedback")
    region = new_region_id()
    await seed_team(feedback, region)
    unit_id = f"{region}-dukcapil"
    renamed = UnitUpserted(
        region_id=region, unit_id=unit_id, code="dukcapil", name="Disdukcapil", kind="office"
    )
    stale = renamed.model_copy(update={"name": "Dinas Lama"})
    stamped = datetime.now(UTC)

    await deliver(feedback, region, renamed, stamped)
    await deliver(feedback, region, renamed, stamped)
    await deliver(feedback, region, stale, stamped - timedelta(days=1))
    profile = await feedback.client.get(f"/v1/public/regions/{region}")

    assert profile.status_code == 200, profile.text
    assert {unit["unit_id"]: unit["name"] for unit in profile.json()["units"]}[unit_id] == "Disdukcapil"
