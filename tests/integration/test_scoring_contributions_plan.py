"""A batch's activities are looked up by the primary key even while contributions is near-empty,
and the key leads by the activity's id (migration 0021); the employee index is read by equality
only, its ids compared as bytes and the region last (0022); evidence claims keep their key alone
(0023).

A new deployment prepares the consumer's statements on empty tables, and PostgreSQL keeps a generic
plan made then until the table's first analyze. An index led by the region alone cost the same
as the primary key there, and the planner kept it: each key then scanned the region's rows, 316 ms
a batch at 20,000 rows (bench/README.md, session 11). The activities' other index is led by the
employee, so only the primary key serves a look-up by region and activity.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from services.scoring.service_layer.projections.activity_store import _LOCK_CONTRIBUTIONS
from tests.integration.index_keys import index_keys

pytestmark = pytest.mark.integration


def index_scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan] if "Index Name" in plan else []
    for child in plan.get("Plans", []):
        found += index_scans(child)
    return found


async def test_the_look_up_uses_the_primary_key_on_an_empty_table(start_service: Any) -> None:
    scoring = await start_service("scoring")
    query = str(_LOCK_CONTRIBUTIONS.compile(dialect=scoring.context.engine.dialect))
    async with scoring.context.engine.connect() as connection, connection.begin():
        # An empty table of the same shape and indexes, found first (pg_temp leads the search path).
        await connection.execute(
            text("CREATE TEMP TABLE contributions (LIKE scoring.contributions INCLUDING ALL) ON COMMIT DROP")
        )
        await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        await connection.exec_driver_sql(f"PREPARE look_up AS {query}")
        try:
            plan = await connection.scalar(
                text("EXPLAIN (FORMAT JSON) EXECUTE look_up(ARRAY['a', 'b'], 'region', 0)")
            )
        finally:
            await connection.exec_driver_sql("DEALLOCATE look_up")
    scans = index_scans((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    assert len(scans) == 1, scans
    assert "activity_id" in scans[0].get("Index Cond", ""), scans[0]


async def _contributions_index_keys(start_service: Any) -> dict[str, list[str]]:
    scoring = await start_service("scoring")
    async with scoring.context.engine.connect() as connection:
        rows = await connection.execute(index_keys("scoring.contributions"))
        return {name: list(key) for name, key in rows}


async def test_the_key_leads_by_the_activity_id(start_service: Any) -> None:
    keys = await _contributions_index_keys(start_service)
    # The id settles a comparison alone (migration 0021); the region is read between equal ids only.
    assert keys["pk_contributions"] == ["activity_id", "region_id"]


async def test_the_employee_index_compares_ids_as_bytes_and_the_region_last(start_service: Any) -> None:
    keys = await _contributions_index_keys(start_service)
    # Read by equality only; a rebuild builds it after applying the events, and its sort compared
    # the (equal) region and the ids through the collation at every tie (migration 0022).
    assert keys["ix_contributions_employee"] == [
        "employee_id text_pattern_ops",
        "indicator_id text_pattern_ops",
        "year",
        "period text_pattern_ops",
        "region_id text_pattern_ops",
    ]


async def test_evidence_claims_are_read_by_their_key_alone(start_service: Any) -> None:
    scoring = await start_service("scoring")
    async with scoring.context.engine.connect() as connection:
        names = await connection.scalar(
            text(
                "SELECT array_agg(c.relname ORDER BY c.relname) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'scoring.evidence_claims'::regclass"
            )
        )
    # The key (region_id, sha256, activity_id) serves the look-up by region and file; an index of
    # those two alone was a second random entry for each claim (migration 0023).
    assert list(names) == ["pk_evidence_claims"]
