"""Helpers for the employee (ASN) pages' tests: sign in as a demo employee, an approved plan."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import auth, wait_until
from tests.integration.web_support import WebStack, csrf_of
from tests.region_clock import year_in


async def signed_in(
    stack: WebStack, region_id: str, employee_id: str, *, role: str = "employee"
) -> httpx.AsyncClient:
    """A browser signed in as a region's demo user through the development sign-in page."""
    browser = stack.browser()
    token = await csrf_of(browser, "/masuk/demo")
    answer = await browser.post(
        "/masuk/demo",
        data={"user": f"{region_id}|{role}|{employee_id}", "csrf_token": token, "next": "/saya"},
    )
    assert answer.status_code == 303, answer.text[:300]
    return browser


async def approved_plan(stack: WebStack, region_id: str, employee_id: str, head_id: str) -> dict[str, Any]:
    """An approved plan for the employee with one counted indicator (through planning's API)."""
    planning = stack.services["planning"].client
    staff = auth(stack.make_token("employee", region=region_id, employee=employee_id))
    head = auth(stack.make_token("employee,rater", region=region_id, employee=head_id))
    body = {
        "year": year_in(),
        "results": [
            {
                "text": "Dokumen kependudukan diterbitkan",
                "indicators": [{"name": "KTP-el diterbitkan", "unit_of_measure": "dokumen", "target": 400}],
            }
        ],
    }
    plan = await planning.post("/v1/work-plans", json=body, headers=staff)
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["plan_id"]
    assert (await planning.post(f"/v1/work-plans/{plan_id}/submit", headers=staff)).status_code == 200
    approved = await planning.post(f"/v1/work-plans/{plan_id}/approve", headers=head)
    assert approved.status_code == 200, approved.text
    result: dict[str, Any] = approved.json()
    return result


async def reporting_knows(stack: WebStack, region_id: str, employee_id: str, indicator_id: str) -> None:
    """Wait until reporting has read the approved plan from planning's events (nothing is stored:
    the probe's negative quantity is refused, and that refusal needs the indicator to be known)."""
    reporting = stack.services["reporting"].client
    staff = auth(stack.make_token("employee", region=region_id, employee=employee_id))
    probe = {
        "activity_id": f"probe-{uuid.uuid4().hex[:12]}",
        "indicator_id": indicator_id,
        "occurred_at": datetime.now(UTC).isoformat(),
        "quantity": -1,
        "description": "probe",
    }

    async def known() -> bool:
        answer = await reporting.post("/v1/activities", json=probe, headers=staff)
        return answer.status_code == 422 and bool(answer.json()["error"]["code"] == "negative_quantity")

    await wait_until(known, timeout=60, interval=0.3)
