"""A feed subscriber that stops reading: what is queued is still sent, then its stream ends."""

from __future__ import annotations

from typing import Any

from services.reporting.adapters.feed_hub import ALL_SEEN, SUBSCRIBER_BACKLOG, TeamSubscription


class Hub:
    """The hub's side of a subscription: it reads after the subscriber's own position."""

    def register(self, subscription: TeamSubscription, key: str, entry: bytes) -> bytes:
        return entry

    def unregister(self, subscription: TeamSubscription, key: str) -> None:
        pass


async def test_a_subscriber_that_fell_behind_gets_what_was_queued_then_its_stream_ends() -> None:
    subscription = TeamSubscription(Hub(), None, "team", (b"1-0", ALL_SEEN))  # type: ignore[arg-type]
    for n in range(SUBSCRIBER_BACKLOG + 5):  # the phone stopped reading meanwhile
        subscription.deliver([(f"{n + 2}-0".encode(), {b"m": b'{"n": %d}' % n})])
    received: list[Any] = [message async for message in subscription.messages(heartbeat_seconds=5)]
    assert len(received) == SUBSCRIBER_BACKLOG
    assert received[0] == ("2-0/0", b'{"n": 0}')
    assert received[-1][0] == f"{SUBSCRIBER_BACKLOG + 1}-0/0"  # its reconnect resumes after this
