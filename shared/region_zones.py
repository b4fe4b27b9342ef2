"""Each region's time zone, as the service was told by planning, kept a minute in the process.

Every service keeps a read model of regions (planning's ``RegionRegistered``) with a ``timezone``
column, named to the runtime as ``ServiceTables.regions``. Answers show the platform's own times in
that zone (:mod:`shared.region_time`); a zone changes rarely, so one look-up a minute per region and
process serves every answer, the hot intake included.

A look-up never takes a connection of the service's pool: routes look the zone up while their
session or work holds one, and a look-up that waited for a second, with every pooled connection held
by requests waiting so, waited for the pool's 30 s timeout and answered 500. It reads through a side
connection of its own instead, one look-up at a time, which waits for nothing the requests hold. (A
route dependency resolved before the body would not need it, but would read the database for requests
refused for their body, which by design never touch it.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import create_engine, create_session_factory, restrict_to_region
from shared.region_time import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    from shared.context import ServiceContext


class RegionZones:
    """Region id -> its time zone, read from the database at most once per ``ttl_seconds``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        regions: Table,
        *,
        ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._regions = regions
        self._ttl = ttl_seconds
        self._clock = clock
        self._known: dict[str, tuple[ZoneInfo, float]] = {}
        self._reading = asyncio.Lock()

    async def zone(self, region_id: str) -> ZoneInfo:
        """The region's zone (the platform default until planning's event has arrived)."""
        known = self._known.get(region_id)
        if known is not None and known[1] > self._clock():
            return known[0]
        async with self._reading:
            # Requests that met the same expired copy wait here for the one look-up, not each for one.
            known = self._known.get(region_id)
            if known is not None and known[1] > self._clock():
                return known[0]
            return await self._read(region_id)

    async def _read(self, region_id: str) -> ZoneInfo:
        async with self._sessions() as session, session.begin():
            await restrict_to_region(session, region_id)
            name = await session.scalar(
                select(self._regions.c.timezone).where(self._regions.c.region_id == region_id)
            )
        zone = ZoneInfo(name or DEFAULT_TIMEZONE)
        self._known[region_id] = (zone, self._clock() + self._ttl)
        return zone


async def region_zone(context: ServiceContext, region_id: str) -> ZoneInfo:
    """The region's zone through the process's one cache of the service's regions read model."""
    regions = context.tables.regions
    if regions is None:
        raise RuntimeError(
            f"{context.settings.service_name} names no regions read model (ServiceTables.regions)"
        )

    def build() -> RegionZones:
        engine = create_engine(context.settings, side_connection=True)
        context.stop_hooks.append(engine.dispose)
        return RegionZones(create_session_factory(engine), regions)

    return await context.adapter("region_zones", build).zone(region_id)
