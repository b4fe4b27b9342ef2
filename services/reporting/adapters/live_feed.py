"""The live feed of a rater's team through Redis streams, so any API instance serves any subscriber.

Messages are appended after the transaction that made them committed: a subscriber never sees an
activity that could still roll back. Each team has a capped stream (the last ``FEED_KEPT``
notices, one entry each, kept a day after the last one), so a supervisor whose phone lost signal
resumes where it stopped (SSE ``Last-Event-ID``; a stream's first message carries its starting
position as an id, so a client that saw no event yet resumes there too); older gaps are filled
from the paginated history. A failed append is counted and logged, never raised: the activity
itself is committed. Reading is ``feed_hub``'s: one blocking read per process for every open feed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from services.reporting.adapters.feed_hub import ALL_SEEN, StreamHub, TeamSubscription
from services.reporting.metrics import (
    FEED_MESSAGES,
    FEED_PUBLISH_FAILURES,
    FEED_READ_FAILURES,
    FEED_SUBSCRIBERS,
)

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 1.0
#: How long the sender gathers notices before one Redis command takes them all. A command costs
#: reporting about 60 µs of CPU whatever it carries (a notice more, about 3), and under load a group
#: of single submissions commits every few milliseconds, each with a handful of notices: gathered,
#: several groups share a command. A rater sees a notice at most this much later.
GATHER_SECONDS = 0.01
#: Notices kept per team (about: Redis trims whole nodes of ~100 entries) and how long a silent
#: team's stream lives. A supervisor reconnecting resumes from the stream: 1,000 notices cover two
#: full batch syncs (500 each) or a large team's working day, 33 list pages of 30; an older gap is
#: read from the history. Counting notices, not flushes, bounds Redis by teams alone (about
#: 0.3 MB a team full): a cap of 1,000 flushes let one team keep 500,000 notices (115 MB).
FEED_KEPT = 1000
FEED_TTL_SECONDS = 86_400

#: For each stream of KEYS, appends one entry per notice of ARGV[i + 2] (the team's notices joined
#: by newlines: one argument a team keeps the Python side's cost per flush, not per notice), then
#: trims it to about ARGV[1] entries once and lets it expire after ARGV[2] seconds. The functions
#: are locals: two table look-ups each a notice less (Redis ~15,800 -> ~15,300 instructions a
#: notice). A notice an argument cost reporting's packing ~6,700 instructions a notice to save
#: Redis ~200; a MAXLEN on each XADD instead of one XTRIM, Redis +2,400 (callgrind, session 38).
_APPEND_ALL = """
local find, sub, call = string.find, string.sub, redis.call
for i, key in ipairs(KEYS) do
  local notices = ARGV[i + 2]
  local start = 1
  while true do
    local stop = find(notices, '\\n', start, true)
    call('XADD', key, '*', 'm', sub(notices, start, (stop or 0) - 1))
    if not stop then break end
    start = stop + 1
  end
  call('XTRIM', key, 'MAXLEN', '~', ARGV[1])
  call('EXPIRE', key, ARGV[2])
end
return #KEYS
"""
_APPEND_ALL_SHA = hashlib.sha1(_APPEND_ALL.encode(), usedforsecurity=False).hexdigest()  # its name in Redis

#: An event id as the feed writes it: the stream entry and the notice's place in it (a position,
#: the stream's first message or a list's ``feed_position``, has the form of an id too). An entry
#: holds one notice (``<entry>/0``); entries appended before 2026-12-02 held a flush's notices for
#: the team, so ids such as ``<entry>/3`` that browsers still hold resume as before.
FEED_EVENT_ID = r"^(\d{1,20}-\d{1,20})/(\d{1,6})$"
_EVENT_ID = re.compile(FEED_EVENT_ID)


class InvalidEventId(ValueError):
    """A ``Last-Event-ID`` this feed never wrote."""


class FeedUnavailable(RuntimeError):
    """Redis could not be asked where a new feed starts (counted as a read failure)."""


def team_channel(region_id: str, rater_id: str) -> str:
    """The Redis stream of one rater's team in one region."""
    return f"kinerja:reporting:feed:{region_id}:{rater_id}"


@dataclass(slots=True)
class TeamNotices:
    """What one rater's team feed is told of one kind of change (``kind``): a notice an activity,
    each given as the activity's JSON (its fields as the API answers them, reporting's times in the
    region's zone), and written on the team's stream as ``{"kind": ..., "activity": ...}``, an entry
    each.

    The feed's one notice type. A request's accepted activities to one rater share one: the intake
    writes each activity's JSON once, for its event and its notice (a notice object an activity,
    made, sent and written on its own, cost ~3,450 instructions a batch item more: callgrind,
    session 34). A review or a correction sends one of its one activity. Never empty.
    """

    region_id: str
    rater_id: str
    kind: str
    payloads_json: list[bytes]

    def encoded(self) -> bytes:
        """The notices' messages, newline-separated, written around the payloads' JSON in one join.

        The first payload is given the message's start and the last its end, so the join writes
        the whole (a batch's ~330 kB) once: joined between the start and the end, it was copied
        twice (timeit: 19.3 -> 13.0 µs for 500 notices; session 38).
        """
        start = _message_start(self.kind)
        parts = self.payloads_json.copy()
        parts[0] = start + parts[0]
        parts[-1] += b"}"
        return (b"}\n" + start).join(parts)


