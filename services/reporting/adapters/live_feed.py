"""The live feed of a rater's team through Redis pub/sub, so any API instance can serve any subscriber.

Messages are published after the transaction that made them committed: a subscriber never sees an
activity that could still roll back. Pub/sub is fire-and-forget; a client that was away catches up
through the paginated history, so a failed publish is counted and logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.reporting.metrics import FEED_MESSAGES, FEED_PUBLISH_FAILURES, FEED_SUBSCRIBERS

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 1.0


def team_channel(region_id: str, rater_id: str) -> str:
    """The Redis channel of one rater's team in one region."""
    return f"kinerja:reporting:feed:{region_id}:{rater_id}"


@dataclass(frozen=True, slots=True)
class FeedNotice:
    """One thing a rater's feed shows: what happened (``kind``) and the activity as it now is."""

    region_id: str
    rater_id: str
    kind: str
    payload: dict[str, Any]

    def encoded(self) -> bytes:
        """The message body on the channel."""
        return orjson.dumps({"kind": self.kind, "activity": self.payload})


class LiveFeed:
    """Publishes notices and opens subscriptions on one Redis connection pool."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def publish(self, notices: Sequence[FeedNotice]) -> None:
        """Publish in one round trip; failures are counted, never raised (the work is committed)."""
        if not notices:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for notice in notices:
                    pipe.publish(team_channel(notice.region_id, notice.rater_id), notice.encoded())
                await asyncio.wait_for(pipe.execute(), timeout=PUBLISH_TIMEOUT_SECONDS)
            FEED_MESSAGES.inc(len(notices))
        except (RedisError, OSError, TimeoutError) as exc:
            FEED_PUBLISH_FAILURES.inc(len(notices))
            log.warning("live feed publish failed", extra={"fields": {"error": repr(exc)[:200]}})

    async def subscribe(self, region_id: str, rater_id: str) -> TeamSubscription:
        """Subscribe now (before the response starts), so nothing published afterwards is missed."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(team_channel(region_id, rater_id))
        FEED_SUBSCRIBERS.inc()
        return TeamSubscription(pubsub)


class TeamSubscription:
    """An open subscription to one team's channel."""

    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub
        self._closed = False

    async def messages(self, *, heartbeat_seconds: float) -> AsyncIterator[bytes | None]:
        """Each message body as it arrives, and None whenever ``heartbeat_seconds`` passed in silence."""
        last = time.monotonic()
        while True:
            message = await self._pubsub.get_message(timeout=min(1.0, heartbeat_seconds))
            if message is not None and message.get("type") == "message":
                last = time.monotonic()
                yield bytes(message["data"])
            elif time.monotonic() - last >= heartbeat_seconds:
                last = time.monotonic()
                yield None

    async def close(self) -> None:
        """Unsubscribe and give the connection back."""
        if self._closed:
            return
        self._closed = True
        FEED_SUBSCRIBERS.dec()
        try:
            await self._pubsub.unsubscribe()
        finally:
            await self._pubsub.aclose()
