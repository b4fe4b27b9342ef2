"""Scoring's dashboards on a connection the pool has just opened: no type introspection first."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import event

from services.scoring.service_layer.queries import dashboards, region_dashboards
from shared.auth import Principal, Role
from shared.region_reads import region_read
from tests.integration.scoring_events import Q1, YEAR, rater_assessment, reported, seeded
from tests.integration.test_region_isolation import engine_of

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("period", [Q1, str(YEAR)])
async def test_the_dashboards_need_no_type_introspection_on_a_new_connection(start_service, period) -> None:
    # asyncpg decodes only text[] and oid[] among arrays by itself: any other array type (varchar[],
    # date[]) made each new connection first ask the catalog how to decode it, with a recursive
    # query costing a fresh backend tens of milliseconds to plan, and three round trips. While the
    # pool opened and closed overflow connections under bursts, the region dashboard's reads queued
    # behind those look-ups (p90 of 104 ms at half its throughput). (The scorecard's rows come as
    # record[], which asyncpg looks up too: not yet avoided.)
    _, region = await seeded(start_service)
    r = region.id
    await region.apply(reported(r, "ani", "a1", "docs", 3), rater_assessment(r, "ani", "boss", 3))
    admin = Principal(subject="hr", region_id=r, roles=frozenset({Role.REGION_ADMIN}))
    engine = engine_of("scoring")
    queries: list[tuple[str, Any]] = []

    def log_queries(connection: Any, _record: Any) -> None:
        connection.driver_connection.add_query_logger(
            lambda logged: queries.append((logged.query, logged.args))
        )

    event.listen(engine.sync_engine, "connect", log_queries)
    try:
        async with region_read(engine, r) as reader:
            await dashboards.unit_dashboard(
                session=reader, principal=admin, unit_id="dukcapil", period=period, zone=UTC
            )
            await region_dashboards.region_dashboard(session=reader, principal=admin, period=period)
    finally:
        await engine.dispose()

    assert queries, "the query logger saw nothing"
    # The type ids a connection had to look up (the introspection's argument), if any.
    assert [arguments for query, arguments in queries if "typeinfo" in query] == []
