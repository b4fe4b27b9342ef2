"""A database restart drops pooled connections: the next use answers 503 (send again), never a 500,
and the one after that works on a fresh connection. The intake writes its group again by itself."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.reporting.entrypoints import schemas as batch_schemas
from shared.settings import ServiceSettings
from tests.conftest import auth, new_region_id
from tests.integration.scoring_events import Q1, seeded
from tests.integration.test_reporting_support import activity, seed_team, submit

pytestmark = pytest.mark.integration


async def _drop_connections_of(application_name: str) -> int:
    """What a database restart does to a service's pool: every connection of it is terminated."""
    admin = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with admin.connect() as connection:
            dropped = await connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": application_name},
            )
            return int(dropped.scalar_one())
    finally:
        await admin.dispose()


async def test_a_dropped_connection_is_a_503_once_then_replaced(start_service, make_token):
    planning = await start_service("planning")
    admin = auth(make_token("region_admin", region=new_region_id()))
    assert (await planning.client.get("/v1/units", headers=admin)).status_code == 200
    assert await _drop_connections_of("planning") >= 1

    first = await planning.client.get("/v1/units", headers=admin)
    again = await planning.client.get("/v1/units", headers=admin)

    assert first.status_code == 503, first.text
    assert first.json()["error"]["code"] == "database_reconnecting"
    assert first.headers["retry-after"] == "1"
    assert again.status_code == 200


async def test_the_intake_writes_again_on_a_fresh_connection(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]
    assert (await submit(reporting, staff, activity(staff))).status_code == 201
    assert await _drop_connections_of("reporting") >= 1

    response = await submit(reporting, staff, activity(staff))

    assert response.status_code == 201, response.text


async def test_the_intake_hands_its_connection_back_whatever_became_of_the_group(
    start_service, make_token, monkeypatch
):
    # A value validation lets through and PostgreSQL refuses: a NUL, its check skipped (validation
    # refuses it now, at its field).
    monkeypatch.setattr(batch_schemas, "_MAY_HOLD_NUL", b"\\u0000 never sent")
    reporting = await start_service("reporting")
    pool = reporting.context.engine.pool
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]

    committed = await submit(reporting, staff, activity(staff))
    assert committed.status_code == 201, committed.text
    assert pool.checkedout() == 0
    # PostgreSQL refuses the NUL and the group is rolled back.
    refused = await submit(reporting, staff, activity(staff, description="Menerbitkan\u0000KTP"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "unstorable_value"
    assert pool.checkedout() == 0
    assert await _drop_connections_of("reporting") >= 1
    rewritten = await submit(reporting, staff, activity(staff))
    assert rewritten.status_code == 201, rewritten.text
    assert pool.checkedout() == 0


async def test_a_dropped_connection_under_scorings_hot_reads_is_a_503_once_then_replaced(
    start_service, make_token
):
    # The scorecard and the dashboards read on the driver's connection (shared/region_reads.py),
    # not through SQLAlchemy's session, which is what noticed a dropped connection elsewhere.
    service, region = await seeded(start_service)
    admin = auth(make_token("region_admin", region=region.id))
    path, params = "/v1/units/dukcapil/dashboard", {"period": Q1}
    assert (await service.client.get(path, params=params, headers=admin)).status_code == 200
    assert await _drop_connections_of("scoring") >= 1

    answers = [await service.client.get(path, params=params, headers=admin) for _ in range(8)]

    # Each dropped connection in the pool answers one 503 as it is found and replaced (these reads
    # bypass SQLAlchemy, which would replace the whole pool at the first); never a 500.
    statuses = [response.status_code for response in answers]
    assert statuses[0] == 503, answers[0].text
    assert {response.json()["error"]["code"] for response in answers if response.status_code == 503} == {
        "database_reconnecting"
    }
    replaced = statuses.index(200)
    assert statuses[replaced:] == [200] * (len(statuses) - replaced), statuses
