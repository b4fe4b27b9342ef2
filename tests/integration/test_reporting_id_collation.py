"""The activities' ids compare byte by byte (``COLLATE "C"``, migration 0014): a ``memcmp`` where
the cluster's locale cost 21.5% of the intake's backends' CPU (bench/README.md, session 21)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.region_time import DEFAULT_TIMEZONE
from shared.settings import ServiceSettings
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import activity, seed_team, submit
from tests.region_clock import moment_ago

pytestmark = pytest.mark.integration

#: Each column's collation, and each index's collation for each of its key columns.
_COLUMN_COLLATIONS = text(
    "SELECT a.attrelid::regclass::text, a.attname, c.collname "
    "FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
    "WHERE a.attrelid IN ('reporting.activities'::regclass, 'reporting.activity_evidence'::regclass) "
    "AND a.attname IN ('activity_id', 'employee_id')"
)
_INDEX_COLLATIONS = text(
    """
    SELECT i.indexrelid::regclass::text, a.attname, c.collname
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indcollation::oid[]) AS k(attnum, collation_id)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    JOIN pg_collation c ON c.oid = k.collation_id
    WHERE i.indrelid IN ('reporting.activities'::regclass, 'reporting.activity_evidence'::regclass)
      AND a.attname IN ('activity_id', 'employee_id')
    """
)


async def test_the_activities_ids_and_their_indexes_collate_as_bytes(start_service: Any) -> None:
    await start_service("reporting")
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            columns = {tuple(row) for row in await connection.execute(_COLUMN_COLLATIONS)}
            indexes = {tuple(row) for row in await connection.execute(_INDEX_COLLATIONS)}
    finally:
        await engine.dispose()
    # The evidence's activity id too: its look-ups compare it with the activities' (migration 0015).
    assert columns == {
        ("reporting.activities", "activity_id", "C"),
        ("reporting.activities", "employee_id", "C"),
        ("reporting.activity_evidence", "activity_id", "C"),
        ("reporting.activity_evidence", "employee_id", "default"),
    }
    assert indexes == {
        ("reporting.pk_activities", "activity_id", "C"),
        ("reporting.ix_activities_employee_time", "employee_id", "C"),
        ("reporting.pk_activity_evidence", "activity_id", "C"),
    }


async def test_an_activitys_evidence_is_found_by_its_key_whole(start_service: Any) -> None:
    """An index of another collation than the comparison's cannot serve it: before 0015 the
    evidence's key was searched by the region alone for each activity."""
    await start_service("reporting")
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                row[0]
                for row in await connection.execute(
                    text(
                        "EXPLAIN SELECT a.activity_id, (SELECT count(*) FROM reporting.activity_evidence e "
                        "WHERE e.activity_id = a.activity_id AND e.region_id = a.region_id) "
                        "FROM reporting.activities a"
                    )
                )
            )
    finally:
        await engine.dispose()
    assert "pk_activity_evidence" in plan, plan
    assert "activity_id = (a.activity_id)" in plan, plan


async def test_activities_of_one_moment_are_paged_by_their_ids_bytes_each_once(
    start_service: Any, make_token: Any
) -> None:
    """Ties of ``occurred_at`` come in the ids' byte order (upper case before ``_`` before lower
    case; a linguistic locale would mix them), and the keyset resumes exactly after each."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]
    moment = moment_ago(DEFAULT_TIMEZONE, timedelta(hours=1)).isoformat()
    ids = ["tie-zzzz01", "tie0aaaa01", "tieBzzzz01", "tie_aaaa01", "tieazzzz01", "tieAaaaa01"]
    for activity_id in ids:
        body = activity(staff, activity_id=activity_id, occurred_at=moment)
        assert (await submit(reporting, staff, body)).status_code == 201

    seen: list[str] = []
    cursor = None
    while True:
        params = {"employee_id": staff.employee_id, "limit": 1} | ({"cursor": cursor} if cursor else {})
        response = await reporting.client.get("/v1/activities", params=params, headers=auth(team.rater.token))
        assert response.status_code == 200, response.text
        seen += [item["activity_id"] for item in response.json()["items"]]
        if (cursor := response.json()["next_cursor"]) is None:
            break
    assert seen == sorted(ids, key=str.encode, reverse=True)
