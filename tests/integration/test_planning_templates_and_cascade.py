"""Indicator template library and the cascade view on real infrastructure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth
from tests.integration.test_planning_organisation import add_employee, add_unit, new_region
from tests.integration.work_plan_requests import YEAR, approved_plan, organisation_with_chain, plan_body

pytestmark = pytest.mark.integration

PBB_TEMPLATE = {
    "code": "MDN-PBB-NOTICES",
    "name_id": "Jumlah SPPT PBB yang disampaikan",
    "name_en": "Land tax notices delivered",
    "job_types": ["permit_officer", "petugas_pelayanan"],
    "aspect": "quantity",
    "unit_of_measure": "lembar",
}


async def test_national_defaults_are_listed_per_job_type_and_a_region_adds_its_own(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    _, other_admin = await new_region(client, make_token)
    employee = auth(make_token("employee", region=region, employee="someone"))

    teacher = await client.get("/v1/indicator-templates", params={"job_type": "guru"}, headers=employee)
    codes = {t["code"] for t in teacher.json()}
    assert {"TCH-STUDENTS-BENCHMARK", "TCH-LESSON-MODULES", "GEN-WORK-QUALITY"} <= codes
    assert "FO-DOCS-COMPLETED" not in codes

    created = await client.post("/v1/indicator-templates", json=PBB_TEMPLATE, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["job_types"] == ["front_office_clerk", "permit_officer"]
    duplicate = await client.post("/v1/indicator-templates", json=PBB_TEMPLATE, headers=admin)
    shadowing = await client.post(
        "/v1/indicator-templates", json=PBB_TEMPLATE | {"code": "FO-DOCS-COMPLETED"}, headers=admin
    )
    replacing = await client.post(
        "/v1/indicator-templates",
        json=PBB_TEMPLATE
        | {"code": "FO-DOCS-COMPLETED", "name_id": "Berkas selesai (versi Medan)", "replaces_national": True},
        headers=admin,
    )
    bad_job = await client.post(
        "/v1/indicator-templates",
        json=PBB_TEMPLATE | {"code": "MDN-X", "job_types": ["astronot"]},
        headers=admin,
    )
    bad_range = await client.post(
        "/v1/indicator-templates",
        json=PBB_TEMPLATE | {"code": "MDN-Y", "minimum": 10, "maximum": 5},
        headers=admin,
    )
    by_employee = await client.post(
        "/v1/indicator-templates", json=PBB_TEMPLATE | {"code": "MDN-Z"}, headers=employee
    )

    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (409, "duplicate_template")
    assert (shadowing.status_code, shadowing.json()["error"]["code"]) == (409, "shadows_national")
    assert replacing.status_code == 201, replacing.text
    assert (bad_job.status_code, bad_job.json()["error"]["field"]) == (422, "job_types.0")
    assert (bad_range.status_code, bad_range.json()["error"]["code"]) == (422, "empty_range")
    assert by_employee.status_code == 403
    clerk = {
        t["code"]: t
        for t in (
            await client.get(
                "/v1/indicator-templates", params={"job_type": "front_office_clerk"}, headers=employee
            )
        ).json()
    }
    assert clerk["MDN-PBB-NOTICES"]["region_id"] == region
    assert clerk["FO-DOCS-COMPLETED"]["name_id"] == "Berkas selesai (versi Medan)"
    elsewhere = {
        t["code"]: t for t in (await client.get("/v1/indicator-templates", headers=other_admin)).json()
    }
    assert "MDN-PBB-NOTICES" not in elsewhere
    assert elsewhere["FO-DOCS-COMPLETED"]["region_id"] is None
    unknown_job = await client.get(
        "/v1/indicator-templates", params={"job_type": "astronot"}, headers=employee
    )
    assert (unknown_job.status_code, unknown_job.json()["error"]["field"]) == (422, "job_type")


async def test_a_regions_own_template_can_be_used_in_a_plan_of_a_job_it_is_for(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)  # everyone an id_card_registrar
    for_registrars = PBB_TEMPLATE | {"job_types": ["permit_officer", "id_card_registrar"]}
    await client.post("/v1/indicator-templates", json=for_registrars, headers=org["admin"])
    body = plan_body(code="MDN-PBB-NOTICES", name="SPPT PBB disampaikan")
    del body["results"][0]["indicators"][0]["unit_of_measure"]

    created = await client.post("/v1/work-plans", json=body, headers=org["as"]["staff"])
    teachers_only = plan_body(code="TCH-LESSON-MODULES", name="Modul ajar")
    refused = await client.post("/v1/work-plans", json=teachers_only, headers=org["as"]["clerk"])

    assert created.status_code == 201, created.text
    indicator = created.json()["results"][0]["indicators"][0]
    assert (indicator["code"], indicator["unit_of_measure"]) == ("MDN-PBB-NOTICES", "lembar")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("template_other_job_type", "results.0.indicators.0.code")


async def cascade(client: Any, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/v1/cascade", params={"year": YEAR, "on": f"{YEAR}-06-30", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_cascade_shows_results_from_the_head_down_and_the_gaps(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    health = await add_unit(client, org["admin"], "DINKES")
    nurse = await add_employee(
        client, org["admin"], "199203032018012006", health["unit_id"], org["ids"]["sekda"]
    )
    head_body = plan_body("Pelayanan KTP-el prima")
    head_body["results"].append(
        {
            "text": "Arsip kependudukan digital",
            "indicators": [{"name": "Arsip dipindai", "unit_of_measure": "berkas", "target": 1000}],
        }
    )
    head = await approved_plan(client, org, "head", "sekda", head_body)
    serving, archives = (r["result_id"] for r in head["results"])
    section = await approved_plan(
        client, org, "section", "head", plan_body("Loket KTP-el cepat", supports=serving)
    )
    staff = await approved_plan(
        client,
        org,
        "staff",
        "section",
        plan_body("KTP-el diterbitkan", supports=section["results"][0]["result_id"]),
    )

    view = await cascade(client, org["admin"])

    assert [(root["employee_id"], root["result_id"]) for root in view["roots"]] == [
        (org["ids"]["head"], serving),
        (org["ids"]["head"], archives),
    ]
    serving_node = view["roots"][0]
    assert [c["result_id"] for c in serving_node["children"]] == [section["results"][0]["result_id"]]
    assert [c["result_id"] for c in serving_node["children"][0]["children"]] == [
        staff["results"][0]["result_id"]
    ]
    assert [(g["employee_id"], g["result_id"]) for g in view["gaps"]] == [(org["ids"]["head"], archives)]
    assert set(view["employees_without_approved_plan"]) == {
        org["ids"]["sekda"],
        org["ids"]["clerk"],
        nurse["employee_id"],
    }

    unit_view = await cascade(
        client, auth(make_token("auditor", region=org["region"])), unit_id=org["unit"]["unit_id"]
    )
    assert nurse["employee_id"] not in unit_view["employees_without_approved_plan"]

    team_view = await cascade(client, org["as"]["section"])
    assert [root["employee_id"] for root in team_view["roots"]] == [org["ids"]["section"]]
    assert team_view["employees_without_approved_plan"] == [org["ids"]["clerk"]]
    # The section head's main result is supported, but the clerk below has no plan: no gap, yet visible.
    assert team_view["gaps"] == []

    employee_only = await client.get(
        "/v1/cascade",
        params={"year": YEAR},
        headers=auth(make_token("employee", region=org["region"], employee=org["ids"]["staff"])),
    )
    unknown_unit = await client.get(
        "/v1/cascade", params={"year": YEAR, "unit_id": "nope"}, headers=org["admin"]
    )
    assert employee_only.status_code == 403
    assert (unknown_unit.status_code, unknown_unit.json()["error"]["field"]) == (404, "unit_id")
