"""CSV import of a region's structure and employees on real infrastructure: all rows or none."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.conftest import auth, outbox_payloads
from tests.integration.test_planning_organisation import add_employee, add_unit, new_region
from tests.unit.planning.csv_fixture import GeneratedCsv, generate_structure_csv

pytestmark = pytest.mark.integration

ROWS = 3000


async def region_with_secretary(
    client: Any, make_token: Any, generated: GeneratedCsv
) -> tuple[str, dict[str, str], str]:
    """A region holding the Sekretaris Daerah the generated file's agency heads report to."""
    region, admin = await new_region(client, make_token)
    setda = await add_unit(client, admin, "SETDA")
    (secretary_nip,) = generated.existing_employees
    secretary = await add_employee(
        client,
        admin,
        secretary_nip.value,
        setda["unit_id"],
        None,
        job_type="structural_head",
        effective_from="2024-01-01",
    )
    return region, admin, secretary["employee_id"]


def post_csv(client: Any, admin: dict[str, str], text: str, **params: Any) -> Any:
    return client.post(
        "/v1/imports/organisation",
        content=text.encode(),
        params=params,
        headers=admin | {"Content-Type": "text/csv"},
    )


async def test_a_file_with_broken_rows_is_reported_row_by_row_and_nothing_is_applied(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    generated = generate_structure_csv(ROWS, broken_fraction=0.02, seed=11)
    region, admin, _ = await region_with_secretary(client, make_token, generated)
    events_before = await outbox_payloads(planning, region, "EmployeeUpserted")

    response = await post_csv(client, admin, generated.text)

    assert response.status_code == 422, response.text[:500]
    body = response.json()
    assert body["error"]["code"] == "rows_rejected"
    report = body["report"]
    assert (report["applied"], report["total_rows"]) == (False, generated.row_count)
    rejected = {
        row["row"]: {p["code"] for p in row["problems"]}
        for row in report["rows"]
        if row["status"] == "rejected"
    }
    assert rejected.keys() == generated.expected_rejections.keys()
    for row_number, codes in generated.expected_rejections.items():
        assert codes <= rejected[row_number], (row_number, codes, rejected[row_number])
    assert report["accepted"] == generated.row_count - len(rejected)
    sample = next(row for row in report["rows"] if row["status"] == "rejected")
    assert all(p["field"] and p["message"] and p["message_id"] for p in sample["problems"])

    assert [u["code"] for u in (await client.get("/v1/units", headers=admin)).json()] == ["SETDA"]
    assert len((await client.get("/v1/employees", params={"on": "2026-12-31"}, headers=admin)).json()) == 1
    assert await outbox_payloads(planning, region, "EmployeeUpserted") == events_before
    assert await outbox_payloads(planning, region, "UnitUpserted") != []  # only SETDA's
    assert len(await outbox_payloads(planning, region, "UnitUpserted")) == 1


async def test_a_clean_file_is_applied_whole_with_its_events_and_a_second_import_changes_nothing(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    generated = generate_structure_csv(ROWS, seed=12)
    region, admin, secretary = await region_with_secretary(client, make_token, generated)

    dry = await post_csv(client, admin, generated.text, dry_run="true")
    assert dry.status_code == 200, dry.text[:500]
    assert (dry.json()["applied"], dry.json()["accepted"]) == (False, generated.row_count)
    assert len(await outbox_payloads(planning, region, "EmployeeUpserted")) == 1

    response = await post_csv(client, admin, generated.text)

    assert response.status_code == 200, response.text[:500]
    report = response.json()
    rows = list(csv.DictReader(io.StringIO(generated.text)))
    unit_codes = {row["unit_code"] for row in rows}
    assert (report["applied"], report["accepted"], report["rejected"]) == (True, generated.row_count, 0)
    assert (report["employees_created"], report["units_created"]) == (generated.row_count, len(unit_codes))

    employees = await outbox_payloads(planning, region, "EmployeeUpserted")
    units = await outbox_payloads(planning, region, "UnitUpserted")
    assert len(employees) == 1 + generated.row_count
    assert len(units) == 1 + len(unit_codes)
    by_nip = {event["nip"]: event for event in employees}
    for row in rows[:200]:
        event = by_nip[row["nip"]]
        supervisor = by_nip[row["supervisor_nip"]]["employee_id"]
        assert (event["supervisor_id"], event["unit_id"], event["job_type"], event["effective_from"]) == (
            supervisor,
            f"{region}.{row['unit_code']}",
            row["job_type"],
            row["effective_date"],
        )
    heads = [event for event in employees if event["supervisor_id"] == secretary]
    assert len(heads) == 5  # one head per generated agency reports to the Sekretaris Daerah

    again = await post_csv(client, admin, generated.text)
    assert again.status_code == 200
    assert (
        again.json()["employees_created"],
        again.json()["employees_moved"],
        again.json()["units_created"],
    ) == (0, 0, 0)
    assert len(await outbox_payloads(planning, region, "EmployeeUpserted")) == 1 + generated.row_count


async def test_an_import_moves_existing_employees_and_refuses_a_date_before_their_history(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    generated = generate_structure_csv(40, seed=13)
    region, admin, secretary = await region_with_secretary(client, make_token, generated)
    assert (await post_csv(client, admin, generated.text)).status_code == 200
    rows = list(csv.DictReader(io.StringIO(generated.text)))
    staff = next(row for row in rows if row["job_type"] != "structural_head")
    head = next(row for row in rows if row["supervisor_nip"] == generated_secretary(generated))
    header = list(rows[0])

    def line(row: dict[str, str]) -> str:
        return ",".join(f'"{row[c]}"' if "," in row[c] else row[c] for c in header)

    moved = staff | {"supervisor_nip": head["nip"], "effective_date": "2026-03-01"}
    backdated = staff | {"supervisor_nip": head["nip"], "effective_date": "2020-01-01"}

    refused = await post_csv(client, admin, "\n".join([",".join(header), line(backdated)]) + "\n")
    applied = await post_csv(client, admin, "\n".join([",".join(header), line(moved)]) + "\n")

    assert refused.status_code == 422
    assert refused.json()["report"]["rows"][0]["problems"][0]["code"] == "before_enrolment"
    assert applied.status_code == 200, applied.text
    assert applied.json()["employees_moved"] == 1
    events = [
        e for e in await outbox_payloads(planning, region, "EmployeeUpserted") if e["nip"] == staff["nip"]
    ]
    assert [e["effective_from"] for e in events] == [staff["effective_date"], "2026-03-01"]
    del secretary


def generated_secretary(generated: GeneratedCsv) -> str:
    (secretary,) = generated.existing_employees
    return secretary.value


async def test_only_region_admins_import_and_an_empty_file_is_refused(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)

    as_auditor = await post_csv(client, auth(make_token("auditor", region=region)), "nip\n")
    empty = await post_csv(client, admin, "")

    assert as_auditor.status_code == 403
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "empty_file"
    assert empty.json()["report"]["applied"] is False
