"""Fixed-window request counters in Redis, shared by every instance of the service.

While Redis cannot be asked, the same windows are counted in the process's own memory: limits then
hold per instance instead of across them, and citizens are still served. After a failure Redis is left
alone for a pause, so each citizen does not wait on a dead server in turn.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.feedback.metrics import RATE_LIMITER_ERRORS

log = logging.getLogger(__name__)

# INCR and the first expiry in one atomic step: two instances counting the same client can never
# both open a window, and a key can never be left without an expiry (which would block forever).
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


@dataclass(frozen=True)
class Limit:
    """At most ``requests`` per ``window_seconds`` for one key."""

    requests: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    """Whether a request may pass and, if not, after how many seconds to retry."""

    allowed: bool
    retry_after_seconds: int


class RateLimiter:
    """Counts requests per (action, dimension, key) in fixed windows that open on the first request."""

    #: How long after a failed call the windows are counted in this process without asking Redis.
    REDIS_PAUSE_SECONDS = 5.0

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        prefix: str = "kinerja:feedback:rate",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script: Any = redis.register_script(_COUNT_IN_WINDOW)
        self._clock = clock
        self._local = LocalWindows(clock)
        self._redis_paused_until = 0.0

    def _key(self, action: str, dimension: str, value: str) -> str:
        # Hashed: Redis never holds citizens' addresses or device tokens in clear.
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"{self._prefix}:{action}:{dimension}:{digest}"

    async def hit(self, action: str, dimension: str, value: str, limit: Limit) -> Verdict:
        """Count one request and say whether it stays within the limit."""
        key = self._key(action, dimension, value)
        if self._clock() < self._redis_paused_until:
            return self._local.hit(key, limit)
        try:
            count, ttl_ms = await self._script(keys=[key], args=[limit.window_seconds * 1000])
        except (RedisError, OSError) as error:
            # A Redis outage must not silence citizens, nor open the door to floods: the window
            # is counted in this process meanwhile (per instance, not across them); tickets stay
            # single-use in PostgreSQL, and the counter shows operators the shared limit is down.
            RATE_LIMITER_ERRORS.inc()
            log.warning("rate limiter unavailable", extra={"fields": {"error": repr(error)[:200]}})
            self._redis_paused_until = self._clock() + self.REDIS_PAUSE_SECONDS
            return self._local.hit(key, limit)
        if int(count) <= limit.requests:
            return Verdict(True, 0)
        return Verdict(False, max(1, math.ceil(int(ttl_ms) / 1000)))


class LocalWindows:
    """The same fixed windows, counted in one process's memory."""

    #: Keys kept at most: beyond that, expired windows are dropped, then (a flood of distinct
    #: clients) everything, which lets a few requests more through rather than growing unbounded.
    MAX_KEYS = 100_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window ends at, requests in it)

    def hit(self, key: str, limit: Limit) -> Verdict:
        """Count one request for ``key`` and say whether it stays within the limit."""
        now = self._clock()
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            ends, count = now + limit.window_seconds, 0
            if key not in self._windows and len(self._windows) >= self.MAX_KEYS:
                self._drop_expired(now)
        count += 1
        self._windows[key] = (ends, count)
        if count <= limit.requests:
            return Verdict(True, 0)
        return Verdict(False, max(1, math.ceil(ends - now)))

    def _drop_expired(self, now: float) -> None:
        self._windows = {key: kept for key, kept in self._windows.items() if kept[0] > now}
        if len(self._windows) >= self.MAX_KEYS:
            self._windows.clear()
