"""Scoring's hot reads each in one round trip, by a function that restricts itself to the region."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import event, text

from services.scoring.service_layer.queries import dashboards, region_dashboards, scorecards
from shared.auth import Principal, Role
from shared.contracts.planning import UnitUpserted
from shared.region_reads import region_read
from tests.integration.scoring_events import Q1, YEAR, Region, rater_assessment, reported, seeded
from tests.integration.test_region_isolation import engine_of

pytestmark = pytest.mark.integration

SETTING = "SELECT current_setting('app.region_id', true)"


def logged_queries(engine: Any) -> list[str]:
    """The queries the engine's connections send from now on, in order."""
    queries: list[str] = []

    def log_queries(connection: Any, _record: Any) -> None:
        connection.driver_connection.add_query_logger(lambda logged: queries.append(logged.query))

    event.listen(engine.sync_engine, "connect", log_queries)
    return queries


async def test_an_overseers_dashboards_are_one_round_trip_each(start_service) -> None:
    # BEGIN with the region, the statement and ROLLBACK were three round trips a read (about 90 µs of
    # the service's and the database's CPU): the functions set the region for their own statement.
    _, region = await seeded(start_service)
    r = region.id
    await region.apply(reported(r, "ani", "a1", "docs", 3), rater_assessment(r, "ani", "boss", 3))
    admin = Principal(subject="hr", region_id=r, roles=frozenset({Role.REGION_ADMIN}))
    engine = engine_of("scoring")
    queries = logged_queries(engine)
    try:
        async with region_read(engine, r) as reader:
            figures, _ = await dashboards.unit_dashboard(
                session=reader, principal=admin, unit_id="dukcapil", period=Q1, zone=UTC
            )
        async with region_read(engine, r) as reader:
            dashboard = await region_dashboards.region_dashboard(session=reader, principal=admin, period=Q1)
        async with engine.connect() as connection:
            # Nothing is left on the pooled connection: neither the region nor a transaction.
            assert (await connection.execute(text(SETTING))).scalar() in ("", None)
    finally:
        await engine.dispose()

    assert figures.unit_id == "dukcapil"
    assert [unit.unit_id for unit in dashboard.units] == ["dukcapil"]
    assert [query.split("(")[0] for query in queries[:2]] == [
        "SELECT * FROM unit_dashboard_read",
        "SELECT * FROM region_dashboard_read",
    ]


async def test_a_raters_dashboard_reads_their_unit_in_the_regions_transaction(start_service) -> None:
    _, region = await seeded(start_service)
    r = region.id
    await region.apply(reported(r, "ani", "a1", "docs", 3))
    rater = Principal(subject="boss", region_id=r, roles=frozenset({Role.RATER}), employee_id="boss")
    engine = engine_of("scoring")
    queries = logged_queries(engine)
    try:
        async with region_read(engine, r) as reader:
            figures, ranking = await dashboards.unit_dashboard(
                session=reader, principal=rater, unit_id="dukcapil", period=Q1, zone=UTC
            )
    finally:
        await engine.dispose()
    assert figures.unit_id == "dukcapil"
    assert b'"employee_id":"ani"' in ranking
    assert queries[0].startswith("SELECT * FROM unit_dashboard_read")
    assert queries[1].startswith("BEGIN READ ONLY; SET LOCAL app.region_id")
    assert queries[-1] == "ROLLBACK"


async def test_a_dashboard_function_reads_the_readers_region_only(start_service) -> None:
    """Given another region's id, the call still reads the reader's: the reader sets its own."""
    service, mine = await seeded(start_service)
    theirs = Region(service)
    await theirs.apply(
        UnitUpserted(region_id=theirs.id, unit_id="theirs", code="theirs", name="Theirs", kind="opd")
    )
    engine = engine_of("scoring")
    try:
        async with region_read(engine, mine.id) as reader:
            found = (
                await reader.execute(
                    region_dashboards._REGION_DASHBOARD,
                    {
                        "region_id": theirs.id,
                        "period": Q1,
                        "year_keys": dashboards.keys_of_year(int(Q1[:4])),
                        "year_pattern": f"{Q1[:4]}%",
                        "whole_unit": "",
                    },
                )
            ).one()
        async with engine.connect() as connection:
            run_as = {
                name: await connection.scalar(
                    text("SELECT prosecdef FROM pg_proc WHERE proname = :name"), {"name": name}
                )
                for name in ("unit_dashboard_read", "region_dashboard_read")
            }
    finally:
        await engine.dispose()
    # Only the reader's region's units: its seeded one, not the other region's.
    assert [unit[0] for unit in found.units] == ["dukcapil"]
    # Both run as their caller, so row-level security restricts them (never SECURITY DEFINER).
    assert run_as == {"unit_dashboard_read": False, "region_dashboard_read": False}


async def scorecard_statements(start_service, readers_in: Callable[[str], list[Principal]]) -> list[str]:
    """The statements each reader (of the seeded region) sent for ani's scorecards, a quarter then
    the year, in order."""
    _, region = await seeded(start_service)
    r = region.id
    await region.apply(reported(r, "ani", "a1", "docs", 3))
    engine = engine_of("scoring")
    queries = logged_queries(engine)
    try:
        for reader_principal in readers_in(r):
            for period in (Q1, str(YEAR)):
                async with region_read(engine, r) as reader:
                    card = await scorecards.scorecard(
                        session=reader, principal=reader_principal, employee_id="ani", period=period, zone=UTC
                    )
                assert card.figures.activity_count == 1
    finally:
        await engine.dispose()
    # Apart from asyncpg's look-up of the indicators' type, once a new connection (jit off around it).
    return [query.split("(")[0] for query in queries if "jit" not in query and "typeinfo" not in query]


async def test_a_scorecard_of_a_period_or_a_year_is_one_round_trip(start_service) -> None:
    def employee(r: str) -> list[Principal]:
        return [Principal(subject="ani", region_id=r, roles=frozenset({Role.EMPLOYEE}), employee_id="ani")]

    assert await scorecard_statements(start_service, employee) == [
        "SELECT * FROM scorecard_read",
        "SELECT * FROM scorecard_of_year_read",
    ]


async def test_a_scorecard_looks_the_team_supervisor_up_for_a_rater_reading_anothers_only(
    start_service,
) -> None:
    raters = frozenset({Role.EMPLOYEE, Role.RATER})

    def readers(r: str) -> list[Principal]:
        return [
            Principal(subject="ani", region_id=r, roles=raters, employee_id="ani"),
            Principal(subject="hr", region_id=r, roles=frozenset({Role.REGION_ADMIN})),
            Principal(subject="boss", region_id=r, roles=raters, employee_id="boss"),
        ]

    # The employee (a rater too) and the administrator without it; ani's rater through it.
    assert await scorecard_statements(start_service, readers) == [
        "SELECT * FROM scorecard_read",
        "SELECT * FROM scorecard_of_year_read",
    ] * 2 + ["SELECT * FROM scorecard_team_read", "SELECT * FROM scorecard_team_of_year_read"]
