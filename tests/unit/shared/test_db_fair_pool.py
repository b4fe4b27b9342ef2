"""A service's pool hands a returned connection to the caller that has waited longest."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import pytest
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.util import greenlet_spawn

from shared.db_pool import FairPool, waiting_callers


class _Connection:
    """What the pool asks of a driver's connection on return and on close."""

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


def _pool(timeout: float = 5.0) -> FairPool:
    creator = cast(Callable[[], DBAPIConnection], _Connection)
    return FairPool(creator, pool_size=1, max_overflow=0, timeout=timeout, use_lifo=True)


async def test_a_caller_arriving_as_a_connection_returns_waits_behind_the_one_waiting() -> None:
    pool = _pool()
    held = await greenlet_spawn(pool.connect)
    taken: list[str] = []

    async def read(name: str) -> None:
        connection = await greenlet_spawn(pool.connect)
        taken.append(name)
        await asyncio.sleep(0.01)
        await greenlet_spawn(connection.close)

    waiting = asyncio.create_task(read("waiting"))
    await asyncio.sleep(0.01)
    assert waiting_callers(pool) == 1
    # A new caller, ready to run, asks as the connection comes back, before the woken waiter runs:
    # SQLAlchemy's queue let the newcomer take it and sent the waiter to the back of the line.
    newcomer = asyncio.create_task(read("newcomer"))
    await greenlet_spawn(held.close)
    await asyncio.gather(waiting, newcomer)
    assert taken == ["waiting", "newcomer"]
    assert pool.checkedin() == 1


async def test_a_connection_given_to_a_caller_cancelled_meanwhile_is_not_lost() -> None:
    pool = _pool()
    held = await greenlet_spawn(pool.connect)
    waiter: asyncio.Task[Any] = asyncio.create_task(greenlet_spawn(pool.connect))
    await asyncio.sleep(0.01)
    await greenlet_spawn(held.close)  # given to the waiter ...
    waiter.cancel()  # ... which is cancelled before it runs
    await asyncio.gather(waiter, return_exceptions=True)
    assert waiter.cancelled()
    assert pool.checkedin() == 1
    assert waiting_callers(pool) == 0
    again = await asyncio.wait_for(greenlet_spawn(pool.connect), timeout=1)
    await greenlet_spawn(again.close)


async def test_a_caller_that_waits_too_long_is_told_so_and_skipped() -> None:
    pool = _pool(timeout=0.05)
    held = await greenlet_spawn(pool.connect)
    with pytest.raises(SQLAlchemyTimeoutError, match="QueuePool limit"):  # as without the fair queue
        await greenlet_spawn(pool.connect)
    assert waiting_callers(pool) == 0
    await greenlet_spawn(held.close)
    assert pool.checkedin() == 1
