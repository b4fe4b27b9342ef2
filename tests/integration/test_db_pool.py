"""A service's pool: every connection opened at start, none opened beyond it under load."""

from __future__ import annotations

import asyncio

import pytest
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
