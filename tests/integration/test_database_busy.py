"""Every pooled connection busy for longer than the pool's wait: a 503 saying "send again" with
Retry-After, never a 500 after half a minute, and nothing half-written; the resend then works."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.conftest import auth, new_region_id
from tests.integration.scoring_events import Q1, seeded
from tests.integration.test_reporting_support import activity, seed_team, submit

pytestmark = pytest.mark.integration

POOL_SIZE = 2


@pytest.fixture(autouse=True)
def small_pool_short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Services started by the test have two connections and wait half a second for one."""
    monkeypatch.setenv("KINERJA_DATABASE_POOL_SIZE", str(POOL_SIZE))
    monkeypatch.setenv("KINERJA_DATABASE_POOL_TIMEOUT_SECONDS", "0.5")


@asynccontextmanager
async def every_connection_held(engine: AsyncEngine) -> AsyncIterator[None]:
    """What a burst of slow requests does to the pool: every connection checked out meanwhile."""
    held: list[AsyncConnection] = [await engine.connect() for _ in range(POOL_SIZE)]
    try:
        yield
    finally:
        for connection in held:
            await connection.close()


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "database_busy"
    assert "again" in error["message"]
    assert "lagi" in error["message_id"]
    assert response.headers["retry-after"] == "1"


async def test_a_read_while_every_connection_is_busy_is_a_503_then_works(start_service, make_token):
    planning = await start_service("planning")
    admin = auth(make_token("region_admin", region=new_region_id()))

    async with every_connection_held(planning.context.engine):
        busy = await planning.client.get("/v1/units", headers=admin)
    again = await planning.client.get("/v1/units", headers=admin)

    assert_busy(busy)
    assert again.status_code == 200, again.text


async def test_a_hot_read_while_every_connection_is_busy_is_a_503(start_service, make_token):
    # The dashboards take the pool's connection themselves (shared/region_reads.py).
    service, region = await seeded(start_service)
    admin = auth(make_token("region_admin", region=region.id))
    path, params = "/v1/units/dukcapil/dashboard", {"period": Q1}

    async with every_connection_held(service.context.engine):
        busy = await service.client.get(path, params=params, headers=admin)
    again = await service.client.get(path, params=params, headers=admin)

    assert_busy(busy)
    assert again.status_code == 200, again.text


async def test_a_submission_refused_as_busy_is_not_stored_and_its_resend_is(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id())
    staff = team.members[0]
    report = activity(staff)

    async with every_connection_held(reporting.context.engine):
        busy = await submit(reporting, staff, report)
    resent = await submit(reporting, staff, report)

    assert_busy(busy)
    assert resent.status_code == 201, resent.text  # created now: the refused one left nothing
    assert reporting.context.engine.pool.checkedout() == 0