@functools.cache
def _message_start(kind: str) -> bytes:
    """A message's JSON up to its activity, written once per kind."""
    return b'{"kind":%s,"activity":' % orjson.dumps(kind)


class LiveFeed:
    """Publishes notices and opens subscriptions on one Redis connection pool (one read for all)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._queued: list[TeamNotices] = []
        self._flusher: asyncio.Task[None] | None = None
        self._hub: StreamHub | None = None

    async def publish(self, notices: Sequence[TeamNotices]) -> None:
        """Queue notices for one background sender and return at once (the work is committed).

        A pipeline round trip per request cost more CPU than the rest of the response under load;
        the sender gathers for ``GATHER_SECONDS``, then takes everything queued meanwhile, in order,
        in one command. Failures are counted and logged, never raised.
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
            await asyncio.sleep(GATHER_SECONDS)  # the groups committing meanwhile join this command
            notices, self._queued = self._queued, []
            await self._send(notices)

    async def _send(self, notices: Sequence[TeamNotices]) -> None:
        """Append in one round trip, one entry per notice; failures are counted, never raised."""
        # By region and rater: each team's stream named once, not once a notice.
        per_team: dict[tuple[str, str], list[bytes]] = {}
        # Each team's message as its notices' (``encoded``), newline-separated (JSON without
        # indentation holds no raw newline: the script splits on it), joined once.
        count = 0
        for notice in notices:
            team = per_team.get(key := (notice.region_id, notice.rater_id))
            if team is None:
                team = per_team[key] = []
            else:
                team.append(b"\n")
            team.append(notice.encoded())
            count += len(notice.payloads_json)
        channels = [team_channel(region_id, rater_id) for region_id, rater_id in per_team]
        messages = [b"".join(team_parts) for team_parts in per_team.values()]
        try:
            # One command and one reply for all teams: a command per notice cost an encoding each
            # (500 for a batch sync). Timed in this task: ``wait_for``'s task of its own cost
            # reporting ~17,500 instructions a flush more (callgrind, session 38).
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                try:
                    # By its digest: an EVAL has Redis hash the script, ~11,000 instructions a
                    # flush (a fifth of a flush of one notice; callgrind, session 38).
                    await self._redis.evalsha(
                        _APPEND_ALL_SHA, len(channels), *channels, FEED_KEPT, FEED_TTL_SECONDS, *messages
                    )
                except NoScriptError:
                    # A Redis restarted (or its scripts flushed) does not know it: EVAL runs the
                    # script and keeps it for the next flushes. Nothing ran before the refusal.
                    await self._redis.eval(
                        _APPEND_ALL, len(channels), *channels, FEED_KEPT, FEED_TTL_SECONDS, *messages
                    )
            FEED_MESSAGES.inc(count)
        except (RedisError, OSError, TimeoutError) as exc:
            FEED_PUBLISH_FAILURES.inc(count)
            log.warning("live feed publish failed", extra={"fields": {"error": repr(exc)[:200]}})

    async def position(self, region_id: str, rater_id: str) -> str:
        """Where the team's feed stands now, as an event id: a stream resumed from it brings every
        notice appended afterwards. The newest entry counts as seen whole (or, without one, the
        stream's start)."""
        try:
            newest: Any = await self._redis.xrevrange(team_channel(region_id, rater_id), count=1)
        except (RedisError, OSError) as exc:
            FEED_READ_FAILURES.inc()
            raise FeedUnavailable(repr(exc)[:200]) from exc
        entry: bytes = newest[0][0] if newest else b"0-0"
        return f"{entry.decode()}/{ALL_SEEN}"

    async def subscribe(
        self, region_id: str, rater_id: str, last_event_id: str | None = None
    ) -> TeamSubscription:
        """Open the team's feed: after ``last_event_id`` (a resumed stream), else after what is there now.

        The starting point is fixed here, before the response starts, so nothing appended
        afterwards is missed.
        """
        key = team_channel(region_id, rater_id)
        if last_event_id is None:
            last_event_id = await self.position(region_id, rater_id)
        matched = _EVENT_ID.fullmatch(last_event_id)
        if matched is None:
            raise InvalidEventId(last_event_id)
        position = (matched.group(1).encode(), int(matched.group(2)))
        loop = asyncio.get_running_loop()
        if self._hub is None or self._hub.loop is not loop:
            self._hub = StreamHub(self._redis, loop)
        FEED_SUBSCRIBERS.inc()
        return TeamSubscription(self._hub, self._redis, key, position)

    async def close(self) -> None:
        """The process is stopping: send what is queued, then end every open stream."""
        await self.flush()
        if self._hub is not None and self._hub.loop is asyncio.get_running_loop():
            await self._hub.close()
