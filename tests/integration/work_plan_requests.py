"""Work plans through planning's API, for the integration tests that need them.

A plan body with one result and one quarterly-split indicator, an organisation with a supervisor
chain and a token for each of its people, and plans submitted or approved through the API.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import auth
from tests.integration.test_planning_organisation import add_employee, add_unit, new_region

YEAR = 2026
QUARTERS = {f"{YEAR}-Q{q}": 100 for q in range(1, 5)}


def plan_body(
    text: str = "KTP-el diterbitkan tepat waktu", supports: str | None = None, **indicator: Any
) -> dict[str, Any]:
    return {
        "year": YEAR,
        "results": [
            {
                "text": text,
                "supports_result_id": supports,
                "indicators": [
                    {
                        "name": "KTP-el diterbitkan",
                        "unit_of_measure": "keping",
                        "target": 400,
                        "period_targets": QUARTERS,
                    }
                    | indicator
                ],
            }
        ],
    }


async def organisation_with_chain(client: Any, make_token: Any) -> dict[str, Any]:
    """sekda → head → section → staff, plus an unrelated clerk under the section; tokens for each."""
    region, admin = await new_region(client, make_token)
    unit = await add_unit(client, admin, "DISDUKCAPIL")
    sekda = await add_employee(client, admin, "196501011990031001", unit["unit_id"], None)
    head = await add_employee(client, admin, "197001011995031002", unit["unit_id"], sekda["employee_id"])
    section = await add_employee(client, admin, "198002022005012003", unit["unit_id"], head["employee_id"])
    staff = await add_employee(client, admin, "199001012015032004", unit["unit_id"], section["employee_id"])
    clerk = await add_employee(client, admin, "199105052016041005", unit["unit_id"], section["employee_id"])
    people = {"sekda": sekda, "head": head, "section": section, "staff": staff, "clerk": clerk}
    tokens = {
        name: auth(make_token("employee,rater", region=region, employee=person["employee_id"]))
        for name, person in people.items()
    }
    return {
        "region": region,
        "admin": admin,
        "unit": unit,
        "ids": {name: person["employee_id"] for name, person in people.items()},
        "as": tokens,
    }


async def approved_plan(
    client: Any, org: dict[str, Any], owner: str, rater: str, body: dict[str, Any]
) -> dict[str, Any]:
    plan_id = await submitted_plan(client, org, owner, body)
    approved = await client.post(f"/v1/work-plans/{plan_id}/approve", headers=org["as"][rater])
    assert approved.status_code == 200, approved.text
    result: dict[str, Any] = approved.json()
    return result


async def submitted_plan(client: Any, org: dict[str, Any], owner: str, body: dict[str, Any]) -> str:
    """A plan drafted and submitted by ``owner``, awaiting the rater's decision: its id."""
    created = await client.post("/v1/work-plans", json=body, headers=org["as"][owner])
    assert created.status_code == 201, created.text
    plan_id: str = created.json()["plan_id"]
    submitted = await client.post(f"/v1/work-plans/{plan_id}/submit", headers=org["as"][owner])
    assert submitted.status_code == 200, submitted.text
    return plan_id
