"""What a service's request handlers, event handlers and background work use: its one wired context.

Free of any web framework, so use cases and background work take it as it is; routes reach the
running application's context through ``shared.route_work.Context``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import TokenVerifier
from shared.db import ServiceTables, restrict_each_transaction
from shared.outbox import OutboxWriter
from shared.settings import ServiceSettings
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class ServiceContext:
    """Everything a request handler or an event handler of one service may use."""

    settings: ServiceSettings
    tables: ServiceTables
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    token_verifier: TokenVerifier
    extras: dict[str, Any] = field(default_factory=dict)
    #: What adapters holding long-lived work (the live feed's open streams) do when the process
    #: stops, before the HTTP server does: uvicorn waits for every response to end.
    stop_hooks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def adapter(self, name: str, build: Callable[[], T]) -> T:
        """The process's one ``name`` adapter (a store, a feed, a queue), built on first use."""
        if name not in self.extras:
            self.extras[name] = build()
        value: T = self.extras[name]
        return value

    @property
    def outbox(self) -> OutboxWriter:
        """The writer of this service's outbox (requests' units of work, event handlers, the intake)."""
        return OutboxWriter(self.tables.outbox, producer=self.settings.service_name)

    def unit_of_work(self, *, region_id: str | None, causation_id: str | None = None) -> UnitOfWork:
        """A unit of work on this service's database, restricted to one region."""
        return UnitOfWork(
            self.session_factory,
            outbox=self.outbox,
            audit_log=self.tables.audit_log,
            region_id=region_id,
            causation_id=causation_id,
        )

    async def run_stop_hooks(self) -> None:
        """End the long-lived work of the adapters (each hook once; a failing one is logged)."""
        hooks, self.stop_hooks = self.stop_hooks, []
        for hook in hooks:
            try:
                await hook()
            except Exception as exc:
                log.warning("stop hook failed", extra={"fields": {"error": repr(exc)[:200]}})

    @contextlib.asynccontextmanager
    async def read_session(self, region_id: str) -> AsyncIterator[AsyncSession]:
        """A session whose (auto-begun) transaction sees only one region, closed when the block ends."""
        async with self.session_factory() as session:
            restrict_each_transaction(session, region_id)
            yield session
