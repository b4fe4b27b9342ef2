"""The HTTP shell every service shares: health, readiness, metrics, correlation ids and quick answers.

Its errors are ``shared.http_errors``'s: ``create_app`` installs them.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.guarded_route import GuardedRoute
from shared.hot_route import HotPaths
from shared.http_errors import install_error_handlers
from shared.lean_app import LeanApp
from shared.observability import HTTP_LATENCY, HTTP_REQUESTS, correlation_id_var, record_readiness
from shared.route_roles import document_bearer_scheme

#: A readiness check returns None when healthy, or a short reason.
ReadinessCheck = Callable[[], Awaitable[str | None]]

#: Operations that deliberately need no token declare an empty security requirement.
PUBLIC: dict[str, Any] = {"security": []}

#: The header a correlation id comes and goes in, as ASGI names headers (lower case, bytes).
CORRELATION_HEADER = b"x-correlation-id"

#: A caller's correlation id is kept only when it looks like one (a UUID, or a token of 8 to 64
#: letters, digits, ``-`` and ``_``): it is logged, stored in the audit trail and sent with events,
#: so markup, spaces or unbounded text from a client must never get that far.
WELL_FORMED_CORRELATION_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9_-]{7,63}")


#: Probes and scrapes: counted, but kept out of the latency histogram (they are not what users wait on).
UNTIMED_ROUTES = frozenset({"/metrics", "/healthz", "/readyz"})


def is_timed(route: Any) -> bool:
    """Whether a route's requests belong in the latency histogram.

    Not probes and scrapes, nor a streaming route (the live feed): its duration is how long the
    client stayed connected, and its "p99" would be hours, hiding the real routes' latency.
    """
    if getattr(route, "path", None) in UNTIMED_ROUTES:
        return False
    response_class = getattr(route, "response_class", None)
    return not (isinstance(response_class, type) and issubclass(response_class, StreamingResponse))


class ObservabilityMiddleware:
    """Sets the correlation id and records request count and latency by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The request counter and latency histogram (None when untimed) of each (method, route,
        # status): ``labels()`` validates and locks on every call, and the set a service answers is small.
        self._meters: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _record(self, method: str, route: Any, status: int, seconds: float) -> None:
        key = (method, getattr(route, "path", "unmatched"), status)
        meters = self._meters.get(key)
        if meters is None:
            template = key[1]
            meters = self._meters[key] = (
                HTTP_REQUESTS.labels(method, template, str(status)),
                HTTP_LATENCY.labels(method, template) if is_timed(route) else None,
            )
        counter, histogram = meters
        counter.inc()
        if histogram is not None:
            histogram.observe(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = [value for name, value in scope["headers"] if name == CORRELATION_HEADER]
        correlation_id = _correlation_id(incoming)
        token = correlation_id_var.set(correlation_id)
        status = 500
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((CORRELATION_HEADER, correlation_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._record(scope["method"], scope.get("route"), status, time.perf_counter() - started)
            correlation_id_var.reset(token)


def _correlation_id(sent: list[bytes]) -> str:
    """The caller's id when exactly one well-formed id was sent, else a new one."""
    if len(sent) == 1 and WELL_FORMED_CORRELATION_ID.fullmatch(sent[0]):
        return sent[0].decode()
    # 128 random bits as hex, as uuid4().hex wrote them but for its version marks: a UUID object
    # a request cost ~4x the bytes alone (bench/README.md, session 13).
    return os.urandom(16).hex()


def client_address(request: Request) -> str | None:
    """The address a request came from (for the audit trail and citizens' rate limits).

    Behind a configured proxy the server has already put the forwarded client here
    (``trusted_proxy_addresses``, see ``shared.runtime``); nothing else may name it.
    """
    # The scope's pair, as ``request.client`` reads it, without the named tuple it makes of it
    # (~6,800 instructions a submission; callgrind, session 26).
    client = request.scope.get("client")
    return client[0] if client is not None else None


_JSON_CONTENT_TYPE = (b"content-type", b"application/json")


class JsonBytesResponse(Response):
    """JSON already written, answered with the very headers Starlette's ``Response`` gives it
    (``content-length``, then ``content-type: application/json``), set at once: its ``render`` and
    ``init_headers`` cost a hot route's answer ~6,800 instructions more (callgrind, session 26)."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", str(len(body)).encode("latin-1")), _JSON_CONTENT_TYPE]


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """The model as JSON, serialized once by pydantic.

    The hot routes (submissions, scorecards, dashboards) return this instead of the model: FastAPI
    would otherwise dump the returned model and validate it against ``response_model`` again before
    serializing it. The documented schema still comes from the route's ``response_model``.
    """
    return JsonBytesResponse(model.model_dump_json().encode(), status_code)


async def check_readiness(checks: dict[str, ReadinessCheck]) -> dict[str, str]:
    """Run every check at once (2 s each at most): check name -> "ok" or why not."""
    results = await asyncio.gather(
        *(asyncio.wait_for(check(), timeout=2.0) for check in checks.values()), return_exceptions=True
    )
    report: dict[str, str] = {}
    for name, result in zip(checks, results, strict=True):
        if isinstance(result, BaseException):
            report[name] = f"unreachable: {type(result).__name__}"
        else:
            report[name] = result or "ok"
    return report


#: FastAPI's native OpenTelemetry, off: the platform measures with Prometheus, and left on FastAPI
#: asks the (unconfigured) providers on every request: three environment look-ups, 8-20 µs a
#: request (bench/README.md, session 13). The benchmarks' bare apps use it too, to compare alike.
NATIVE_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    readiness_checks: dict[str, ReadinessCheck],
    max_body_bytes: int = 1024 * 1024,
    lifespan: Any = None,
) -> FastAPI:
    """A FastAPI application with the platform's health, metrics and error conventions."""
    app = LeanApp(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        telemetry=NATIVE_TELEMETRY_OFF,
    )
    # Every API route checks the token before the body and reads the body up to a limit: this
    # one for the service, less where a route class says so (shared.guarded_route).
    app.state.max_body_bytes = max_body_bytes
    app.router.route_class = GuardedRoute
    install_error_handlers(app)
    for router in routers:
        unguarded = [
            r.path for r in router.routes if isinstance(r, APIRoute) and not isinstance(r, GuardedRoute)
        ]
        if unguarded:
            raise TypeError(f"routes {unguarded} must be GuardedRoute: create the router with route_class")
        app.include_router(router)
    # The hot routes ahead of the table, found by their method and path (shared.hot_route).
    app.router.routes.insert(0, HotPaths(route for router in routers for route in router.routes))

    @app.get("/healthz", tags=["ops"], openapi_extra=PUBLIC, summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz", tags=["ops"], openapi_extra=PUBLIC, summary="Database, broker and Redis are reachable"
    )
    async def readyz() -> JSONResponse:
        report = await check_readiness(readiness_checks)
        ready = record_readiness(report)
        return JSONResponse({"ready": ready, "checks": report}, status_code=200 if ready else 503)

    @app.get(
        "/metrics",
        tags=["ops"],
        openapi_extra=PUBLIC,
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        # Readiness is exported as measured now: Prometheus scrapes /metrics, never /readyz.
        record_readiness(await check_readiness(readiness_checks))
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:
        # Built once by FastAPI; the bearer scheme the operations name (shared.route_roles) added.
        if app.openapi_schema is None:
            app.openapi_schema = document_bearer_scheme(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(ObservabilityMiddleware)
    return app
