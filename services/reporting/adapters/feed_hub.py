"""One blocking Redis read for every open live feed of a process, and each feed's subscription.

A feed stays open for hours: the hub's read outlives every timeout on its path (its own connection
waits longer than the read blocks), a failed read is counted and retried from where it stopped (a
subscriber's stream stays open and misses nothing), and the process's stop ends every stream
cleanly after what was already read (clients resume elsewhere with their Last-Event-ID).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from services.reporting.metrics import FEED_READ_FAILURES, FEED_STREAMS_ENDED, FEED_SUBSCRIBERS

log = logging.getLogger(__name__)

#: How long one read of every followed stream waits when nothing arrives (a new team wakes it).
HUB_BLOCK_MS = 5000
#: How much longer than that the hub's connection waits for the answer before it counts as lost.
#: The platform's Redis client gives up after 5 s, exactly when a quiet read answers: on that
#: client every feed broke after 5 s of silence.
HUB_READ_MARGIN_SECONDS = 10.0
#: Pauses between reads while Redis cannot be read: doubling from the first, capped at the second.
HUB_RETRY_PAUSES = (0.1, 5.0)
#: Reads (of up to 100 entries each) held for one subscriber that is not reading: beyond that its
#: stream ends and the client resumes from Redis with its Last-Event-ID.
SUBSCRIBER_BACKLOG = 100
#: The position "every notice of this entry was seen" (six digits, as event ids write it).
ALL_SEEN = 999_999

#: Entries: (entry id, fields) as Redis returns them.
Entries = list[tuple[bytes, dict[bytes, bytes]]]


def entry_order(entry_id: bytes) -> tuple[int, int]:
    """A stream entry id (``<milliseconds>-<sequence>``) as something that sorts like it."""
    milliseconds, _, sequence = entry_id.partition(b"-")
    return int(milliseconds), int(sequence or 0)


def _blocking_reader(redis: aioredis.Redis) -> aioredis.Redis:
    """A client of its own for the hub's blocking read: the same server and credentials, a read
    timeout beyond the block, and no silent retries (the hub counts and retries failures itself)."""
    pool = redis.connection_pool
    options = dict(pool.connection_kwargs)
    options.update(socket_timeout=HUB_BLOCK_MS / 1000 + HUB_READ_MARGIN_SECONDS, retry=Retry(NoBackoff(), 0))
    return aioredis.Redis(
        connection_pool=aioredis.ConnectionPool(connection_class=pool.connection_class, **options)
    )


class StreamHub:
    """One blocking ``XREAD`` for every open subscription of this process, however many.

    A blocked ``XREAD`` holds its Redis connection: one per subscriber would mean a connection per
    supervisor's open phone. The hub reads every subscribed team's stream in one command from the
    last entry it read there and hands each subscriber what arrived. A new team wakes it through
    the hub's own stream, so the next read includes that team at once.
    """

    def __init__(self, redis: aioredis.Redis, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._redis = redis
        self._wake_key = f"kinerja:reporting:feed:wake:{uuid.uuid4().hex}"
        self._wake_cursor = b"0-0"
        self._cursors: dict[str, bytes] = {}
        #: Where the read that is out started in each stream (its answer follows those, not ``_cursors``).
        self._read_from: dict[bytes, bytes] = {}
        self._subscribers: dict[str, set[TeamSubscription]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._wakes: set[asyncio.Task[None]] = set()  # referenced until done (the loop keeps weak ones)
        self._closed = False

    def register(self, subscription: TeamSubscription, key: str, entry: bytes) -> bytes:
        """Deliver the team's new entries to ``subscription`` from now on; returns where the hub
        reads from: the subscriber reads anything up to there itself."""
        if self._closed:
            subscription.end("server_stopping")
            return entry
        cursor = self._cursors.get(key)
        if cursor is None:
            cursor = self._cursors[key] = entry
            self._wake()
        self._subscribers.setdefault(key, set()).add(subscription)
        if self._reader is None or self._reader.done():
            self._reader = self.loop.create_task(self._read())
        return cursor

    def unregister(self, subscription: TeamSubscription, key: str) -> None:
        """Stop delivering to ``subscription``; a team nobody follows is no longer read."""
        subscribers = self._subscribers.get(key)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._subscribers[key]
            del self._cursors[key]

    async def close(self) -> None:
        """End every subscriber's stream after what it was handed (the process is stopping)."""
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.wait([self._reader])
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.end("server_stopping")

    def _wake(self) -> None:
        if self._reader is not None and not self._reader.done():
            wake = self.loop.create_task(self._send_wake())
            self._wakes.add(wake)
            wake.add_done_callback(self._wakes.discard)

    async def _send_wake(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.xadd(self._wake_key, {b"w": b"1"}, maxlen=10, approximate=True)
            await self._redis.expire(self._wake_key, 3600)

    async def _read(self) -> None:
        reader = _blocking_reader(self._redis)
        pause = HUB_RETRY_PAUSES[0]
        try:
            while self._subscribers:
                streams: dict[Any, Any] = {key.encode(): cursor for key, cursor in self._cursors.items()}
                streams[self._wake_key.encode()] = self._wake_cursor
                self._read_from = streams
                try:
                    answer: Any = await reader.xread(streams, count=100, block=HUB_BLOCK_MS)
                except (RedisError, OSError) as exc:
                    # What is appended meanwhile stays in the streams after the cursors: the next
                    # read brings it, and the subscribers' streams stay open (keep-alives go on).
                    FEED_READ_FAILURES.inc()
                    log.warning(
                        "live feed read failed; reading again", extra={"fields": {"error": repr(exc)[:200]}}
                    )
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, HUB_RETRY_PAUSES[1])
                    continue
                pause = HUB_RETRY_PAUSES[0]
                self._hand_over(answer or ())
        finally:
            # Before the first await of the way out: a team followed while the connection closes
            # finds no read running and starts one (this read will not look at it again).
            if self._reader is asyncio.current_task():
                self._reader = None
            with contextlib.suppress(RedisError, OSError):
                await reader.aclose()

    def _hand_over(self, answer: Any) -> None:
        for raw_key, entries in answer:
            key = raw_key.decode()
            if key == self._wake_key:
                self._wake_cursor = entries[-1][0]
                continue
            if self._cursors.get(key) != self._read_from.get(raw_key):
                # Everyone following that team left while the read was out, or it is followed
                # again from another entry: the next read starts there (nothing in between skipped).
                continue
            self._cursors[key] = entries[-1][0]
            for subscription in self._subscribers.get(key, ()):
                subscription.deliver(entries)


