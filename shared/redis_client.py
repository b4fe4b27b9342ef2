"""The one way a process connects to Redis.

Redis holds short-lived state on the request path (sessions, limits, the live feed's streams), so a
person waits while it is asked: waits are bounded, and a failed call is retried once, quickly, instead
of redis-py's default of several retries backing off for seconds. Callers that can do without Redis
(the citizens' rate limiter) then fall back at once.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from shared.settings import ServiceSettings

#: Retries of a failed call, and the longest pause before one.
RETRIES = 1
RETRY_CAP_SECONDS = 0.25


def connect_redis(settings: ServiceSettings) -> aioredis.Redis:
    """A client for ``settings.redis_url`` with bounded waits (bytes in, bytes out)."""
    return aioredis.Redis.from_url(
        settings.redis_url,
        decode_responses=False,
        socket_connect_timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
        retry=Retry(ExponentialBackoff(cap=RETRY_CAP_SECONDS, base=0.05), RETRIES),
    )
