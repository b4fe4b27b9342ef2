"""A plan's rater is its employee's on the region's own today, as the employee lists show it.

At 03.00 WIB it is still the day before in UTC: a move that takes effect that morning (WIB) already
holds for the region, so the plan drafted then names the new rater, not the one of the UTC date.
The clock stops at 20.00 UTC tomorrow (03.00 WIB the day after): neither UTC's day nor the region's
by the real clock (today or tomorrow, whatever the hour the test runs) is that day, so only the
region's today read from the platform's clock names the new rater.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from tests.integration.work_plan_requests import organisation_with_chain, plan_body
from tests.region_clock import stop_region_clock

pytestmark = pytest.mark.integration


async def test_a_plan_drafted_early_in_the_regions_day_takes_that_days_rater(
    start_service, make_token, monkeypatch: pytest.MonkeyPatch
):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    utc_tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    early_morning_in_wib = datetime.combine(utc_tomorrow, time(20, 0), UTC)
    region_day = utc_tomorrow + timedelta(days=1)
    moved = await client.post(
        f"/v1/employees/{org['ids']['staff']}/moves",
        json={"effective_from": region_day.isoformat(), "supervisor_id": org["ids"]["head"]},
        headers=org["admin"],
    )
    assert moved.status_code == 201, moved.text
    # The region's today is the one reading of the clock planning's plans and employee lists share:
    # the platform's (planning shows no times with shown_in, which the stopped clock would not move).
    stop_region_clock(monkeypatch, early_morning_in_wib)

    team = await client.get(
        "/v1/employees", params={"supervisor_id": org["ids"]["head"]}, headers=org["admin"]
    )
    body = plan_body()
    year = region_day.year
    body["year"] = year
    body["results"][0]["indicators"][0]["period_targets"] = {f"{year}-Q{q}": 100 for q in range(1, 5)}
    drafted = await client.post("/v1/work-plans", json=body, headers=org["as"]["staff"])

    assert org["ids"]["staff"] in {employee["employee_id"] for employee in team.json()}
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["rater_id"] == org["ids"]["head"]
