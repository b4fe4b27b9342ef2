"""A team followed while the hub's last read is closing its connection (its last follower just
left) still gets a read of its own: the closing read starts no new one, so the hub must."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.reporting.adapters import feed_hub
from services.reporting.adapters.feed_hub import ALL_SEEN, StreamHub, TeamSubscription


class BlockingReader:
    """The hub's blocking connection, answering and closing when the test says so."""

    def __init__(self) -> None:
        self.reads = 0
        self.answer = asyncio.Event()
        self.closed = asyncio.Event()
        self.closing = asyncio.Event()

    async def xread(self, streams: dict[Any, Any], count: int, block: int) -> list[Any]:
        self.reads += 1
        await self.answer.wait()
        return []

    async def aclose(self) -> None:
        self.closing.set()
        await self.closed.wait()


class Redis:
    """Where the hub sends its wake-ups (nothing reads them here)."""

    async def xadd(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def expire(self, *args: Any, **kwargs: Any) -> None:
        return None


async def test_a_team_followed_while_the_last_read_closes_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    readers: list[BlockingReader] = []

    def new_reader(redis: object) -> BlockingReader:
        readers.append(BlockingReader())
        return readers[-1]

    monkeypatch.setattr(feed_hub, "_blocking_reader", new_reader)
    hub = StreamHub(Redis(), asyncio.get_running_loop())  # type: ignore[arg-type]
    left = TeamSubscription(hub, None, "a", (b"1-0", ALL_SEEN))  # type: ignore[arg-type]
    hub.register(left, "a", b"1-0")
    await asyncio.sleep(0)
    hub.unregister(left, "a")  # the last follower leaves while the read is out...
    readers[0].answer.set()
    await asyncio.wait_for(readers[0].closing.wait(), 1)  # ...so the read ends and closes
    joined = TeamSubscription(hub, None, "b", (b"1-0", ALL_SEEN))  # type: ignore[arg-type]
    hub.register(joined, "b", b"1-0")  # a phone opens its team's feed just then
    readers[0].closed.set()
    await asyncio.sleep(0.01)

    assert len(readers) == 2, "the new team is never read"
    assert readers[1].reads == 1
    readers[1].answer.set()
    readers[1].closed.set()
    await hub.close()
