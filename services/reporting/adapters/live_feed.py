"""The live feed of a rater's team through Redis streams, so any API instance serves any subscriber.

Messages are appended after the transaction that made them committed: a subscriber never sees an
activity that could still roll back. Each team has a capped stream (the last ``FEED_KEPT``
entries, kept a day after the last one), so a supervisor whose phone lost signal resumes where it
stopped (SSE ``Last-Event-ID``); older gaps are filled from the paginated history. A failed append
is counted and logged, never raised: the activity itself is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
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
#: How long one read of every followed stream waits when nothing arrives (a new team wakes it).
HUB_BLOCK_MS = 5000
#: Reads (of up to 100 entries each) held for one subscriber that is not reading: beyond that its
#: stream ends and the client resumes from Redis with its Last-Event-ID.
SUBSCRIBER_BACKLOG = 100
#: Entries kept per team (about; Redis trims in whole nodes) and how long a silent team's stream lives.
FEED_KEPT = 1000
FEED_TTL_SECONDS = 86_400

#: Appends ARGV[3..] to the streams KEYS (one message each), capped at ARGV[1], expiring after ARGV[2].
_APPEND_ALL = """
for i, key in ipairs(KEYS) do
  redis.call('XADD', key, 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[i + 2])
  redis.call('EXPIRE', key, ARGV[2])
