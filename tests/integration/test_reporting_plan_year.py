"""An activity's plan year is its year in the region's zone, as scoring counts it.

Scoring files an activity in the region's period of its local day (``activity_store.stored_row``);
a scorecard of a period shows the plan of the period's year. An activity accepted against a plan of
another year than the region's would count on no scorecard. Here a phone sends +08:00 in a WIB
region and +07:00 in a WIT region, a moment either side of a new year.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from shared.contracts.planning import RegionRegistered
from shared.db import restrict_to_region
from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import auth, new_region_id, wait_until
from tests.integration.test_replay import publish
from tests.integration.test_reporting_support import (
    Member,
    activity,
    apply,
    approved_plan,
    employee_upserted,
    new_id,
    submit,
)
from tests.region_clock import year_in

pytestmark = pytest.mark.integration


async def _region(reporting: Any, make_token: Any, zone: str, year: int) -> tuple[str, Member, Member]:
    """A region in ``zone`` with a rater and one employee planning ``year``, in both services."""
    region = new_region_id()
    rater_id, employee_id = new_id("head"), new_id("staff")
    plan, ids = approved_plan(region, employee_id, rater_id, year=year)
    since = date(year - 1, 12, 31)  # in post through the year's new year, however it is read
    events: list[Any] = [
        RegionRegistered(region_id=region, name="Kabupaten Uji", timezone=zone),
        employee_upserted(region, rater_id, None, effective_from=since),
        employee_upserted(region, employee_id, rater_id, effective_from=since),
        plan,
    ]
    await apply(reporting, region, *events)
    await publish(events)
    rater = Member(rater_id, make_token("employee,rater", region=region, employee=rater_id))
    staff = Member(employee_id, make_token("employee", region=region, employee=employee_id), ids)
    return region, rater, staff


async def _batch(reporting: Any, staff: Member, body: dict[str, Any]) -> dict[str, Any]:
    answer = await reporting.client.post(
        "/v1/activities/batch", json={"items": [body]}, headers=auth(staff.token)
    )
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["items"]
    assert isinstance(item, dict)
    return item


async def _filed_period(scoring: Any, region: str, activity_id: str) -> str | None:
    """The period scoring filed the activity in (None until it arrives)."""
    async with scoring.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        found = await session.scalar(
            text("SELECT period FROM scoring.contributions WHERE region_id = :r AND activity_id = :a"),
            {"r": region, "a": activity_id},
        )
    return None if found is None else str(found)


async def _on_scorecard(scoring: Any, rater: Member, staff: Member, period: str) -> list[str]:
    card = await scoring.client.get(
        f"/v1/employees/{staff.employee_id}/scorecard", params={"period": period}, headers=auth(rater.token)
    )
    if card.status_code != 200:
        return []
    return [a["activity_id"] for i in card.json()["indicators"] for a in i["activities"]]


async def test_the_plan_year_is_read_in_the_regions_zone(start_service: Any, make_token: Any) -> None:
    reporting = await start_service("reporting", relay=True)
    scoring = await start_service("scoring", consumer=True)
    # Last year's plans: the moments either side of its new year are past whenever the test runs.
    year = year_in(DEFAULT_TIMEZONE) - 1
    # 00.30 on 1 January on a +08:00 phone: still 23.30 on 31 December in WIB.
    new_year_on_the_phone = f"{year}-01-01T00:30:00+08:00"
    # 23.30 on 31 December on a +07:00 phone: already 01.30 on 1 January in WIT.
    new_year_in_the_region = f"{year - 1}-12-31T23:30:00+07:00"

    # WIB region, +08:00 phone: the new year on the phone, the old one in the region: refused.
    _, wib_rater, wib_staff = await _region(reporting, make_token, "Asia/Jakarta", year)
    single = await submit(reporting, wib_staff, activity(wib_staff, occurred_at=new_year_on_the_phone))
    item = await _batch(reporting, wib_staff, activity(wib_staff, occurred_at=new_year_on_the_phone))
    assert single.status_code == 422, single.text
    error = single.json()["error"]
    assert (error["code"], error["field"]) == ("outside_plan_year", "occurred_at")
    assert str(year) in error["message"]
    assert (item["outcome"], item["error"]["code"]) == ("rejected", "outside_plan_year")
    # A correction to that moment too.
    in_the_year = activity(wib_staff, occurred_at=f"{year}-06-01T10:00:00+07:00")
    rejected_id = (await submit(reporting, wib_staff, in_the_year)).json()["activity_id"]
    rejection = await reporting.client.post(
        f"/v1/activities/{rejected_id}/reject", json={"note": "Tanggal salah"}, headers=auth(wib_rater.token)
    )
    assert rejection.status_code == 200, rejection.text
    correction = await reporting.client.post(
        f"/v1/activities/{rejected_id}/correction",
        json={"occurred_at": new_year_on_the_phone, "quantity": 12, "description": "Diperbaiki"},
        headers=auth(wib_staff.token),
    )
    assert correction.status_code == 422, correction.text
    assert correction.json()["error"]["code"] == "outside_plan_year"

    # WIT region, +07:00 phone: the old year on the phone, the new one in the region: accepted,
    # filed by scoring in the plan year's first quarter and shown on its scorecard.
    wit, wit_rater, wit_staff = await _region(reporting, make_token, "Asia/Jayapura", year)
    single = await submit(reporting, wit_staff, activity(wit_staff, occurred_at=new_year_in_the_region))
    item = await _batch(reporting, wit_staff, activity(wit_staff, occurred_at=new_year_in_the_region))
    assert single.status_code == 201, single.text
    assert item["outcome"] == "accepted", item
    accepted = [single.json()["activity_id"], item["activity_id"]]

    # Scoring may take the activities before the region's RegionRegistered (another topic): it files
    # them by the national default (WIB: the old year's Q4) until the region's zone arrives, then
    # moves them (``on_region_registered``). So wait for the period, not for the first filing.
    first_quarter = [f"{year}-Q1"] * 2

    async def filed() -> bool:
        periods = [await _filed_period(scoring, wit, activity_id) for activity_id in accepted]
        return periods == first_quarter

    await wait_until(filed, timeout=60)

    async def on_first_quarter() -> list[str]:
        shown = await _on_scorecard(scoring, wit_rater, wit_staff, f"{year}-Q1")
        return shown if set(accepted) <= set(shown) else []

    await wait_until(on_first_quarter, timeout=60, interval=0.3)
