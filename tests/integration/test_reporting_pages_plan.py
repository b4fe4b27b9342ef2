"""A rater's and an employee's pages read each employee's activities by the employee index, keyed
by region and employee both, on a table the stream has filled and nothing has analyzed yet.

Keyed by ``(employee_id, occurred_at)`` the index matched the employee only: the planner costed the
region's time index as selective and ANDed the two bitmaps, reading all of the region's entries
for each team member (1.5 s a team's page at 3 M activities; at 400,000, 3,268 buffers where the
index on both columns reads 184: reporting's migration 0019).

The tables are temporary copies of reporting's, with their indexes and their region policy, forced,
as the service role meets it: autovacuum never analyzes a temporary table, and ``pg_temp`` leads
the search path, so the service's own statements read them.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.reporting.adapters.live_feed import LiveFeed
from services.reporting.domain.activity import ActivityStatus
from services.reporting.service_layer.activities import HistoryFilters, activity_history
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from tests.integration.test_scoring_contributions_plan import index_scans
from tests.integration.test_scoring_keys_plan import region_policy_as_in_production

pytestmark = pytest.mark.integration

REGIONS = ("kota-a", "kota-b", "kota-c", "kota-d")
REGION = REGIONS[0]
#: Employees a region, in teams of 7 under raters ``<region>-h-<n>``; activities a region.
EMPLOYEES = 700
ACTIVITIES = 10_000
RATER = f"{REGION}-h-3"
MEMBER = f"{REGION}-e-21"


class KeptStatements:
    """A session that runs each statement and keeps it with its parameters."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.executed: list[tuple[Any, dict[str, Any]]] = []

    async def execute(self, statement: Any, parameters: dict[str, Any] | None = None) -> Any:
        self.executed.append((statement, parameters or {}))
        return await self._session.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: dict[str, Any] | None = None) -> Any:
        return await self._session.scalar(statement, parameters)


class NoFeedPosition:
    """A live feed that cannot say where it stands (the page answers without the position)."""

    async def position(self, region_id: str, rater_id: str) -> str | None:
        return None


async def copy_secured(session: AsyncSession | AsyncConnection, table: str) -> None:
    """A temporary ``table`` of ``reporting.<table>``'s shape, indexes and region policy, forced."""
    await session.execute(
        text(f"CREATE TEMP TABLE {table} (LIKE reporting.{table} INCLUDING ALL) ON COMMIT DROP")
    )
    await region_policy_as_in_production(session, table, schema="reporting")


async def fill(session: AsyncSession) -> None:
    """Four regions' teams and activities (the heap in time order, as the stream appends them), the
    transaction seeing every region."""
    regions = {"regions": list(REGIONS)}
    await session.execute(
        text(
            "INSERT INTO team_members (region_id, employee_id, effective_from, supervisor_id, unit_id,"
            " stamp_at, stamp_id)"
            " SELECT r, r || '-e-' || n, DATE '2020-01-01', r || '-h-' || n / 7, 'u', now(), 's'"
            " FROM unnest(CAST(:regions AS varchar[])) r, generate_series(0, :employees - 1) n"
        ),
        regions | {"employees": EMPLOYEES},
    )
    await session.execute(
        text(
            "INSERT INTO activities (activity_id, region_id, employee_id, plan_id, result_id,"
            " indicator_id, occurred_at, description, status)"
            " SELECT 'a-' || i, r, r || '-e-' || (i * 7919) % :employees, 'p', 'res', 'ind',"
            " TIMESTAMPTZ '2026-01-01 00:00+07' + i * interval '1 minute', 'kegiatan',"
            " CASE WHEN i % 3 = 0 THEN 'submitted' ELSE 'verified' END"
            " FROM generate_series(0, :activities - 1) i, unnest(CAST(:regions AS varchar[])) r"
        ),
        regions | {"employees": EMPLOYEES, "activities": ACTIVITIES},
    )
    await session.execute(text("SELECT set_config('app.all_regions', 'off', true)"))


async def page_plan(session: AsyncSession, kept: KeptStatements) -> dict[str, Any]:
    """The plan PostgreSQL gives the page's statement (the last one run) for its parameters."""
    statement, parameters = kept.executed[-1]
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    bound = compiled.construct_params(parameters)
    values = tuple(bound[name] for name in compiled.positiontup or ())
    plan = (await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", values)).scalar_one()
    return cast(dict[str, Any], (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])


RATER_ROLES = frozenset({Role.EMPLOYEE, Role.RATER})


@pytest.mark.parametrize(
    ("reader", "roles", "filters"),
    [
        (RATER, RATER_ROLES, HistoryFilters()),
        (RATER, RATER_ROLES, HistoryFilters(status=ActivityStatus.SUBMITTED)),
        (RATER, RATER_ROLES, HistoryFilters(employee_id=MEMBER)),
        (MEMBER, frozenset({Role.EMPLOYEE}), HistoryFilters()),
    ],
    ids=["team feed", "inbox", "one member's list", "an employee's own list"],
)
async def test_a_page_reads_each_employees_rows_by_region_and_employee_before_analyze(
    start_service: Any, reader: str, roles: frozenset[Role], filters: HistoryFilters
) -> None:
    reporting = await start_service("reporting")
    principal = Principal(reader, REGION, roles, reader)
    async with AsyncSession(reporting.context.engine) as session, session.begin():
        for table in ("team_members", "activities"):
            await copy_secured(session, table)
        await fill(session)
        await restrict_to_region(session, REGION)
        kept = KeptStatements(session)
        page = await activity_history(
            session=cast(AsyncSession, kept),
            principal=principal,
            filters=filters,
            cursor=None,
            limit=50,
            feed=cast(LiveFeed, NoFeedPosition()),
        )
        assert page.items, "the fill gave the page no rows"
        plan = await page_plan(session, kept)

    # Each scan of an index finds one employee's rows of the region: no scan of the region's rows
    # (the time index, alone or ANDed with the employee's).
    scans = index_scans(plan)
    assert scans, plan
    for scan in scans:
        condition = scan.get("Index Cond", "")
        assert "region_id" in condition, scan
        assert "employee_id" in condition, scan
