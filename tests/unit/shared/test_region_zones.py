"""The process's copy of each region's zone: requests that meet it expired wait for one look-up."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

from sqlalchemy import Column, MetaData, String, Table

from shared.region_zones import RegionZones

REGIONS = Table("regions", MetaData(), Column("region_id", String), Column("timezone", String))


class CountedReads:
    """A session factory whose sessions answer every statement with one zone name, counting reads."""

    def __init__(self, zone: str) -> None:
        self.zone = zone
        self.reads = 0

    def __call__(self) -> CountedReads:
        return self

    def begin(self) -> CountedReads:
        return self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    async def execute(self, *_: Any) -> None:
        await asyncio.sleep(0)

    async def scalar(self, *_: Any) -> str:
        self.reads += 1
        await asyncio.sleep(0.01)  # other requests arrive while the look-up runs
        return self.zone


async def test_requests_that_meet_an_expired_copy_together_read_the_zone_once() -> None:
    now = [0.0]
    sessions = CountedReads("Asia/Jayapura")
    zones = RegionZones(sessions, REGIONS, ttl_seconds=60, clock=lambda: now[0])  # type: ignore[arg-type]

    first = await asyncio.gather(*(zones.zone("r1") for _ in range(10)))
    now[0] = 61.0
    sessions.zone = "Asia/Makassar"
    after_expiry = await asyncio.gather(*(zones.zone("r1") for _ in range(10)))

    assert first == [ZoneInfo("Asia/Jayapura")] * 10
    assert after_expiry == [ZoneInfo("Asia/Makassar")] * 10
    assert sessions.reads == 2
