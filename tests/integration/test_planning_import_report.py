"""The organisation import tells what it does: columns documented, a dry run's would-be changes, new ids."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from services.planning.domain.csv_import import COLUMNS
from services.planning.domain.organisation import JobType
from tests.integration.test_planning_import import post_csv, region_with_secretary
from tests.unit.planning.csv_fixture import generate_structure_csv

pytestmark = pytest.mark.integration


async def test_a_dry_run_reports_what_would_be_created_and_the_import_returns_the_new_ids(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    generated = generate_structure_csv(40, seed=21)
    region, admin, _ = await region_with_secretary(client, make_token, generated)
    rows = list(csv.DictReader(io.StringIO(generated.text)))
    unit_codes = sorted({row["unit_code"] for row in rows})

    dry = (await post_csv(client, admin, generated.text, dry_run="true")).json()
    applied = await post_csv(client, admin, generated.text)

    assert (dry["applied"], dry["units_created"], dry["employees_created"]) == (False, len(unit_codes), 40)
    assert sorted(unit["code"] for unit in dry["new_units"]) == unit_codes
    assert {row["change"] for row in dry["rows"]} == {"created"}
    assert {row["employee_id"] for row in dry["rows"]} == {None}
    assert applied.status_code == 200, applied.text[:500]
    report = applied.json()
    assert (report["units_created"], report["employees_created"]) == (len(unit_codes), 40)
    assert {unit["code"]: unit["unit_id"] for unit in report["new_units"]} == {
        code: f"{region}.{code}" for code in unit_codes
    }
    listed = (await client.get("/v1/employees", params={"on": "2026-12-31"}, headers=admin)).json()
    id_of_nip = {employee["nip"]: employee["employee_id"] for employee in listed}
    assert {row["nip"]: row["employee_id"] for row in report["rows"]} == {
        row["nip"]: id_of_nip[row["nip"]] for row in rows
    }
    again = (await post_csv(client, admin, generated.text)).json()
    assert {row["change"] for row in again["rows"]} == {"unchanged"}
    assert again["new_units"] == []


async def test_a_file_uploaded_from_a_browser_form_is_imported(start_service, make_token):
    planning = await start_service("planning")
    generated = generate_structure_csv(40, seed=22)
    _, admin, _ = await region_with_secretary(planning.client, make_token, generated)

    response = await planning.client.post(
        "/v1/imports/organisation",
        files={"file": ("pegawai.csv", generated.text.encode(), "text/csv")},
        headers=admin,
    )

    assert response.status_code == 200, response.text[:500]
    assert (response.json()["applied"], response.json()["employees_created"]) == (True, 40)
    misnamed = await planning.client.post(
        "/v1/imports/organisation", files={"upload": ("pegawai.csv", b"nip\n", "text/csv")}, headers=admin
    )
    assert misnamed.status_code == 422
    assert (misnamed.json()["error"]["code"], misnamed.json()["error"]["field"]) == ("missing_file", "file")


async def test_the_openapi_document_names_the_columns_and_the_one_list_of_job_types(start_service):
    planning = await start_service("planning")
    document: dict[str, Any] = (await planning.client.get("/openapi.json")).json()
    body = document["paths"]["/v1/imports/organisation"]["post"]["requestBody"]
    job_types = [job.value for job in JobType]

    assert set(body["content"]) == {"text/csv", "multipart/form-data"}
    for column in COLUMNS:
        assert f"`{column}`" in body["description"], column
    for job_type in job_types:
        assert job_type in body["description"]
    schemas = document["components"]["schemas"]
    assert schemas["EmployeeCreate"]["properties"]["job_type"]["enum"] == job_types
    move = schemas["MoveCreate"]["properties"]["job_type"]
    assert next(s for s in move["anyOf"] if s.get("type") != "null")["enum"] == job_types
