"""Field visits (kunjungan lapangan) logged by raters, on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import apply, employee_upserted, new_id, outbox, seed_team

pytestmark = pytest.mark.integration


async def test_a_rater_logs_a_visit_to_their_team_and_those_visited_see_it(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    other_team = await seed_team(reporting, make_token, team.region, size=1)
    staff, colleague = team.members
    visit = {
        "visit_id": new_id("visit"),
        "employee_ids": [staff.employee_id],
        "location": "SDN 3 Gerunggang",
        "latitude": -2.2136,
        "longitude": 113.9108,
        "visited_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        "findings": "Supervisi kelas berjalan; dua sekolah belum dikunjungi bulan ini.",
        "follow_up": "Susun jadwal kunjungan mingguan",
    }

    def log(body: dict[str, Any], token: str) -> Any:
        return reporting.client.post("/v1/field-visits", json=body, headers=auth(token))

    created = await log(visit, team.rater.token)
    retry = await log(visit, team.rater.token)
    outsider = await log(
        visit
        | {
            "visit_id": new_id("visit"),
            "employee_ids": [staff.employee_id, other_team.members[0].employee_id],
        },
        team.rater.token,
    )
    future = await log(
        visit
        | {"visit_id": new_id("visit"), "visited_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        team.rater.token,
    )
    by_employee = await log(visit | {"visit_id": new_id("visit")}, staff.token)

    assert created.status_code == 201, created.text
    assert retry.status_code == 200
    assert outsider.status_code == 422
    assert (outsider.json()["error"]["code"], outsider.json()["error"]["field"]) == (
        "not_in_team",
        "employee_ids.1",
    )
    assert future.status_code == 422
    assert future.json()["error"]["field"] == "visited_at"
    assert by_employee.status_code == 403
    events = [p for kind, p in await outbox(reporting, team.region) if kind == "FieldVisitLogged"]
    assert len(events) == 1
    assert events[0]["supervisor_id"] == team.rater.employee_id
    assert events[0]["employee_ids"] == [staff.employee_id]
    assert events[0]["follow_up"] == "Susun jadwal kunjungan mingguan"

    async def visits(token: str, **params: Any) -> list[str]:
        response = await reporting.client.get("/v1/field-visits", params=params, headers=auth(token))
        assert response.status_code == 200, response.text
        return [v["visit_id"] for v in response.json()["items"]]

    assert await visits(staff.token) == [visit["visit_id"]]
    assert await visits(colleague.token) == []
    assert await visits(team.rater.token, employee_id=staff.employee_id) == [visit["visit_id"]]
    assert await visits(make_token("auditor", region=team.region)) == [visit["visit_id"]]
    assert await visits(other_team.rater.token) == []


async def test_visits_are_paged_newest_first_and_a_foreign_cursor_is_refused(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]
    base = datetime.now(UTC) - timedelta(days=1)
    logged = []
    for hours in range(5):
        body = {
            "visit_id": new_id("visit"),
            "employee_ids": [staff.employee_id],
            "location": "Puskesmas Belawan",
            "visited_at": (base - timedelta(hours=hours)).isoformat(),
            "findings": "Antrean pagi tertib.",
        }
        created = await reporting.client.post("/v1/field-visits", json=body, headers=auth(team.rater.token))
        assert created.status_code == 201, created.text
        logged.append(body["visit_id"])

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await reporting.client.get("/v1/field-visits", params=params, headers=auth(team.rater.token))
        assert page.status_code == 200, page.text
        seen += [visit["visit_id"] for visit in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == logged  # newest first, each exactly once

    for path in ("/v1/field-visits", "/v1/activities"):
        refused = await reporting.client.get(
            path, params={"cursor": "not-one-of-ours"}, headers=auth(team.rater.token)
        )
        assert refused.status_code == 422, (path, refused.text)
        error = refused.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_cursor", "cursor")
        assert error["message_id"] == "Kursor tidak valid."


def visit_body(employee_id: str, visited_at: datetime, **overrides: Any) -> dict[str, Any]:
    return {
        "visit_id": new_id("visit"),
        "employee_ids": [employee_id],
        "location": "Kantor kelurahan",
        "visited_at": visited_at.isoformat(),
        "findings": "Pelayanan berjalan sesuai standar.",
    } | overrides


async def test_a_raters_page_merges_the_visits_they_logged_with_those_naming_them(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]
    head_id = new_id("head")
    head = make_token("employee,rater", region=team.region, employee=head_id)
    await apply(
        reporting,
        team.region,
        employee_upserted(team.region, head_id, None),
        employee_upserted(team.region, team.rater.employee_id, head_id),
    )
    base = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    logged: list[tuple[datetime, str]] = []
    # Alternately by the rater and of them, two of each at one time (ordered by visit id).
    for step, (token, employee_id) in enumerate(
        [(team.rater.token, staff.employee_id), (head, team.rater.employee_id)] * 4
    ):
        at = base - timedelta(hours=step // 2 * 2 if step < 4 else step)
        body = visit_body(employee_id, at)
        created = await reporting.client.post("/v1/field-visits", json=body, headers=auth(token))
        assert created.status_code == 201, created.text
        logged.append((at, body["visit_id"]))
    newest_first = [visit_id for _, visit_id in sorted(logged, reverse=True)]

    async def pages(token: str, **params: Any) -> list[str]:
        seen, cursor = [], None
        while True:
            query = {"limit": 3, **params} | ({"cursor": cursor} if cursor else {})
            page = await reporting.client.get("/v1/field-visits", params=query, headers=auth(token))
            assert page.status_code == 200, page.text
            seen += [visit["visit_id"] for visit in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return seen

    assert await pages(team.rater.token) == newest_first
    window = {"visited_from": (base - timedelta(hours=5)).isoformat(), "visited_to": base.isoformat()}
    assert await pages(team.rater.token, **window) == [
        visit_id for at, visit_id in sorted(logged, reverse=True) if base - timedelta(hours=5) <= at < base
    ]
    of_rater = [visit_id for visit_id in newest_first if visit_id in {v for _, v in logged[1::2]}]
    assert await pages(head, employee_id=team.rater.employee_id) == of_rater
    assert await pages(head) == of_rater
    assert await pages(staff.token) == [v for v in newest_first if v not in of_rater]


async def test_each_region_sees_only_its_own_visits_under_shared_ids(start_service, make_token):
    reporting = await start_service("reporting")
    staff_id, rater_id, visit_id = new_id("staff"), new_id("head"), new_id("visit")
    regions = [new_region_id(), new_region_id()]
    at = datetime.now(UTC) - timedelta(hours=1)
    for region in regions:
        await apply(
            reporting,
            region,
            employee_upserted(region, rater_id, None),
            employee_upserted(region, staff_id, rater_id),
        )
        rater = make_token("employee,rater", region=region, employee=rater_id)
        body = visit_body(staff_id, at, visit_id=visit_id, location=f"Kantor {region}")
        created = await reporting.client.post("/v1/field-visits", json=body, headers=auth(rater))
        assert created.status_code == 201, created.text

    for region in regions:
        readers = [
            (make_token("employee", region=region, employee=staff_id), {}),
            (make_token("employee,rater", region=region, employee=rater_id), {}),
            (make_token("employee,rater", region=region, employee=rater_id), {"employee_id": staff_id}),
            (make_token("region_admin", region=region), {"employee_id": staff_id}),
            (make_token("auditor", region=region), {}),
        ]
        for token, params in readers:
            page = await reporting.client.get("/v1/field-visits", params=params, headers=auth(token))
            assert page.status_code == 200, page.text
            assert [(v["visit_id"], v["location"]) for v in page.json()["items"]] == [
                (visit_id, f"Kantor {region}")
            ], params
