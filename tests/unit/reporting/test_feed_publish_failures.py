"""A live feed append that Redis refuses or does not answer in time is counted and logged, never
raised (the activities are committed), and the next flush is sent as usual."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import REGISTRY
from redis.exceptions import ConnectionError as RedisConnectionError

from services.reporting.adapters import live_feed
from services.reporting.adapters.live_feed import LiveFeed, TeamNotices


class Redis:
    """Answers the feed's appends as the test says: hanging, refusing, or appending."""

    def __init__(self) -> None:
        self.appends = 0
        self.answer: str = "appended"

    async def evalsha(self, *args: Any) -> int:
        return await self.eval(*args)

    async def eval(self, *args: Any) -> int:
        self.appends += 1
        if self.answer == "hang":
            await asyncio.Event().wait()
        if self.answer == "refuse":
            raise RedisConnectionError("Redis is down")
        return 1


def _counted(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def _notices(count: int) -> list[TeamNotices]:
    return [TeamNotices("r-1", "rater-1", "activity.submitted", [b'{"n":%d}' % n for n in range(count)])]


@pytest.mark.parametrize("answer", ["hang", "refuse"])
async def test_a_failed_append_is_counted_not_raised_and_the_next_one_is_sent(
    answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_feed, "PUBLISH_TIMEOUT_SECONDS", 0.01)
    redis = Redis()
    feed = LiveFeed(redis)  # type: ignore[arg-type]
    failed = _counted("kinerja_reporting_feed_publish_failures_total")
    published = _counted("kinerja_reporting_feed_messages_total")

    redis.answer = answer
    await feed.publish(_notices(3))
    await asyncio.wait_for(feed.flush(), 1)
    assert _counted("kinerja_reporting_feed_publish_failures_total") - failed == 3
    assert _counted("kinerja_reporting_feed_messages_total") == published

    redis.answer = "appended"
    await feed.publish(_notices(2))
    await asyncio.wait_for(feed.flush(), 1)
    assert redis.appends == 2
    assert _counted("kinerja_reporting_feed_messages_total") - published == 2
    assert _counted("kinerja_reporting_feed_publish_failures_total") - failed == 3
