"""A service's pool: every connection opened at start, none beyond it under load, the last returned first."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from kinerja.services import definition
from shared.db import create_engine, open_pool

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
