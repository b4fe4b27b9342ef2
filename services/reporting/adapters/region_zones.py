"""Each region's time zone, from the regions read model, kept a minute in the process.

Reporting shows the times it computes (submitted, reviewed, uploaded, logged) in the region's zone,
as every service does; a zone changes rarely, so one look-up a minute per region and process serves
every answer, the hot intake included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.adapters.tables import regions
from shared.db import restrict_to_region

#: The platform's default zone (WIB) until planning has told this service the region's own.
DEFAULT_TIMEZONE = "Asia/Jakarta"


class RegionZones:
    """Region id -> its time zone, read from the database at most once per ``ttl_seconds``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl_seconds
        self._clock = clock
        self._known: dict[str, tuple[ZoneInfo, float]] = {}

    async def zone(self, region_id: str) -> ZoneInfo:
        """The region's zone (the default until planning's event has arrived)."""
        known = self._known.get(region_id)
        if known is not None and known[1] > self._clock():
            return known[0]
        async with self._sessions() as session, session.begin():
            await restrict_to_region(session, region_id)
            name = await session.scalar(select(regions.c.timezone).where(regions.c.region_id == region_id))
        zone = ZoneInfo(name or DEFAULT_TIMEZONE)
        self._known[region_id] = (zone, self._clock() + self._ttl)
        return zone
