"""Helpers for the rater pages' tests: a team with plans and reported activity, signed-in browsers.

Everything is set up through the services' public APIs (as the employees' app and the regional HR
office would), so the rater pages read what production would show them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import auth, wait_until
from tests.integration.web_support import WebStack, csrf_of
from tests.region_clock import year_in

ZONE = "Asia/Jayapura"


@dataclass
class Team:
    """A region with a head (the rater) and staff members, each with a token of their own."""

    stack: WebStack
    region: str
    unit_id: str
    rater: str
    members: list[str]

    def token(self, employee_id: str, role: str = "employee") -> dict[str, str]:
        return auth(self.stack.make_token(role, region=self.region, employee=employee_id))

    @property
    def rater_headers(self) -> dict[str, str]:
        return self.token(self.rater, "employee,rater")


async def team_of(stack: WebStack, *, extra_members: int = 1) -> Team:
    """A region whose head rates ``1 + extra_members`` staff (named Pegawai 1, Rina Sari, ...)."""
    created = await stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    head, members = f"{region}-0-kepala", [f"{region}-0-1"]
    planning = stack.services["planning"].client
    admin = auth(stack.make_token("region_admin", region=region))
    for number, name in enumerate(["Rina Sari", "Yosef Wenda"][:extra_members], start=2):
        employee_id = f"{region}-0-{number}"
        hired = await planning.post(
            "/v1/employees",
            json={
                "employee_id": employee_id,
                "nip": f"1991020320170310{number:02d}",
                "name": name,
                "unit_id": unit_id,
                "position": "Petugas Loket",
                "job_type": "front_office_clerk",
                "supervisor_id": head,
                "effective_from": "2026-01-01",
            },
            headers=admin,
        )
        assert hired.status_code == 201, hired.text
        members.append(employee_id)
    return Team(stack, region, unit_id, head, members)


def plan_body(*, qualitative: bool = False) -> dict[str, Any]:
    """One main result: documents issued (400 a year), and a judged quality target when asked."""
    indicators: list[dict[str, Any]] = [
        {"name": "KTP-el diterbitkan", "unit_of_measure": "dokumen", "target": 400}
    ]
    if qualitative:
        indicators.append(
            {
                "name": "Kualitas berkas",
                "aspect": "quality",
                "qualitative_target": "Berkas diterima tanpa revisi",
            }
        )
    return {
        "year": year_in(ZONE),
        "results": [{"text": "Dokumen kependudukan diterbitkan", "indicators": indicators}],
    }


async def submitted_plan(team: Team, employee_id: str, *, qualitative: bool = False) -> dict[str, Any]:
    """The member's plan, drafted and submitted to the rater through planning's API."""
    planning = team.stack.services["planning"].client
    staff = team.token(employee_id)
    plan = await planning.post("/v1/work-plans", json=plan_body(qualitative=qualitative), headers=staff)
    assert plan.status_code == 201, plan.text
    submitted = await planning.post(f"/v1/work-plans/{plan.json()['plan_id']}/submit", headers=staff)
    assert submitted.status_code == 200, submitted.text
    result: dict[str, Any] = submitted.json()
    return result


async def approved_plan(team: Team, employee_id: str, *, qualitative: bool = False) -> dict[str, Any]:
    """The member's plan approved by the rater, once reporting knows it (activities count against it)."""
    plan = await submitted_plan(team, employee_id, qualitative=qualitative)
    planning = team.stack.services["planning"].client
    approved = await planning.post(f"/v1/work-plans/{plan['plan_id']}/approve", headers=team.rater_headers)
    assert approved.status_code == 200, approved.text
    result: dict[str, Any] = approved.json()
    return result


def indicator_of(plan: dict[str, Any], position: int = 0) -> str:
    indicator_id: str = plan["results"][0]["indicators"][position]["indicator_id"]
    return indicator_id


def activity_body(plan: dict[str, Any], description: str, quantity: int = 12) -> dict[str, Any]:
    """An activity against the plan's first indicator, happening now (the device's WIT offset)."""
    return {
        "activity_id": uuid.uuid4().hex,
        "indicator_id": indicator_of(plan),
        "occurred_at": datetime.now(ZoneInfo(ZONE)).isoformat(),
        "quantity": quantity,
        "description": description,
    }


async def reported(team: Team, employee_id: str, plan: dict[str, Any], description: str) -> dict[str, Any]:
    """An activity the member reports through reporting's API (retried until reporting knows the plan)."""
    reporting = team.stack.services["reporting"].client
    body = activity_body(plan, description)

    async def accepted() -> httpx.Response | None:
        answer = await reporting.post("/v1/activities", json=body, headers=team.token(employee_id))
        return answer if answer.status_code in (200, 201) else None

    answer = await wait_until(accepted, timeout=30, interval=0.2)
    result: dict[str, Any] = answer.json()
    return result


async def signed_in(
    stack: WebStack, region: str, employee_id: str, *, role: str = "rater"
) -> httpx.AsyncClient:
    """A browser signed in as a demo user of the region (development sign-in)."""
    browser = stack.browser()
    token = await csrf_of(browser, "/masuk/demo")
    answer = await browser.post(
        "/masuk/demo", data={"user": f"{region}|{role}|{employee_id}", "csrf_token": token, "next": "/saya"}
    )
    assert answer.status_code == 303, answer.text[:300]
    return browser
