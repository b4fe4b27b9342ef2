"""A service's pool: every connection opened at start, none beyond it under load, the last returned first."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from kinerja.services import definition
from shared.db import create_engine, create_session_factory, open_pool, sessions_of_their_own

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


async def test_sessions_of_their_own_keep_a_consumers_batches_on_one_connection_beside_the_pool() -> None:
    """A caller beside the batches now and then (the relay, a scrape's outbox count) put another of
    the pool's connections on top, and the next batch landed there: every connection a batch ever
    landed on kept its plans and freed heap. On sessions of their own, every batch runs on one
    server process, none of the pool's."""
    settings = definition("scoring").settings
    engine = create_engine(settings)
    pid = text("SELECT pg_backend_pid()")

    async def batches_beside_a_caller(sessions: async_sessionmaker[AsyncSession]) -> tuple[set[int], ...]:
        batch_processes, pool_processes = set(), set()
        for number in range(3 * settings.database_pool_size):
            async with sessions() as session, session.begin():
                batch_processes.add(await session.scalar(pid))
                if number % 3 == 0:  # a caller beside, returning its connection after the batch's
                    beside = await engine.connect()
                    pool_processes.add(await beside.scalar(pid))
            if number % 3 == 0:
                await beside.close()
        return batch_processes, pool_processes

    try:
        await open_pool(engine)
        on_the_pool, _ = await batches_beside_a_caller(create_session_factory(engine))
        assert len(on_the_pool) > 1
        async with sessions_of_their_own(settings) as sessions:
            batch_processes, pool_processes = await batches_beside_a_caller(sessions)
        assert len(batch_processes) == 1
        assert not batch_processes & pool_processes
    finally:
        await engine.dispose()


async def test_sessions_of_their_own_open_their_connection_with_the_first_session() -> None:
    """A database away when the consumer starts fails its first batch, which it retries; it must not
    fail the start, which would end the consumer and its process."""
    settings = definition("scoring").settings
    closed_port = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://kinerja@127.0.0.1:9/kinerja"}
    )
    async with sessions_of_their_own(closed_port) as sessions:
        with pytest.raises(ConnectionRefusedError):
            async with sessions() as session:
                await session.execute(text("SELECT 1"))
