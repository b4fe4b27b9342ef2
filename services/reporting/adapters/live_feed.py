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
from decimal import Decimal
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.reporting.metrics import FEED_MESSAGES, FEED_PUBLISH_FAILURES, FEED_SUBSCRIBERS

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 1.0

#: Publishes ARGV as (channel, message) pairs, in order, from one command.
_PUBLISH_ALL = "for i = 1, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end return #ARGV / 2"


def team_channel(region_id: str, rater_id: str) -> str:
    """The Redis channel of one rater's team in one region."""
    return f"kinerja:reporting:feed:{region_id}:{rater_id}"


def _decimal_as_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@dataclass(frozen=True, slots=True)
class FeedNotice:
    """One thing a rater's feed shows: what happened (``kind``) and the activity as it now is."""

    region_id: str
    rater_id: str
    kind: str
    payload: dict[str, Any]

    def encoded(self) -> bytes:
        """The message body on the channel (decimals as strings, as the API writes them)."""
        return orjson.dumps({"kind": self.kind, "activity": self.payload}, default=_decimal_as_text)


class LiveFeed:
    """Publishes notices and opens subscriptions on one Redis connection pool."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._queued: list[FeedNotice] = []
        self._flusher: asyncio.Task[None] | None = None

    async def publish(self, notices: Sequence[FeedNotice]) -> None:
        """Queue notices for one background sender and return at once (the work is committed).

        A pipeline round trip per request cost more CPU than the rest of the response under load;
        the sender takes everything queued meanwhile, in order, in one pipeline. Failures are
        counted and logged, never raised.
        """
        if not notices:
            return
        self._queued.extend(notices)
        loop = asyncio.get_running_loop()
        flusher = self._flusher
        if flusher is None or flusher.done() or flusher.get_loop() is not loop:
            self._flusher = loop.create_task(self._flush())

    async def flush(self) -> None:
        """Wait until everything queued so far was sent (or its failure counted)."""
        flusher = self._flusher
        if flusher is not None and not flusher.done() and flusher.get_loop() is asyncio.get_running_loop():
            await flusher

    async def _flush(self) -> None:
        while self._queued:
            notices, self._queued = self._queued, []
            await self._send(notices)

    async def _send(self, notices: Sequence[FeedNotice]) -> None:
        """Publish in one round trip, one message per team; failures are counted, never raised."""
        per_team: dict[str, list[bytes]] = {}
        for notice in notices:
            per_team.setdefault(team_channel(notice.region_id, notice.rater_id), []).append(notice.encoded())
        arguments: list[str | bytes] = []
        for channel, encoded in per_team.items():
            # JSON without indentation holds no raw newline: the subscriber splits on it.
            arguments += (channel, b"\n".join(encoded))
        try:
            # One command and one reply for all of them, one message per team: a PUBLISH per
            # notice cost a command encoding per notice (500 for a batch sync).
            await asyncio.wait_for(
                self._redis.eval(_PUBLISH_ALL, 0, *arguments),
                timeout=PUBLISH_TIMEOUT_SECONDS,
            )
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
        """Each notice as it arrives, and None whenever ``heartbeat_seconds`` passed in silence."""
        last = time.monotonic()
        while True:
            message = await self._pubsub.get_message(timeout=min(1.0, heartbeat_seconds))
            if message is not None and message.get("type") == "message":
                last = time.monotonic()
                for notice in bytes(message["data"]).split(b"\n"):
                    yield notice
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
