"""The unit dashboard's ranking, written by PostgreSQL, is the answer the validated models write."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.scoring.adapters.tables import employee_scores
from services.scoring.service_layer.queries import dashboards
from services.scoring.service_layer.queries.dashboards import unit_dashboard, with_ranking
from services.scoring.service_layer.rollups import recompute_unit_rollups
from services.scoring.service_layer.schemas import UnitDashboardRead
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from shared.region_reads import region_read
from shared.region_time import shown_in
from tests.conftest import new_region_id
from tests.integration.scoring_rollups import expected_rollups, summary
from tests.integration.test_region_isolation import engine_of, migrated, run_as

pytestmark = pytest.mark.usefixtures("infrastructure")

__all__ = ["migrated"]  # the fixture, used by name

PERIOD = "2026-Q2"

#: Summaries whose rollup ranks them, with text that JSON must escape: quotes, backslashes, control
#: characters, and text beyond ASCII; negative, null and five-digit achievements.
SUMMARIES: dict[str, dict[str, Any]] = {
    'e"1\\': {
        "job_type": "analis \u00e9\u4e2d\U0001f600",
        "rater_id": "boss",
        "predicate": "SANGAT_BAIK",
        "achievement": Decimal("1.2000"),
    },
    "e\n2\t\u0001\u001f": {
        "job_type": "</script>",
        "rater_id": "other",
        "predicate": None,
        "achievement": Decimal("-0.0500"),
    },
    "e3": {"job_type": "", "rater_id": None, "predicate": "KURANG", "achievement": None},
    "e4": {"job_type": "x", "rater_id": "boss", "predicate": "BAIK", "achievement": Decimal("99999.9999")},
}


@pytest.fixture
async def engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = engine_of("scoring")
    yield engine
    await engine.dispose()


async def given_a_rollup(engine: AsyncEngine, region: str) -> list[dict[str, Any]]:
    """The unit's summaries and their rollup, recomputed as the consumer does; its ranking's entries."""
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
        session = AsyncSession(bind=connection)
        rows = [summary(region, employee, PERIOD, unit_id="u1", **row) for employee, row in SUMMARIES.items()]
        await session.execute(insert(employee_scores), rows)
        await recompute_unit_rollups(session, region, [("u1", PERIOD)])
        stored = await session.execute(select(employee_scores).where(employee_scores.c.region_id == region))
        ranking: list[dict[str, Any]] = expected_rollups(stored.all())[("u1", PERIOD)]["ranking"]
    return ranking


@pytest.mark.parametrize(
    ("roles", "employee_id"),
    [([Role.REGION_ADMIN], None), ([Role.AUDITOR], None), ([Role.RATER], "boss")],
)
async def test_the_ranking_written_by_postgresql_is_the_validated_answer(
    engine: AsyncEngine, roles: list[Role], employee_id: str | None
) -> None:
    """An administrator's and auditor's ranking is the one the rollup keeps written; a rater's, their
    own team's, is written from the rollup's entries."""
    region = new_region_id()
    entries = await given_a_rollup(engine, region)
    shown = [entry for entry in entries if employee_id is None or entry["rater_id"] == employee_id]
    principal = Principal(
        subject="someone", region_id=region, roles=frozenset(roles), employee_id=employee_id
    )
    async with region_read(engine, region) as reader:
        figures, ranking = await unit_dashboard(
            session=reader, principal=principal, unit_id="u1", period=PERIOD, zone=UTC
        )

    validated = UnitDashboardRead.model_validate(figures.model_dump() | {"ranking": shown})
    assert with_ranking(figures, ranking) == validated.model_dump_json().encode()
    assert [entry["rank"] for entry in json.loads(ranking)] == [entry["rank"] for entry in shown]


async def test_the_ranking_comes_as_text_and_the_rollups_without_it(engine: AsyncEngine) -> None:
    """Nothing decodes the ranking (400 entries, ~40 KiB of JSON, in a real unit) only to write it again."""
    region = new_region_id()
    entries = await given_a_rollup(engine, region)
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
        entry["employee_id"] for entry in entries
    ]
    assert [set(rollup) for rollup in found.rollups] == [
        {"period", "employees", "measured", "achievement_sum", "decided", "predicate_counts"}
    ]


async def test_a_dashboard_built_in_the_regions_zone_is_the_one_shown_in_it(engine: AsyncEngine) -> None:
    """Its satisfaction indices' updates put in the zone as it is built: the same answer, byte for
    byte, as the one built in UTC and shown in the zone by ``shown_in``."""
    region = new_region_id()
    await given_a_rollup(engine, region)
    for service, updated in (("", "2026-05-01 23:30:00.5+00"), ("akta", "2026-05-02 01:00:00+07")):
        await run_as(
            engine,
            region,
            "INSERT INTO unit_satisfaction (region_id, unit_id, period, service_id, satisfaction_index,"
            f" grade, respondents, sample_adequate, updated_at) VALUES (:r, 'u1', '{PERIOD}', '{service}',"
            f" 81.25, 'B', 40, true, TIMESTAMPTZ '{updated}')",
            region,
        )
    admin = Principal(subject="hr", region_id=region, roles=frozenset({Role.REGION_ADMIN}))
    jayapura = ZoneInfo("Asia/Jayapura")
    async with region_read(engine, region) as reader:
        in_utc = await unit_dashboard(session=reader, principal=admin, unit_id="u1", period=PERIOD, zone=UTC)
        built_in_zone = await unit_dashboard(
            session=reader, principal=admin, unit_id="u1", period=PERIOD, zone=jayapura
        )
    assert [entry.updated_at.utcoffset() for entry in built_in_zone[0].satisfaction] == [
        timedelta(hours=9)
    ] * 2
    assert with_ranking(*built_in_zone) == with_ranking(shown_in(in_utc[0], jayapura), in_utc[1])
