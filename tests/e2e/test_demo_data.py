"""A fresh demo load (what `make up` loads) has what a newcomer needs to try every journey."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from kinerja.demo import load_demo
from tests.conftest import auth
from tests.e2e.journey import running_platform, url
from tests.integration.test_feedback_surveys import ALL_ITEMS

pytestmark = pytest.mark.e2e

SCORES = dict.fromkeys(ALL_ITEMS, 4)


@pytest.fixture(scope="module")
def platform(infrastructure, data_dir):
    yield from running_platform(data_dir)


async def test_the_demo_has_a_qualitative_indicator_services_tickets_and_activities_to_verify(
    platform, data_dir, make_token
):
    loaded = await asyncio.to_thread(load_demo, data_dir=data_dir, ports=platform.ports)

    admin = auth(make_token("region_admin", region="medan"))
    head = auth(make_token("employee,rater", region="medan", employee="medan-dukcapil-kepala"))
    async with httpx.AsyncClient(timeout=10) as http:

        async def get(service: str, path: str, headers: dict[str, str], **params: Any) -> Any:
            response = await http.get(url(platform, service, path), params=params, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()

        plans = await get("planning", "/v1/work-plans", admin, employee_id="medan-dukcapil-1")
        indicators = [i for plan in plans for r in plan["results"] for i in r["indicators"]]
        assert any(i["target"] is None and i["qualitative_target"] for i in indicators), indicators

        units = await get("planning", "/v1/units", admin)
        assert units
        for unit in units:
            assert await get("feedback", f"/v1/units/{unit['unit_id']}/services", admin), unit

        pending = await get("reporting", "/v1/activities", head, status="submitted")
        assert pending["items"], "the rater has nothing to verify"

        assert loaded.tickets["medan"], loaded.tickets
        ticket = loaded.tickets["medan"][0]
        redeemed = await http.post(
            url(platform, "feedback", f"/v1/public/regions/medan/units/{ticket.unit_id}/survey-responses"),
            json={"scores": SCORES, "service_id": ticket.service_id, "ticket": ticket.code},
        )
        assert redeemed.status_code == 201, redeemed.text
    assert "ticket" in loaded.summary
