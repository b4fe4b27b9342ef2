"""Planning organisation on real infrastructure: unit tree, employees, dated moves, cycles, events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import auth, new_region_id, outbox_payloads

pytestmark = pytest.mark.integration

HEAD_NIP = "197001011995031001"
SECTION_NIP = "198002022005012002"
STAFF_NIP = "199001012015032003"
OTHER_NIP = "199105052016041004"


async def new_region(client: Any, make_token: Any) -> tuple[str, dict[str, str]]:
    region = new_region_id()
    response = await client.post(
        "/v1/regions",
        json={"region_id": region, "name": "Kota Uji"},
        headers=auth(make_token("platform_admin")),
    )
    assert response.status_code == 201, response.text
    return region, auth(make_token("region_admin", region=region))


async def add_unit(client: Any, admin: dict[str, str], code: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/units", json={"code": code, "name": f"Unit {code}", **extra}, headers=admin
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_employee(
    client: Any, admin: dict[str, str], nip: str, unit_id: str, supervisor: str | None, **extra: Any
) -> dict[str, Any]:
    employee_id = f"p-{uuid.uuid4().hex[:8]}"
    body = {
        "employee_id": employee_id,
        "nip": nip,
        "name": f"Pegawai {employee_id}",
        "unit_id": unit_id,
        "position": "Petugas Registrasi",
        "job_type": "id_card_registrar",
        "supervisor_id": supervisor,
        "effective_from": "2026-01-01",
        **extra,
    }
    response = await client.post("/v1/employees", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_units_form_a_tree_whose_kinds_must_fit(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    agency = await add_unit(client, admin, "DISDUKCAPIL")
    section = await add_unit(
        client, admin, "DISDUKCAPIL-B1", kind="section", parent_unit_id=agency["unit_id"]
    )
    await add_unit(client, admin, "UPT-KOTA", kind="service_point", parent_unit_id=section["unit_id"])

    orphan = await client.post(
        "/v1/units", json={"code": "SEKSI-X", "name": "Seksi X", "kind": "section"}, headers=admin
    )
    agency_under_section = await client.post(
        "/v1/units",
        json={"code": "DINAS-X", "name": "Dinas X", "kind": "agency", "parent_unit_id": section["unit_id"]},
        headers=admin,
    )
    unknown_parent = await client.post(
        "/v1/units",
        json={"code": "UPT-Y", "name": "UPT Y", "kind": "service_point", "parent_unit_id": f"{region}.NOPE"},
        headers=admin,
    )
    cycle = await client.patch(
        f"/v1/units/{agency['unit_id']}",
        json={"kind": "section", "parent_unit_id": section["unit_id"]},
        headers=admin,
    )

    assert (orphan.status_code, orphan.json()["error"]["code"]) == (422, "unit_needs_parent")
    assert orphan.json()["error"]["field"] == "parent_unit_id"
    assert agency_under_section.json()["error"]["code"] == "unit_must_be_top_level"
    assert (unknown_parent.status_code, unknown_parent.json()["error"]["field"]) == (422, "parent_unit_id")
    assert (cycle.status_code, cycle.json()["error"]["code"]) == (409, "unit_cycle")
    listed = await client.get("/v1/units", headers=admin)
    assert [u["code"] for u in listed.json()] == ["DISDUKCAPIL", "DISDUKCAPIL-B1", "UPT-KOTA"]


async def test_a_unit_predicate_change_is_published_for_the_distribution_check(start_service, make_token):
    planning = await start_service("planning")
    region, admin = await new_region(planning.client, make_token)
    agency = await add_unit(planning.client, admin, "DISPU")

    response = await planning.client.patch(
        f"/v1/units/{agency['unit_id']}", json={"organisation_predicate": "baik"}, headers=admin
    )

    assert response.status_code == 200, response.text
    events = await outbox_payloads(planning, region, "UnitUpserted")
    assert [e["organisation_predicate"] for e in events] == [None, "baik"]


async def test_dated_moves_answer_who_supervised_whom_on_a_day(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    agency = await add_unit(client, admin, "DISDUKCAPIL")
    upt = await add_unit(client, admin, "UPT-1", kind="service_point", parent_unit_id=agency["unit_id"])
    head = await add_employee(client, admin, HEAD_NIP, agency["unit_id"], None, job_type="kepala")
    section = await add_employee(client, admin, SECTION_NIP, agency["unit_id"], head["employee_id"])
    staff = await add_employee(client, admin, STAFF_NIP, agency["unit_id"], head["employee_id"])

    moved = await client.post(
        f"/v1/employees/{staff['employee_id']}/moves",
        json={
            "effective_from": "2026-07-01",
            "unit_id": upt["unit_id"],
            "supervisor_id": section["employee_id"],
            "position": "Pengadministrasi Registrasi",
        },
        headers=admin,
    )
    assert moved.status_code == 201, moved.text

    async def supervisor_on(day: str) -> str | None:
        response = await client.get(
            f"/v1/employees/{staff['employee_id']}", params={"on": day}, headers=admin
        )
        assert response.status_code == 200, response.text
        supervisor: str | None = response.json()["supervisor_id"]
        return supervisor

    assert await supervisor_on("2026-03-15") == head["employee_id"]
    assert await supervisor_on("2026-07-01") == section["employee_id"]
    history = (await client.get(f"/v1/employees/{staff['employee_id']}/history", headers=admin)).json()
    assert [(a["effective_from"], a["unit_id"], a["supervisor_id"]) for a in history["assignments"]] == [
        ("2026-01-01", agency["unit_id"], head["employee_id"]),
        ("2026-07-01", upt["unit_id"], section["employee_id"]),
    ]
    team_in_march = await client.get(
        "/v1/employees", params={"on": "2026-03-01", "supervisor_id": head["employee_id"]}, headers=admin
    )
    assert {e["employee_id"] for e in team_in_march.json()} == {section["employee_id"], staff["employee_id"]}
    # The head's job type was given in Indonesian and is stored (and published) by its code.
    assert head["job_type"] == "structural_head"

    events = [
        e
        for e in await outbox_payloads(planning, region, "EmployeeUpserted")
        if e["employee_id"] == staff["employee_id"]
    ]
    assert [(e["effective_from"], e["supervisor_id"], e["unit_id"], e["job_type"]) for e in events] == [
        ("2026-01-01", head["employee_id"], agency["unit_id"], "id_card_registrar"),
        ("2026-07-01", section["employee_id"], upt["unit_id"], "id_card_registrar"),
    ]
    assert events[-1]["position"] == "Pengadministrasi Registrasi"


async def test_a_move_that_would_make_a_supervisor_cycle_is_refused_and_changes_nothing(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    agency = await add_unit(client, admin, "DINKES")
    head = await add_employee(client, admin, HEAD_NIP, agency["unit_id"], None)
    section = await add_employee(client, admin, SECTION_NIP, agency["unit_id"], head["employee_id"])
    staff = await add_employee(client, admin, STAFF_NIP, agency["unit_id"], section["employee_id"])
    events_before = await outbox_payloads(planning, region, "EmployeeUpserted")

    response = await client.post(
        f"/v1/employees/{head['employee_id']}/moves",
        json={"effective_from": "2026-05-01", "supervisor_id": staff["employee_id"]},
        headers=admin,
    )
    self_supervision = await client.post(
        f"/v1/employees/{staff['employee_id']}/moves",
        json={"effective_from": "2026-05-01", "supervisor_id": staff["employee_id"]},
        headers=admin,
    )

    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("supervisor_cycle", "supervisor_id")
    assert "cycle" in error["message"]
    assert "siklus" in error["message_id"]
    assert self_supervision.status_code == 409
    history = (await client.get(f"/v1/employees/{head['employee_id']}/history", headers=admin)).json()
    assert len(history["assignments"]) == 1
    assert await outbox_payloads(planning, region, "EmployeeUpserted") == events_before


async def test_bad_employee_input_is_refused_naming_the_field(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    agency = await add_unit(client, admin, "DPMPTSP")
    head = await add_employee(client, admin, HEAD_NIP, agency["unit_id"], None)

    def body(**overrides: Any) -> dict[str, Any]:
        return {
            "nip": STAFF_NIP,
            "name": "Siti Lubis",
            "unit_id": agency["unit_id"],
            "position": "Analis Perizinan",
            "job_type": "permit_officer",
            "supervisor_id": head["employee_id"],
            "effective_from": "2026-01-01",
        } | overrides

    cases = {
        "nip": body(nip="199013012015032003"),  # month 13 of birth
        "job_type": body(job_type="astronot"),
        "unit_id": body(unit_id=f"{region}.NOPE"),
        "supervisor_id": body(supervisor_id="nobody"),
        "effective_from": body(effective_from="2025-06-01"),  # before the supervisor was enrolled
    }
    for field, payload in cases.items():
        response = await client.post("/v1/employees", json=payload, headers=admin)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["field"] == field, response.text
    duplicate = await client.post("/v1/employees", json=body(nip=HEAD_NIP), headers=admin)
    assert (duplicate.status_code, duplicate.json()["error"]["field"]) == (409, "nip")
    listed = await client.get("/v1/employees", params={"on": "2026-12-31"}, headers=admin)
    assert [e["employee_id"] for e in listed.json()] == [head["employee_id"]]


async def test_a_move_to_an_unknown_unit_or_supervisor_is_refused_naming_the_field(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    agency = await add_unit(client, admin, "DPMPTSP")
    head = await add_employee(client, admin, HEAD_NIP, agency["unit_id"], None)
    staff = await add_employee(client, admin, STAFF_NIP, agency["unit_id"], head["employee_id"])

    for field, move in {
        "unit_id": {"unit_id": f"{region}.NOPE"},
        "supervisor_id": {"supervisor_id": "nobody"},
    }.items():
        response = await client.post(
            f"/v1/employees/{staff['employee_id']}/moves",
            json={"effective_from": "2026-05-01", **move},
            headers=admin,
        )
        assert response.status_code == 422, (field, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == (f"unknown_{field.removesuffix('_id')}", field)
    history = (await client.get(f"/v1/employees/{staff['employee_id']}/history", headers=admin)).json()
    assert len(history["assignments"]) == 1


async def test_roles_and_regions_bound_who_reads_and_changes_the_organisation(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    other_region, other_admin = await new_region(client, make_token)
    agency = await add_unit(client, admin, "DISDIK")
    head = await add_employee(client, admin, HEAD_NIP, agency["unit_id"], None)
    staff = await add_employee(client, admin, STAFF_NIP, agency["unit_id"], head["employee_id"])
    other = await add_employee(client, admin, OTHER_NIP, agency["unit_id"], None)
    employee = auth(make_token("employee", region=region, employee=staff["employee_id"]))
    rater = auth(make_token("employee,rater", region=region, employee=head["employee_id"]))
    auditor = auth(make_token("auditor", region=region))

    as_employee = await client.post("/v1/units", json={"code": "X", "name": "Unit X"}, headers=employee)
    as_auditor = await client.post(
        f"/v1/employees/{staff['employee_id']}/moves",
        json={"effective_from": "2026-02-01", "position": "Guru"},
        headers=auditor,
    )
    assert (as_employee.status_code, as_auditor.status_code) == (403, 403)
    assert (await client.get(f"/v1/employees/{staff['employee_id']}", headers=employee)).status_code == 200
    assert (await client.get(f"/v1/employees/{head['employee_id']}", headers=employee)).status_code == 404
    assert (await client.get(f"/v1/employees/{staff['employee_id']}", headers=rater)).status_code == 200
    assert (await client.get(f"/v1/employees/{other['employee_id']}", headers=rater)).status_code == 404
    assert (await client.get(f"/v1/employees/{other['employee_id']}", headers=auditor)).status_code == 200
    # Another region's HR office cannot see, move or supervise with this region's people.
    assert (await client.get(f"/v1/employees/{staff['employee_id']}", headers=other_admin)).status_code == 404
    moved = await client.post(
        f"/v1/employees/{staff['employee_id']}/moves",
        json={"effective_from": "2026-02-01", "position": "Guru"},
        headers=other_admin,
    )
    assert moved.status_code == 404
    team = await client.get("/v1/employees", headers=rater)
    assert [e["employee_id"] for e in team.json()] == [staff["employee_id"]]
    del other_region


async def test_text_postgresql_cannot_store_is_refused_before_it_reaches_the_database(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    region, admin = await new_region(client, make_token)
    agency = await add_unit(client, admin, "DISDIK")

    nul_name = await client.post(
        "/v1/employees",
        json={
            "nip": HEAD_NIP,
            "name": "Siti\u0000Lubis",
            "unit_id": agency["unit_id"],
            "position": "Guru",
            "job_type": "teacher",
            "effective_from": "2026-01-01",
        },
        headers=admin,
    )
    nul_path = await client.get("/v1/employees/e%00x", headers=admin)
    nul_query = await client.get("/v1/cascade?year=2026&unit_id=u%00x", headers=admin)
    long_code = await client.post(
        "/v1/units", json={"code": "X" * 40 + "-" * 23, "name": "Unit"}, headers=admin
    )
    binary = await client.post(
        "/v1/imports/organisation",
        content=b"PK\x03\x04\x00\x00",
        headers=admin | {"Content-Type": "text/csv"},
    )

    assert nul_name.status_code == 422
    for response, field in ((nul_path, "employee_id"), (nul_query, "unit_id")):
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["field"]) == (422, "invalid_input", field)
        assert error["message_id"] == f"{field}: teks tidak boleh berisi karakter NUL"
    assert (long_code.status_code, long_code.json()["error"]["field"]) == (422, "code")
    assert (binary.status_code, binary.json()["error"]["code"]) == (422, "not_text")
    del region