class TeamSubscription:
    """An open subscription to one team's stream, from a position (entry id, notices of it seen)."""

    def __init__(self, hub: StreamHub, redis: aioredis.Redis, key: str, position: tuple[bytes, int]) -> None:
        self._hub = hub
        self._redis = redis
        self._key = key
        self._entry, self._seen = position
        # Bounded: a phone that stopped reading must not make the process hold its team's traffic.
        self._arrived: asyncio.Queue[Entries] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        #: Why the stream ends once what is queued was sent (None: it goes on).
        self._ending: str | None = None
        self._closed = False

    @property
    def position_id(self) -> str:
        """The subscription's position as an event id: a client that saw no event yet resumes here."""
        return f"{self._entry.decode()}/{self._seen}"

    def deliver(self, entries: Entries) -> None:
        """The hub hands over new entries."""
        if self._ending is not None:
            return
        try:
            self._arrived.put_nowait(entries)
        except asyncio.QueueFull:
            # What was queued is still sent; then the stream ends, and the client's reconnect with
            # its Last-Event-ID reads the rest from the team's stream in Redis.
            self._ending = "fell_behind"

    def end(self, reason: str) -> None:
        """End the stream once what is queued was sent."""
        if self._ending is None:
            self._ending = reason
        with contextlib.suppress(asyncio.QueueFull):
            self._arrived.put_nowait([])  # wakes a waiting reader; a full queue has none

    async def messages(self, *, heartbeat_seconds: float) -> AsyncIterator[tuple[str, bytes] | None]:
        """Each notice as (event id, body) as it arrives, and None whenever ``heartbeat_seconds`` passed
        in silence."""
        hub_reads_after = self._hub.register(self, self._key, self._entry)
        if self._ending is None and (
            self._seen != ALL_SEEN or entry_order(hub_reads_after) > entry_order(self._entry)
        ):
            # What the hub will not bring: the resumed entry itself (it may hold notices not seen
            # yet) and anything up to where the hub reads from.
            try:
                earlier: Any = await self._redis.xrange(self._key, min=self._entry, max=hub_reads_after)
            except (RedisError, OSError) as exc:
                # The client reconnects after its last event (or the position it was sent first).
                FEED_READ_FAILURES.inc()
                log.warning("live feed catch-up read failed", extra={"fields": {"error": repr(exc)[:200]}})
                self._ending = "read_failed"
                return
            for event in self._notices_of(earlier):
                yield event
        while True:
            if self._ending is not None and self._arrived.empty():
                return
            try:
                arrived = await asyncio.wait_for(self._arrived.get(), timeout=heartbeat_seconds)
            except TimeoutError:
                yield None
                continue
            for event in self._notices_of(arrived):
                yield event

    def _notices_of(self, entries: Entries) -> list[tuple[str, bytes]]:
        """The notices of entries not seen yet (the hub may bring back some this subscriber read).

        An entry holds one notice; one appended before 2026-12-02 may still hold several, joined
        by newlines, for up to a day (a client resuming inside it gets the rest of it)."""
        found: list[tuple[str, bytes]] = []
        for entry_id, fields in entries:
            if entry_order(entry_id) < entry_order(self._entry):
                continue
            notices = fields[b"m"].split(b"\n")
            first = self._seen + 1 if entry_id == self._entry else 0
            self._entry, self._seen = entry_id, len(notices) - 1
            found += [(f"{entry_id.decode()}/{n}", notices[n]) for n in range(first, len(notices))]
        return found

    async def close(self) -> None:
        """Stop following the team, counting why the stream ended."""
        if self._closed:
            return
        self._closed = True
        self._hub.unregister(self, self._key)
        FEED_SUBSCRIBERS.dec()
        FEED_STREAMS_ENDED.labels(self._ending or "client_left").inc()
