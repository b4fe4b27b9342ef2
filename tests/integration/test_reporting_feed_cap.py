"""The live feed's streams in Redis are capped in notices: a batch sync does not make a team's stream
hold more, and resuming inside a flush, or inside an entry written before, misses nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from services.reporting.adapters.feed_hub import TeamSubscription
from services.reporting.adapters.live_feed import (
    FEED_EVENT_ID,
    FEED_KEPT,
    LiveFeed,
    TeamNotices,
    team_channel,
)
from services.reporting.entrypoints.dependencies import live_feed
from tests.conftest import new_region_id

pytestmark = pytest.mark.integration

#: Redis trims whole nodes (at most 100 entries each by default): a stream holds up to a node more.
TRIM_SLACK = 100


@pytest.fixture
async def reporting(start_service) -> Any:
    return await start_service("reporting")


@pytest.fixture
def feed(reporting: Any) -> LiveFeed:
    return live_feed(reporting.context)


def notices(region: str, rater: str, count: int) -> list[TeamNotices]:
    """``count`` notices to the team, one a ``TeamNotices`` (as reviews send them)."""
    return [TeamNotices(region, rater, "submitted", [orjson.dumps({"n": n})]) for n in range(count)]


async def received(subscription: TeamSubscription, count: int) -> list[tuple[str, Any]]:
    """The next ``count`` notices of an open subscription, as (event id, body)."""
    found: list[tuple[str, Any]] = []
    stream: AsyncIterator[tuple[str, bytes] | None] = subscription.messages(heartbeat_seconds=5)
    try:
        async for message in stream:
            assert message is not None, "nothing arrived within the keep-alive"
            found.append(message)
            if len(found) == count:
                return found
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
        await subscription.close()
    raise AssertionError("the stream ended early")


async def test_a_batch_sync_larger_than_the_cap_leaves_about_the_cap_in_the_stream(
    reporting: Any, feed: LiveFeed
) -> None:
    region, rater = new_region_id(), str(uuid.uuid4())
    await feed.publish(notices(region, rater, 2 * FEED_KEPT + 500))  # one flush, as a large sync
    await feed.flush()
    kept = await reporting.context.redis.xlen(team_channel(region, rater))
    assert FEED_KEPT <= kept <= FEED_KEPT + TRIM_SLACK


async def test_a_feed_resumed_inside_a_flush_gets_the_rest_of_it_then_what_follows(feed: LiveFeed) -> None:
    region, rater = new_region_id(), str(uuid.uuid4())
    before = await feed.position(region, rater)
    await feed.publish(notices(region, rater, 5))
    await feed.flush()
    first = await received(await feed.subscribe(region, rater, before), 5)
    assert [body for _, body in first] == [b'{"kind":"submitted","activity":{"n":%d}}' % n for n in range(5)]
    assert all(re.fullmatch(FEED_EVENT_ID, event_id) for event_id, _ in first)
    assert len({event_id for event_id, _ in first}) == 5

    await feed.publish(notices(region, rater, 1))
    await feed.flush()
    rest = await received(await feed.subscribe(region, rater, first[1][0]), 4)
    assert [event_id for event_id, _ in rest[:3]] == [event_id for event_id, _ in first[2:]]
    assert rest[3][1] == b'{"kind":"submitted","activity":{"n":0}}'


async def test_an_id_inside_an_entry_written_before_the_cap_counted_notices_still_resumes(
    reporting: Any, feed: LiveFeed
) -> None:
    """Such entries held one flush's notices for the team, joined by newlines, for up to a day."""
    region, rater = new_region_id(), str(uuid.uuid4())
    old_entry = await reporting.context.redis.xadd(
        team_channel(region, rater), {b"m": b'{"a":0}\n{"a":1}\n{"a":2}'}
    )
    await feed.publish(notices(region, rater, 1))
    await feed.flush()
    rest = await received(await feed.subscribe(region, rater, f"{old_entry.decode()}/0"), 3)
    assert rest[:2] == [(f"{old_entry.decode()}/1", b'{"a":1}'), (f"{old_entry.decode()}/2", b'{"a":2}')]
    assert rest[2][0].endswith("/0")
    assert rest[2][1] == b'{"kind":"submitted","activity":{"n":0}}'
