"""Field-visit pages read the visits they show by index, under the forced region policy, on tables
nothing has analyzed yet.

Found by ``employee_ids @> ARRAY[...]`` (an operator that is not leakproof, so it may not run before
the policy's filter) a page read the region's every visit: 2,320 buffers at 21,450 visits a region
where the employees' table's key reads 100-180 (reporting's migration 0020).

The tables are temporary copies of reporting's, as in test_reporting_pages_plan.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.service_layer.field_visits import list_field_visits
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from tests.integration.test_reporting_pages_plan import (
    REGIONS,
    KeptStatements,
    copy_secured,
    page_plan,
)

pytestmark = pytest.mark.integration

REGION = REGIONS[0]
#: Raters a region (each with a team of 7) and visits a region, each naming 1-3 of the team.
RATERS = 100
VISITS = 3_000
RATER = f"{REGION}-h-3"
MEMBER = f"{REGION}-e-21"


async def fill(session: AsyncSession) -> None:
    """Four regions' visits and the rows naming their employees, the transaction seeing every region."""
    await session.execute(
        text(
            "INSERT INTO field_visits (region_id, visit_id, supervisor_id, employee_ids, location,"
            " visited_at, findings)"
            " SELECT r, 'v-' || i, r || '-h-' || i % :raters,"
            " ARRAY(SELECT r || '-e-' || (i % :raters * 7 + k) FROM generate_series(0, i % 3) k),"
            " 'kantor', TIMESTAMPTZ '2026-01-01 00:00+07' + i * interval '1 hour', 'temuan'"
            " FROM generate_series(0, :visits - 1) i, unnest(CAST(:regions AS varchar[])) r"
        ),
        {"regions": list(REGIONS), "raters": RATERS, "visits": VISITS},
    )
    await session.execute(
        text(
            "INSERT INTO field_visit_employees (region_id, employee_id, visited_at, visit_id)"
            " SELECT v.region_id, e, v.visited_at, v.visit_id FROM field_visits v, unnest(v.employee_ids) e"
        )
    )
    await session.execute(text("SELECT set_config('app.all_regions', 'off', true)"))


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [node for child in plan.get("Plans", []) for node in nodes(child)]


async def visits_page_plan(
    start_service: Any, principal: Principal, employee_id: str | None, *, analyzed: bool = False
) -> dict[str, Any]:
    reporting = await start_service("reporting")
    async with AsyncSession(reporting.context.engine) as session, session.begin():
        for table in ("team_members", "field_visits", "field_visit_employees"):
            await copy_secured(session, table)
        await session.execute(
            text(
                "INSERT INTO team_members (region_id, employee_id, effective_from, supervisor_id,"
                " unit_id, stamp_at, stamp_id) VALUES (:region, :member, DATE '2020-01-01', :rater,"
                " 'u', now(), 's')"
            ),
            {"region": REGION, "member": MEMBER, "rater": RATER},
        )
        await fill(session)
        if analyzed:
            await session.execute(text("ANALYZE field_visits"))
        await restrict_to_region(session, REGION)
        kept = KeptStatements(session)
        page = await list_field_visits(
            session=cast(AsyncSession, kept),
            principal=principal,
            employee_id=employee_id,
            visited_from=None,
            visited_to=None,
            cursor=None,
            limit=20,
        )
        assert page.items, "the fill gave the page no rows"
        return await page_plan(session, kept)


RATER_ROLES = frozenset({Role.EMPLOYEE, Role.RATER})


@pytest.mark.parametrize(
    ("reader", "roles", "employee_id"),
    [
        (RATER, RATER_ROLES, None),
        (RATER, RATER_ROLES, MEMBER),
        (MEMBER, frozenset({Role.EMPLOYEE}), None),
        ("hr", frozenset({Role.REGION_ADMIN}), MEMBER),
    ],
    ids=["a rater's page", "one member's page", "an employee's own page", "HR's page of one employee"],
)
async def test_a_page_reads_the_visits_of_its_employee_or_rater_by_index(
    start_service: Any, reader: str, roles: frozenset[Role], employee_id: str | None
) -> None:
    plan = await visits_page_plan(start_service, Principal(reader, REGION, roles, reader), employee_id)

    # Every scan of an index finds one employee's or one rater's visits: none reads the region's.
    scans = [node for node in nodes(plan) if "Index Name" in node]
    assert scans, plan
    # Each in the page's order, from the newest: no sort of all of anyone's visits.
    assert not [node for node in nodes(plan) if "Sort" in node["Node Type"] or "Seq" in node["Node Type"]], (
        plan
    )
    for scan in scans:
        condition = scan.get("Index Cond", "")
        assert any(column in condition for column in ("employee_id", "supervisor_id", "visit_id")), scan


async def test_a_region_readers_page_reads_the_regions_newest_visits_by_index(start_service: Any) -> None:
    # Analyzed: unanalyzed, a temporary table this small is costed as holding a region's few rows.
    reader = Principal("hr", REGION, frozenset({Role.AUDITOR}), None)
    plan = await visits_page_plan(start_service, reader, None, analyzed=True)

    # The region's visits in the page's order, from the newest: no sort of the region's visits.
    assert not [node for node in nodes(plan) if node["Node Type"] in ("Sort", "Seq Scan")], plan
    [scan] = [node for node in nodes(plan) if "Index Name" in node]
    assert scan["Index Cond"].endswith("= 'kota-a'::text)"), scan
    assert scan["Scan Direction"] == "Backward", scan
