"""The unit dashboard's ranking, written by PostgreSQL, is the answer the validated models write."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.service_layer.queries import dashboards
from services.scoring.service_layer.queries.dashboards import unit_dashboard, with_ranking
from services.scoring.service_layer.schemas import UnitDashboardRead
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from shared.region_reads import region_read
from tests.conftest import new_region_id
from tests.integration.test_region_isolation import engine_of, migrated, run_as

pytestmark = pytest.mark.usefixtures("infrastructure")

__all__ = ["migrated"]  # the fixture, used by name

PERIOD = "2026-Q2"

#: Entries as the rollup's statement writes them (service_layer/rollups.py), with text that JSON
#: must escape: quotes, backslashes, control characters, and text beyond ASCII.
ENTRIES: list[dict[str, Any]] = [
    {
        "rank": 1,
        "employee_id": 'e"1\\',
        "job_type": "analis \u00e9\u4e2d\U0001f600",
        "rater_id": "boss",
        "predicate": "SANGAT_BAIK",
        "achievement": "1.2000",
    },
    {
        "rank": 2,
        "employee_id": "e\n2\t\u0001\u001f",
        "job_type": "</script>",
        "rater_id": "other",
        "predicate": None,
        "achievement": "-0.0500",
    },
    {
        "rank": 100000,
        "employee_id": "e3",
        "job_type": "",
        "rater_id": None,
        "predicate": "KURANG",
        "achievement": None,
    },
    {
        "rank": 4,
        "employee_id": "e4",
        "job_type": "x",
        "rater_id": "boss",
        "predicate": "BAIK",
        "achievement": "99999.9999",
    },
]


@pytest.fixture
async def engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = engine_of("scoring")
    yield engine
    await engine.dispose()


async def given_a_rollup(engine: AsyncEngine, region: str) -> None:
    await run_as(
        engine,
        region,
        "INSERT INTO units (region_id, unit_id, name, stamp_at) VALUES (:r, 'u1', 'Bagian \"Umum\"', now())",
        region,
    )
    await run_as(
        engine,
        region,
        "INSERT INTO employees (region_id, employee_id, name, unit_id, position, job_type, effective_from,"
        " stamp_at) VALUES (:r, 'boss', 'Boss', 'u1', 'head', 'head', DATE '2000-01-01', now())",
        region,
    )
    async with engine.begin() as connection:
        await restrict_to_region(connection, region)
        await connection.execute(
            text(
                "INSERT INTO unit_rollups (region_id, unit_id, period, employees, measured, achievement_sum,"
                " decided, predicate_counts, ranking) VALUES (:r, 'u1', :p, 4, 3, 101.15, 1,"
                " CAST(:counts AS jsonb), CAST(:ranking AS jsonb))"
            ),
            {"r": region, "p": PERIOD, "counts": '{"BAIK": 1, "KURANG": 1}', "ranking": json.dumps(ENTRIES)},
        )


@pytest.mark.parametrize(
    ("roles", "employee_id", "shown"),
    [
        ([Role.REGION_ADMIN], None, ENTRIES),
        ([Role.AUDITOR], None, ENTRIES),
        ([Role.RATER], "boss", [ENTRIES[0], ENTRIES[3]]),
    ],
)
async def test_the_ranking_written_by_postgresql_is_the_validated_answer(
    engine: AsyncEngine, roles: list[Role], employee_id: str | None, shown: list[dict[str, Any]]
) -> None:
    region = new_region_id()
    await given_a_rollup(engine, region)
    principal = Principal(
        subject="someone", region_id=region, roles=frozenset(roles), employee_id=employee_id
    )
    async with region_read(engine, region) as reader:
        figures, ranking = await unit_dashboard(
            session=reader, principal=principal, unit_id="u1", period=PERIOD
        )

    validated = UnitDashboardRead.model_validate(figures.model_dump() | {"ranking": shown})
    assert with_ranking(figures, ranking) == validated.model_dump_json().encode()
    assert [entry["rank"] for entry in json.loads(ranking)] == [entry["rank"] for entry in shown]


async def test_the_ranking_comes_as_text_and_the_rollups_without_it(engine: AsyncEngine) -> None:
    """Nothing decodes the ranking (400 entries, ~40 KiB of JSON, in a real unit) only to write it again."""
    region = new_region_id()
    await given_a_rollup(engine, region)
    async with region_read(engine, region) as reader:
        found = (
            await reader.execute(
                dashboards._UNIT_DASHBOARD,
                {
                    "region_id": region,
                    "unit_id": "u1",
                    "period": PERIOD,
                    "year_keys": dashboards.keys_of_year(2026),
                    "year_pattern": "2026%",
                    "everyone": True,
                    "rater_id": None,
                },
            )
        ).one()
    assert isinstance(found.ranking, str)
    assert [entry["employee_id"] for entry in json.loads(found.ranking)] == [
        e["employee_id"] for e in ENTRIES
    ]
    assert [set(rollup) for rollup in found.rollups] == [
        {"period", "employees", "measured", "achievement_sum", "decided", "predicate_counts"}
    ]
