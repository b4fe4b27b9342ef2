"""The services' connection pools: callers served in the order they asked, and their gauges on /metrics."""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, QueuePool
from sqlalchemy.util.concurrency import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

#: Connections a pool may open beyond its size while busy: none. Each would be a server process
#: started for one use and ended when returned to a full pool (70 in a 3-minute soak), and
#: PostgreSQL's memory would step up and down with the load; a busy caller waits for a connection.
MAX_OVERFLOW = 0

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def watch_pool(engine: AsyncEngine) -> None:
    """Export this engine's pool (the process's pools are added up: a service has one)."""
    _engines.add(engine.sync_engine)


class FairQueue(AsyncAdaptedQueue[ConnectionPoolEntry]):
    """The pool's idle connections, a returned one handed straight to the caller waiting longest.

    SQLAlchemy's asyncio queue puts a returned connection back and wakes the first waiter, but a
    caller that runs before the woken waiter takes it (``get`` tries ``get_nowait`` first), and the
    waiter, finding none, queues again behind everyone: under a burst on a small pool a read was
    passed over again and again (scoring's region dashboard at 250/s on 4 connections: waits of
    up to 1.0-1.4 s, at most 17-24 ms with this queue; bench/README.md, session 23).
    Here nobody takes a connection while anyone waits.
    """

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        #: Callers waiting, first come first: each is given its connection by ``put_nowait``.
        self.waiters: deque[asyncio.Future[ConnectionPoolEntry]] = deque()

    def put_nowait(self, item: ConnectionPoolEntry) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():  # not given up (timed out, cancelled)
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def get(self, block: bool = True, timeout: float | None = None) -> ConnectionPoolEntry:
        # Idle connections exist only while nobody waits (a return goes to a waiter first).
        if not block or not self.empty():
            return self.get_nowait()
        return await_(self._given(timeout))

    async def _given(self, timeout: float | None) -> ConnectionPoolEntry:
        waiter: asyncio.Future[ConnectionPoolEntry] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # Given a connection, then timed out or cancelled before it could take it on.
                self.put_nowait(waiter.result())
            else:
                waiter.cancel()  # the next return skips it
            if isinstance(exc, TimeoutError):
                raise Empty() from exc  # as SQLAlchemy's queue says it: the pool raises its timeout
            raise


class FairPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool with ``FairQueue``: callers served in the order they asked."""

    _queue_class = FairQueue


def waiting_callers(pool: QueuePool) -> int:
    """Callers waiting for a connection of an asyncio pool (``FairQueue``'s waiters)."""
    waiters = getattr(getattr(pool, "_pool", None), "waiters", ())
    return sum(1 for waiter in waiters if not waiter.done())


class PoolCollector(Collector):
    """``kinerja_db_pool_connections{state}``, ``kinerja_db_pool_max_connections``, ``..._waiting``."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        in_use = idle = capacity = waiting = 0
        for engine in list(_engines):
            pool = engine.pool  # read each time: dispose() replaces it
            if not isinstance(pool, QueuePool):
                continue
            in_use += pool.checkedout()
            idle += pool.checkedin()
            capacity += pool.size() + MAX_OVERFLOW
            waiting += waiting_callers(pool)
        connections = GaugeMetricFamily(
            "kinerja_db_pool_connections", "Database connections of the pool, by state", labels=["state"]
        )
        connections.add_metric(["in_use"], in_use)
        connections.add_metric(["idle"], idle)
        yield connections
        yield GaugeMetricFamily(
            "kinerja_db_pool_max_connections", "Connections the pool may open (size plus overflow)", capacity
        )
        yield GaugeMetricFamily(
            "kinerja_db_pool_waiting", "Callers waiting for a connection (the pool is exhausted)", waiting
        )


REGISTRY.register(PoolCollector())
