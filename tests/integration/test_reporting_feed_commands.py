"""The live feed's notices of several requests committing within a few milliseconds of each other reach
Redis in one command: a command costs reporting about 60 µs of CPU whatever it carries. The command
names the script by its digest; a Redis that lost it (restarted) is sent it again."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest

from services.reporting.adapters.live_feed import LiveFeed, TeamNotices, team_channel
from services.reporting.entrypoints.dependencies import live_feed
from tests.conftest import new_region_id

pytestmark = pytest.mark.integration


async def _evals(reporting: Any) -> int:
    """The scripts Redis was asked to run, by their text or by their digest."""
    stats: dict[str, Any] = await reporting.context.redis.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("eval", "evalsha"))


def _notice(region: str, rater: str, n: int) -> TeamNotices:
    return TeamNotices(region, rater, "activity.submitted", [orjson.dumps({"n": n})])


async def test_notices_of_requests_published_moments_apart_share_one_command(start_service: Any) -> None:
    reporting = await start_service("reporting")
    feed: LiveFeed = live_feed(reporting.context)
    region, raters = new_region_id(), [str(uuid.uuid4()) for _ in range(3)]
    await feed.publish([_notice(region, str(uuid.uuid4()), 0)])  # Redis knows the script from here
    await feed.flush()
    before = await _evals(reporting)
    for n in range(6):  # six requests, each answered in a later turn of the event loop
        await feed.publish([_notice(region, raters[n % 3], n)])
        await asyncio.sleep(0)
    await feed.flush()
    assert await _evals(reporting) - before == 1
    for rater in raters:
        assert await reporting.context.redis.xlen(team_channel(region, rater)) == 2


async def test_a_redis_that_lost_the_script_gets_the_notices_and_keeps_it(start_service: Any) -> None:
    reporting = await start_service("reporting")
    feed: LiveFeed = live_feed(reporting.context)
    region, rater = new_region_id(), str(uuid.uuid4())
    await reporting.context.redis.script_flush()  # as a restarted Redis
    await feed.publish([_notice(region, rater, 0)])
    await feed.flush()
    assert await reporting.context.redis.xlen(team_channel(region, rater)) == 1
    before = await _evals(reporting)
    await feed.publish([_notice(region, rater, 1)])
    await feed.flush()
    assert await _evals(reporting) - before == 1
    assert await reporting.context.redis.xlen(team_channel(region, rater)) == 2
