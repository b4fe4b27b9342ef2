"""What PostgreSQL resolves by failing a statement reaches the caller as a clear answer, not a 500:
a unique key taken at the same moment is a 409, a deadlock or serialization failure a 503 to retry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.guarded_route import GuardedRoute
from shared.http import create_app
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(infrastructure: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app with the platform's error handlers, whose routes make real PostgreSQL raise."""
    engine = create_async_engine(ServiceSettings().migration_database_url)
    router = APIRouter(route_class=GuardedRoute)

    @router.post("/raise/{condition}")
    async def raise_condition(condition: str) -> dict[str, str]:
        async with engine.begin() as connection:
            # The condition name comes from this test's own paths, never from outside.
            await connection.execute(
                text(f"DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '{condition}'; END $$")
            )
        return {"status": "not raised"}

    @router.post("/duplicate")
    async def duplicate() -> dict[str, str]:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TEMPORARY TABLE taken (id int PRIMARY KEY) ON COMMIT DROP"))
            await connection.execute(text("INSERT INTO taken VALUES (1)"))
            await connection.execute(text("INSERT INTO taken VALUES (1)"))
        return {"status": "not raised"}

    app = create_app(title="t", description="t", routers=[router], readiness_checks={})
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await engine.dispose()


async def test_a_unique_key_taken_meanwhile_is_a_409_saying_so(client: httpx.AsyncClient) -> None:
    response = await client.post("/duplicate")
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "already_exists"
    assert response.json()["error"]["message_id"]  # Indonesian too


@pytest.mark.parametrize("condition", ["deadlock_detected", "serialization_failure"])
async def test_a_conflict_postgresql_resolved_by_failing_us_is_a_503_to_retry(
    client: httpx.AsyncClient, condition: str
) -> None:
    response = await client.post(f"/raise/{condition}")
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "concurrent_update"
    assert response.headers["retry-after"] == "1"


async def test_any_other_database_fault_stays_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/raise/undefined_table")
    assert response.status_code == 500
