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
    """Two tables of a few hundred rows, never analyzed, and an engine of their owner."""
    engine = create_async_engine(ServiceSettings().migration_database_url)
    suffix = time.monotonic_ns()
    tables = (f"analyzed_first_{suffix}", f"analyzed_second_{suffix}")
    async with engine.begin() as connection:
        for table in tables:
            # Autovacuum (a 10 s naptime here) would analyze them, or hold their lock while we do.
            await connection.execute(
                text(f"CREATE TABLE {table} (id int PRIMARY KEY) WITH (autovacuum_enabled = off)")
            )
            await connection.execute(text(f"INSERT INTO {table} SELECT generate_series(1, {ROWS})"))
    try:
        yield engine, tables
    finally:
        async with engine.begin() as connection:
            for table in tables:
                await connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await engine.dispose()


@pytest.fixture
async def two_writers(
    two_tables: tuple[AsyncEngine, tuple[str, str]],
) -> AsyncIterator[tuple[AsyncSession, AsyncSession, tuple[str, str]]]:
    """Two open transactions on the tables, the first holding the first table's lock (analyzed)."""
    engine, tables = two_tables
    async with AsyncSession(engine) as one, AsyncSession(engine) as other, one.begin(), other.begin():
        await analyze_import(one, IMPORT_SIZE, tables[:1])
        yield one, other, tables


async def analyzed(session: AsyncSession, tables: tuple[str, ...]) -> set[str]:
    """The tables with statistics this transaction sees: pg_statistic is transactional, so a
    transaction sees its own ANALYZE's rows and not another's until that one commits."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT starelid::regclass::text FROM pg_statistic"
            " WHERE starelid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": list(tables)},
    )
    return set(rows.scalars())


async def test_two_writers_analyzing_in_opposite_orders_neither_waits(
    two_writers: tuple[AsyncSession, AsyncSession, tuple[str, str]],
) -> None:
    one, other, (first, second) = two_writers
    # Each holds one table's lock, then asks for the other's: the deadlock, had either waited.
    await analyze_import(other, IMPORT_SIZE, (second,))
    outcomes = await asyncio.gather(
        analyze_import(one, IMPORT_SIZE, (second,)),
        analyze_import(other, IMPORT_SIZE, (first,)),
        return_exceptions=True,
    )
    assert not any(outcomes), outcomes  # no deadlock failed either
    # Neither waited: a wait here could only end in the deadlock (neither commits before both
    # return), and each skipped the other's table rather than analyzing it.
    assert await analyzed(one, (first, second)) == {first}
    assert await analyzed(other, (first, second)) == {second}


async def test_a_table_another_transaction_analyzes_is_skipped_without_waiting(
    two_writers: tuple[AsyncSession, AsyncSession, tuple[str, str]],
) -> None:
    _, other, (first, second) = two_writers
    # The first stays open holding its lock: a wait for it would last until lock_timeout, which
    # only ends a wait (a statement that never waits cannot reach it, however slow the machine).
    await other.execute(text("SET LOCAL lock_timeout = '5s'"))
    await analyze_import(other, IMPORT_SIZE, (first, second))
    assert await analyzed(other, (first, second)) == {second}
    waits = await other.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
            " AND relation = CAST(:table AS regclass)"
        ),
        {"table": first},
    )
    assert waits.scalar_one() == 0  # it neither holds nor awaits the table the first analyzes
