"""Protections of the citizen (anonymous) endpoints: rate limits and request size limits.

Citizens need no account, so every public route is limited per client address and per device
token (header ``X-Device-Token``, which the citizen app or kiosk sends) in Redis, answering a
clear 429 with ``Retry-After``; and its body is read up to a small limit, also when it arrives
in chunks without a ``Content-Length`` (answering 413, see ``shared.guarded_route``).
"""

from __future__ import annotations

import re
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from starlette.types import Scope

from services.feedback.adapters.rate_limiter import Limit, RateLimiter
from services.feedback.metrics import RATE_LIMITED
from services.feedback.service_layer.surveys import pseudonymous_address
from services.feedback.settings import FeedbackSettings
from shared.context import ServiceContext
from shared.guarded_route import GuardedRoute
from shared.http import client_address
from shared.refusals import Refusal, RefusalKind, Wait
from shared.route_work import AuditedWork, Context, audited_work
from shared.settings import own_settings

DEVICE_TOKEN_HEADER = "X-Device-Token"  # noqa: S105 - a header name, not a secret
#: The device id a browser on a unit's public link keeps (set on its first response).
DEVICE_COOKIE = "kinerja_device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 3600
DEVICE_ID = re.compile(r"[0-9a-f]{32}")
DAY_SECONDS = 24 * 3600


class Traffic(StrEnum):
    """Writes (a response, a complaint) are limited more tightly than reads (tracking)."""

    WRITE = "write"
    READ = "read"


@dataclass(frozen=True)
class CitizenClient:
    """Who is calling, as far as an anonymous endpoint can tell."""

    address: str
    device_token: str | None
    #: The id was given by this service just now (the client sent none): a cookie should keep it.
    new_device: bool = False


def feedback_settings(context: ServiceContext) -> FeedbackSettings:
    """The feedback service's own settings (the context holds them as the shared base type)."""
    return own_settings(context.settings, FeedbackSettings)


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
        cookie = request.cookies.get(DEVICE_COOKIE)
        if cookie is not None and not DEVICE_ID.fullmatch(cookie):
            cookie = None
        # A device that names itself neither way gets an id now: what it sends counts as its own,
        # and a browser keeps the id (remember_device) for its next responses.
        device = device_token or cookie
        client = CitizenClient(
            client_address(request) or "unknown", device or uuid.uuid4().hex, new_device=device is None
        )
        await _hit_all(context, action, client, per_address, per_device)
        return client

    return Depends(protect)


async def _hit_all(
    context: ServiceContext, action: str, client: CitizenClient, per_address: Limit, per_device: Limit
) -> None:
    """Count one request against the address's and the device's budgets; 429 when one is spent."""
    checks = [("address", client.address, per_address)]
    if client.device_token:
        checks.append(("device", client.device_token, per_device))
    limiter = _limiter(context)
    for dimension, value, limit in checks:
        verdict = await limiter.hit(action, dimension, value, limit)
        if not verdict.allowed:
            RATE_LIMITED.labels(action, dimension).inc()
            raise Refusal(
                "rate_limited",
                "Too many requests; try again %(wait)s.",
                kind=RefusalKind.RATE_LIMITED,
                params={"wait": Wait(verdict.retry_after_seconds)},
                retry_after=verdict.retry_after_seconds,
            )


async def limit_ticketless_response(
    context: ServiceContext, client: CitizenClient, region_id: str, unit_id: str
) -> None:
    """A response without a ticket (a unit's public link) counts against a daily budget per unit, of
    its address and of its device: anyone may rate, nobody may stuff a unit's index. A client that
    drops its device id each time is still held by its address's budget."""
    settings = feedback_settings(context)
    await _hit_all(
        context,
        f"ticketless:{region_id}:{unit_id}",
        client,
        Limit(settings.public_ticketless_per_address_per_day, DAY_SECONDS),
        Limit(settings.public_ticketless_per_device_per_day, DAY_SECONDS),
    )


def remember_device(response: Response, client: CitizenClient) -> None:
    """Give a browser without a device id one (a cookie), so its next responses count as its own."""
    if client.new_device and client.device_token:
        response.set_cookie(
            DEVICE_COOKIE,
            client.device_token,
            max_age=DEVICE_COOKIE_SECONDS,
            path="/v1/public",
            httponly=True,
            secure=False,  # the services sit behind the region's TLS proxy; the id is no secret
            samesite="lax",
        )


#: The actor a citizen's actions are audited as: citizens have no account.
CITIZEN = "citizen"


def citizen_work(
    context: ServiceContext, region_id: str, citizen: CitizenClient
) -> AbstractAsyncContextManager[AuditedWork]:
    """Audited work of a citizen in the region the path names, opened by the route once the limits
    have passed; the trail keeps the address only as its pseudonym."""
    return audited_work(
        context, region_id=region_id, actor=CITIZEN, client_address=pseudonymous_address(citizen.address)
    )


class CitizenRoute(GuardedRoute):
    """A citizen's route: its body is limited to the (small) citizen limit, whatever the framing."""

    def body_limit(self, scope: Scope) -> int:
        """The citizen limit of the running service."""
        return feedback_settings(scope["app"].state.context).public_max_body_bytes
