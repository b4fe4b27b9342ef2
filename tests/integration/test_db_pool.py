"""A service's pool: every connection opened at start, none beyond it under load, the last returned first;
asyncpg's type introspection not kept prepared."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asyncpg import introspection
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from kinerja.services import definition
from services.reporting.adapters.intake_store import _insert_activities_and_events
from shared.db import DRIVER_CACHED_STATEMENT_LIMIT, create_engine, open_pool

pytestmark = pytest.mark.usefixtures("infrastructure")


async def test_the_pool_opens_its_connections_at_start_and_no_more() -> None:
    settings = definition("reporting").settings
    engine = create_engine(settings)
    try:
        await open_pool(engine)
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedin() == settings.database_pool_size
        held = [await engine.connect() for _ in range(settings.database_pool_size)]
        with pytest.raises(TimeoutError):  # a busy caller waits for one: no overflow connection
            await asyncio.wait_for(engine.connect(), timeout=0.5)
        for connection in held:
            await connection.close()
    finally:
        await engine.dispose()


async def test_one_caller_at_a_time_is_given_the_same_connection() -> None:
    """Work done one unit at a time (a consumer's batches) stays on one server process, so the
    pool's other processes keep neither its caches nor the memory its batches freed."""
    settings = definition("scoring").settings
    engine = create_engine(settings)
    try:
        await open_pool(engine)
        server_processes = set()
        for _ in range(3 * settings.database_pool_size):
            async with engine.connect() as connection:
                server_processes.add(await connection.scalar(text("SELECT pg_backend_pid()")))
        assert len(server_processes) == 1
    finally:
        await engine.dispose()


async def test_the_drivers_type_introspection_is_not_kept_prepared() -> None:
    """asyncpg asks the catalog how to decode a type it does not know (here ``varchar[]``) by a
    recursive query; kept prepared, its plan (670 KB with its source) stayed in every server process
    that had run it. The connection's own statements stay prepared."""
    engine = create_engine(definition("reporting").settings)
    try:
        async with engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            assert await driver.fetchval("SELECT $1::varchar[]", ["a", "b"]) == ["a", "b"]
            prepared = [
                statement
                for (statement,) in await driver.fetch("SELECT statement FROM pg_prepared_statements")
            ]
    finally:
        await engine.dispose()
    assert "SELECT $1::varchar[]" in prepared
    assert not [statement for statement in prepared if "typeinfo" in statement]


def test_the_intakes_statement_stays_prepared_and_the_introspection_does_not() -> None:
    intake = _insert_activities_and_events("outbox")  # the services' longest statement on the driver
    introspections = (introspection.INTRO_LOOKUP_TYPES, introspection.INTRO_LOOKUP_TYPES_13)
    assert len(intake) < DRIVER_CACHED_STATEMENT_LIMIT < min(map(len, introspections))