end
return #KEYS
"""

#: The position "every notice of this entry was seen".
ALL_SEEN = 1_000_000

#: An event id as the feed writes it: the stream entry and the notice's place in it.
_EVENT_ID = re.compile(r"^(\d{1,20}-\d{1,20})/(\d{1,6})$")


class InvalidEventId(ValueError):
    """A ``Last-Event-ID`` this feed never wrote."""


def team_channel(region_id: str, rater_id: str) -> str:
    """The Redis stream of one rater's team in one region."""
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
    """Publishes notices and opens subscriptions on one Redis connection pool (one read for all)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._queued: list[FeedNotice] = []
        self._flusher: asyncio.Task[None] | None = None
        self._hub: StreamHub | None = None

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
        """Append in one round trip, one entry per team; failures are counted, never raised."""
        per_team: dict[str, list[bytes]] = {}
        for notice in notices:
            per_team.setdefault(team_channel(notice.region_id, notice.rater_id), []).append(notice.encoded())
        # JSON without indentation holds no raw newline: the subscriber splits on it.
        messages = [b"\n".join(encoded) for encoded in per_team.values()]
        try:
            # One command and one reply for all teams: a command per notice cost an encoding each
            # (500 for a batch sync).
            await asyncio.wait_for(
                self._redis.eval(
                    _APPEND_ALL, len(per_team), *per_team, FEED_KEPT, FEED_TTL_SECONDS, *messages
                ),
                timeout=PUBLISH_TIMEOUT_SECONDS,
            )
            FEED_MESSAGES.inc(len(notices))
        except (RedisError, OSError, TimeoutError) as exc:
            FEED_PUBLISH_FAILURES.inc(len(notices))
            log.warning("live feed publish failed", extra={"fields": {"error": repr(exc)[:200]}})

    async def subscribe(
        self, region_id: str, rater_id: str, last_event_id: str | None = None
    ) -> TeamSubscription:
        """Open the team's feed: after ``last_event_id`` (a resumed stream), else after what is there now.

        The starting point is fixed here, before the response starts, so nothing appended
        afterwards is missed.
        """
        key = team_channel(region_id, rater_id)
        if last_event_id is not None:
            matched = _EVENT_ID.fullmatch(last_event_id)
            if matched is None:
                raise InvalidEventId(last_event_id)
            position = (matched.group(1).encode(), int(matched.group(2)))
        else:
            # From now on: the newest entry counts as seen whole (or, without one, the stream's start).
            newest = await self._redis.xrevrange(key, count=1)
            position = (newest[0][0], ALL_SEEN) if newest else (b"0-0", ALL_SEEN)
        loop = asyncio.get_running_loop()
        if self._hub is None or self._hub.loop is not loop:
            self._hub = StreamHub(self._redis, loop)
        FEED_SUBSCRIBERS.inc()
        return TeamSubscription(self._hub, self._redis, key, position)


def _entry_order(entry_id: bytes) -> tuple[int, int]:
    """A stream entry id (``<milliseconds>-<sequence>``) as something that sorts like it."""
    milliseconds, _, sequence = entry_id.partition(b"-")
    return int(milliseconds), int(sequence or 0)


#: Entries: (entry id, fields) as Redis returns them.
Entries = list[tuple[bytes, dict[bytes, bytes]]]


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
        self._subscribers: dict[str, set[TeamSubscription]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._wakes: set[asyncio.Task[None]] = set()  # referenced until done (the loop keeps weak ones)

    def register(self, subscription: TeamSubscription, key: str, entry: bytes) -> bytes:
        """Deliver the team's new entries to ``subscription`` from now on; returns where the hub
        reads from: the subscriber reads anything up to there itself."""
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
        while self._subscribers:
            streams: dict[Any, Any] = {key.encode(): cursor for key, cursor in self._cursors.items()}
            streams[self._wake_key.encode()] = self._wake_cursor
            try:
                answer: Any = await self._redis.xread(streams, count=100, block=HUB_BLOCK_MS)
            except (RedisError, OSError) as exc:
                # Every subscriber's stream ends; clients reconnect with their Last-Event-ID.
                failed = [s for subscribers in self._subscribers.values() for s in subscribers]
                self._subscribers.clear()
                self._cursors.clear()
                for subscription in failed:
                    subscription.deliver(exc)
                return
            for raw_key, entries in answer or ():
                key = raw_key.decode()
                if key == self._wake_key:
                    self._wake_cursor = entries[-1][0]
                    continue
                if key not in self._cursors:
                    continue  # everyone following that team left while the read was out
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
        self._arrived: asyncio.Queue[Entries | Exception] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._fell_behind = False
        self._closed = False

    def deliver(self, entries: Entries | Exception) -> None:
        """The hub hands over new entries (or the error that ended the reading)."""
        if self._fell_behind:
            return
        try:
            self._arrived.put_nowait(entries)
        except asyncio.QueueFull:
            # What was queued is still sent; then the stream ends, and the client's reconnect with
            # its Last-Event-ID reads the rest from the team's stream in Redis.
            self._fell_behind = True

    async def messages(self, *, heartbeat_seconds: float) -> AsyncIterator[tuple[str, bytes] | None]:
        """Each notice as (event id, body) as it arrives, and None whenever ``heartbeat_seconds`` passed
        in silence."""
        hub_reads_after = self._hub.register(self, self._key, self._entry)
        if self._seen != ALL_SEEN or _entry_order(hub_reads_after) > _entry_order(self._entry):
            # What the hub will not bring: the resumed entry itself (it may hold notices not seen
            # yet) and anything up to where the hub reads from.
            earlier: Any = await self._redis.xrange(self._key, min=self._entry, max=hub_reads_after)
            for event in self._notices_of(earlier):
                yield event
        while True:
            if self._fell_behind and self._arrived.empty():
                return
            try:
                arrived = await asyncio.wait_for(self._arrived.get(), timeout=heartbeat_seconds)
            except TimeoutError:
                yield None
                continue
            if isinstance(arrived, Exception):
                raise arrived
            for event in self._notices_of(arrived):
                yield event

    def _notices_of(self, entries: Entries) -> list[tuple[str, bytes]]:
        """The notices of entries not seen yet (the hub may bring back some this subscriber read)."""
        found: list[tuple[str, bytes]] = []
        for entry_id, fields in entries:
            if _entry_order(entry_id) < _entry_order(self._entry):
                continue
            notices = fields[b"m"].split(b"\n")
            first = self._seen + 1 if entry_id == self._entry else 0
            self._entry, self._seen = entry_id, len(notices) - 1
            found += [(f"{entry_id.decode()}/{n}", notices[n]) for n in range(first, len(notices))]
        return found

    async def close(self) -> None:
        """Stop following the team."""
        if self._closed:
            return
        self._closed = True
        self._hub.unregister(self, self._key)
        FEED_SUBSCRIBERS.dec()
