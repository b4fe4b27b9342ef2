"""Protections of the citizen (anonymous) endpoints: rate limits and request size limits.

Citizens need no account, so every public route is limited per client address and per device
token (header ``X-Device-Token``, which the citizen app or kiosk sends) in Redis, answering a
clear 429 with ``Retry-After``; and its body is read up to a small limit, also when it arrives
in chunks without a ``Content-Length`` (answering 413, see ``shared.guarded_route``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from redis.exceptions import RedisError
from starlette.types import Scope

from services.feedback.adapters.rate_limiter import Limit, RateLimiter
from services.feedback.metrics import RATE_LIMITED, RATE_LIMITER_ERRORS
from services.feedback.settings import FeedbackSettings
from shared.errors import TooManyRequests
from shared.guarded_route import GuardedRoute
from shared.http import client_address
from shared.runtime import Context, ServiceContext

log = logging.getLogger(__name__)

DEVICE_TOKEN_HEADER = "X-Device-Token"  # noqa: S105 - a header name, not a secret


class Traffic(StrEnum):
    """Writes (a response, a complaint) are limited more tightly than reads (tracking)."""

    WRITE = "write"
    READ = "read"


@dataclass(frozen=True)
class CitizenClient:
    """Who is calling, as far as an anonymous endpoint can tell."""

    address: str
    device_token: str | None


def feedback_settings(context: ServiceContext) -> FeedbackSettings:
    """The feedback service's own settings (the context holds them as the shared base type)."""
    settings = context.settings
    if not isinstance(settings, FeedbackSettings):
        raise TypeError("the feedback service runs with FeedbackSettings")
    return settings


def _limiter(context: ServiceContext) -> RateLimiter:
    return context.adapter("rate_limiter", lambda: RateLimiter(context.redis))


def citizen_protection(action: str, traffic: Traffic) -> Any:
    """A dependency limiting one public action per client address and per device token."""
    for dimension in ("address", "device"):  # the series exist, at 0, before the first refusal
        RATE_LIMITED.labels(action, dimension)

    async def protect(
        request: Request,
        context: Context,
        device_token: Annotated[
            str | None,
            Header(
                alias=DEVICE_TOKEN_HEADER,
                max_length=128,
                description="A random id the citizen app or kiosk keeps per device (rate limiting only).",
            ),
        ] = None,
    ) -> CitizenClient:
        settings = feedback_settings(context)
        window = settings.public_rate_window_seconds
        if traffic is Traffic.WRITE:
            per_address = Limit(settings.public_writes_per_address, window)
            per_device = Limit(settings.public_writes_per_device, window)
        else:
            per_address = Limit(settings.public_reads_per_address, window)
            per_device = Limit(settings.public_reads_per_device, window)
        client = CitizenClient(client_address(request) or "unknown", device_token)
        checks = [("address", client.address, per_address)]
        if client.device_token:
            checks.append(("device", client.device_token, per_device))
        limiter = _limiter(context)
        for dimension, value, limit in checks:
            try:
                verdict = await limiter.hit(action, dimension, value, limit)
            except (RedisError, OSError) as error:
                # A Redis outage must not silence citizens, nor open the door to floods: the window
                # is counted in this process meanwhile (per instance, not across them); tickets stay
                # single-use in PostgreSQL, and the counter shows operators the shared limit is down.
                RATE_LIMITER_ERRORS.inc()
                log.warning("rate limiter unavailable", extra={"fields": {"error": repr(error)[:200]}})
                verdict = limiter.hit_locally(action, dimension, value, limit)
            if not verdict.allowed:
                RATE_LIMITED.labels(action, dimension).inc()
                raise TooManyRequests(verdict.retry_after_seconds)
        return client

    return Depends(protect)


class CitizenRoute(GuardedRoute):
    """A citizen's route: its body is limited to the (small) citizen limit, whatever the framing."""

    def body_limit(self, scope: Scope) -> int:
        """The citizen limit of the running service."""
        return feedback_settings(scope["app"].state.context).public_max_body_bytes
