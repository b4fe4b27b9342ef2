"""An import's ANALYZE never waits for another transaction, so two writers cannot deadlock on it.

``analyze_import`` analyzes in the writer's transaction, and ANALYZE keeps each table's
ShareUpdateExclusiveLock until the commit: two replicas of scoring's consumer analyzing the same
tables in opposite orders each waited for the other's until PostgreSQL failed one with a deadlock
(session 28's review).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from shared.db import IMPORT_SIZE, analyze_import
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

#: Rows of each table: an import's.
ROWS = 3 * IMPORT_SIZE


@pytest.fixture
async def two_tables(infrastructure: object) -> AsyncIterator[tuple[AsyncEngine, tuple[str, str]]]:
    """Two tables of a few hundred rows, and an engine of their owner."""
    engine = create_async_engine(ServiceSettings().migration_database_url)
    suffix = time.monotonic_ns()
    tables = (f"analyzed_first_{suffix}", f"analyzed_second_{suffix}")
    async with engine.begin() as connection:
        for table in tables:
            await connection.execute(text(f"CREATE TABLE {table} (id int PRIMARY KEY)"))
            await connection.execute(text(f"INSERT INTO {table} SELECT generate_series(1, {ROWS})"))
    try:
        yield engine, tables
    finally:
        async with engine.begin() as connection:
            for table in tables:
                await connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await engine.dispose()


async def test_two_writers_analyzing_in_opposite_orders_neither_waits(
    two_tables: tuple[AsyncEngine, tuple[str, str]],
) -> None:
    engine, (first, second) = two_tables
    async with AsyncSession(engine) as one, AsyncSession(engine) as other, one.begin(), other.begin():
        # Each holds one table's lock, then asks for the other's: the deadlock, had either waited.
        await analyze_import(one, IMPORT_SIZE, (first,))
        await analyze_import(other, IMPORT_SIZE, (second,))
        started = time.monotonic()
        outcomes = await asyncio.gather(
            analyze_import(one, IMPORT_SIZE, (second,)),
            analyze_import(other, IMPORT_SIZE, (first,)),
            return_exceptions=True,
        )
        waited = time.monotonic() - started
    assert not any(outcomes), outcomes  # no deadlock failed either
    # Below the server's deadlock_timeout (1 s), after which it looks for the cycle and fails one.
    assert waited < 0.5
