"""What an employee's record shows is what holds on the day asked (today in the region by default)."""

from __future__ import annotations

import pytest

from tests.integration.test_planning_organisation import add_employee, add_unit, new_region
from tests.region_clock import year_in

WIB = "Asia/Jakarta"  # new_region registers no zone: planning's default, whose today decides

pytestmark = pytest.mark.integration


async def test_a_move_planned_for_next_year_is_not_shown_as_current_and_slips_are_refused(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    _, admin = await new_region(client, make_token)
    unit = await add_unit(client, admin, "DUKCAPIL")
    other = await add_unit(client, admin, "DPMPTSP")
    year = year_in(WIB)
    employee = await add_employee(
        client, admin, "199001012015031001", unit["unit_id"], None, effective_from=f"{year}-01-01"
    )
    employee_id = employee["employee_id"]

    planned = await client.post(
        f"/v1/employees/{employee_id}/moves",
        json={"effective_from": f"{year + 1}-01-01", "unit_id": other["unit_id"]},
        headers=admin,
    )
    slip = await client.post(
        f"/v1/employees/{employee_id}/moves",
        json={"effective_from": "9999-12-31", "unit_id": other["unit_id"]},
        headers=admin,
    )
    now = await client.get(f"/v1/employees/{employee_id}", headers=admin)
    then = await client.get(f"/v1/employees/{employee_id}", params={"on": f"{year + 1}-02-01"}, headers=admin)
    ancient = await client.get(f"/v1/employees/{employee_id}", params={"on": "0001-01-01"}, headers=admin)

    assert planned.status_code == 201, planned.text
    assert slip.status_code == 422, slip.text
    assert slip.json()["error"]["field"] == "effective_from"
    assert (now.json()["unit_id"], now.json()["effective_from"]) == (unit["unit_id"], f"{year}-01-01")
    assert then.json()["unit_id"] == other["unit_id"]
    assert ancient.status_code == 422
    history = (await client.get(f"/v1/employees/{employee_id}/history", headers=admin)).json()
    assert [a["effective_from"] for a in history["assignments"]] == [f"{year}-01-01", f"{year + 1}-01-01"]


async def test_an_employee_who_starts_later_shows_their_first_assignment(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    _, admin = await new_region(client, make_token)
    unit = await add_unit(client, admin, "DISDIK")
    year = year_in(WIB)
    employee = await add_employee(
        client, admin, "199001012015031002", unit["unit_id"], None, effective_from=f"{year + 1}-03-01"
    )

    shown = await client.get(f"/v1/employees/{employee['employee_id']}", headers=admin)

    assert shown.status_code == 200, shown.text
    assert shown.json()["effective_from"] == f"{year + 1}-03-01"


async def test_an_import_row_dated_outside_the_window_is_refused(start_service, make_token):
    planning = await start_service("planning")
    _, admin = await new_region(planning.client, make_token)
    text = (
        "nip,name,unit_code,unit_name,parent_unit_code,position,job_type,supervisor_nip,effective_date\n"
        "199001012015031003,Ani,DISDIK,Dinas Pendidikan,,Kepala Dinas,structural_head,,9999-12-31\n"
    )

    response = await planning.client.post(
        "/v1/imports/organisation", content=text.encode(), headers=admin | {"Content-Type": "text/csv"}
    )

    assert response.status_code == 422, response.text
    [row] = response.json()["report"]["rows"]
    assert [(p["field"], p["code"]) for p in row["problems"]] == [("effective_date", "outside_date_window")]
