"""The HTTP shell every service shares: health, readiness, metrics, correlation ids and clear errors."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.guarded_route import BodyTooLarge, GuardedRoute
from shared.hot_route import HotPaths
from shared.i18n import refusal_body
from shared.lean_app import LeanApp
from shared.observability import HTTP_LATENCY, HTTP_REQUESTS, correlation_id_var, record_readiness
from shared.refusals import Refusal, RefusalKind, database_busy, database_reconnecting
from shared.route_roles import document_bearer_scheme
from shared.validation import describe

log = logging.getLogger(__name__)

#: A readiness check returns None when healthy, or a short reason.
ReadinessCheck = Callable[[], Awaitable[str | None]]

#: Operations that deliberately need no token declare an empty security requirement.
PUBLIC: dict[str, Any] = {"security": []}

CORRELATION_HEADER = "x-correlation-id"

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


#: What a refusal's kind answers.
STATUS_OF_KIND = {
    RefusalKind.INVALID: 422,
    RefusalKind.CONFLICT: 409,
    RefusalKind.FORBIDDEN: 403,
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.TOO_LARGE: 413,
    RefusalKind.UNSUPPORTED_TYPE: 415,
    RefusalKind.UNAUTHENTICATED: 401,
    RefusalKind.RATE_LIMITED: 429,
    RefusalKind.UNAVAILABLE: 503,
}


def refusal_response(refusal: Refusal, status_code: int | None = None) -> JSONResponse:
    """The platform's one error shape for a refusal, in English and Indonesian.

    A 401 names the scheme to authenticate with; a refusal of the moment says when to try again.
    """
    status = status_code or STATUS_OF_KIND[refusal.kind]
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after is not None else {}
    if refusal.kind is RefusalKind.UNAUTHENTICATED:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": refusal_body(refusal)}, status_code=status, headers=headers or None)


#: PostgreSQL's unique violation, and the conflicts it resolves by failing one transaction.
UNIQUE_VIOLATION = "23505"
TRANSIENT_CONFLICTS = frozenset({"40001", "40P01"})  # serialization failure, deadlock

ALREADY_EXISTS = Refusal(
    "already_exists",
    "This was just created by another request; reload it instead of creating it again.",
    kind=RefusalKind.CONFLICT,
)
CONCURRENT_UPDATE = Refusal(
    "concurrent_update",
    "Another change to the same data was saved at the same moment; send the request again.",
    kind=RefusalKind.UNAVAILABLE,
    retry_after=1,
)


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
        incoming = [value for name, value in scope["headers"] if name == b"x-correlation-id"]
        correlation_id = _correlation_id(incoming)
        token = correlation_id_var.set(correlation_id)
        status = 500
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-correlation-id", correlation_id.encode()))
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


#: The refusals of the data errors PostgreSQL raises on values validation let through.
DATA_ERRORS = {
    "22021": Refusal("unstorable_value", "Text must not contain NUL (\\u0000) characters."),
    "22003": Refusal("unstorable_value", "A number is out of the range that can be stored."),
    "22008": Refusal("unstorable_value", "A date or time is out of the range that can be stored."),
    "22000": Refusal("unstorable_value", "A value cannot be stored as sent."),
}


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


def install_error_handlers(app: FastAPI) -> None:
    """Every caller mistake becomes a JSON error naming the field and the reason."""

    @app.exception_handler(DBAPIError)
    @app.exception_handler(asyncpg.PostgresError)
    async def data_error(_: Request, exc: Exception) -> JSONResponse:
        # Validation should catch bad values first; this is the net for those PostgreSQL itself
        # refuses (SQLSTATE class 22: NUL characters, out-of-range numbers or dates). Anything
        # else is a fault of ours and stays a 500. Paths on the driver itself raise its errors.
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            # A pooled connection the database dropped (a restart): it is replaced; send again.
            return refusal_response(database_reconnecting())
        origin = exc.orig if isinstance(exc, DBAPIError) else exc
        sqlstate = getattr(origin, "sqlstate", None) or getattr(origin, "pgcode", None)
        if sqlstate == UNIQUE_VIOLATION:
            # Two requests created the same thing at the same moment, each having checked first and
            # found nothing: the one that lost is told so instead of a 500. Logged with the key, in
            # case a 409 ever stands for a key the code should have checked.
            log.warning(
                "unique key taken meanwhile: answered 409",
                extra={"fields": {"constraint": getattr(origin, "constraint_name", None)}},
            )
            return refusal_response(ALREADY_EXISTS)
        if sqlstate in TRANSIENT_CONFLICTS:
            return refusal_response(CONCURRENT_UPDATE)
        if not (isinstance(sqlstate, str) and sqlstate.startswith("22")):
            raise exc
        return refusal_response(DATA_ERRORS.get(sqlstate, DATA_ERRORS["22000"]))

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every pooled connection stayed busy for the pool's whole wait (the pool opens none
        # beyond its size): what needed the connection never ran, so the client may send again.
        log.warning("no free database connection: answered 503", extra={"fields": {"path": request.url.path}})
        return refusal_response(database_busy())

    @app.exception_handler(Refusal)
    async def refused(_: Request, refusal: Refusal) -> JSONResponse:
        return refusal_response(refusal)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return refusal_response(exc.refusal)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            return refusal_response(UNPARSABLE_JSON)
        content_type = request.headers.get("content-type")
        if content_type and "json" not in content_type and any(e.get("loc") == ("body",) for e in errors):
            # The route reads JSON and was sent something else: FastAPI did not even parse it.
            return refusal_response(JSON_EXPECTED)
        return JSONResponse({"error": describe(errors, skip=1)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # What the framework itself refuses: an unknown address, a method the address does not
        # take, a body its parsers cannot read (multipart), each in the platform's shape.
        if exc.status_code == 404:
            response = refusal_response(NO_SUCH_ROUTE)
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            response = refusal_response(
                Refusal(
                    "method_not_allowed",
                    "%(method)s is not accepted at this address; it accepts %(allowed)s.",
                    params={"method": request.method, "allowed": allowed},
                ),
                405,
            )
        elif exc.status_code == 400:
            response = refusal_response(
                Refusal(
                    "unreadable_body",
                    "The request body could not be read: %(detail)s",
                    params={"detail": exc.detail},
                ),
                400,
            )
        else:
            response = refusal_response(
                Refusal(
                    "request_refused",
                    "The request was refused (status %(status)s): %(detail)s",
                    params={"detail": exc.detail, "status": exc.status_code},
                ),
                exc.status_code,
            )
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the exception and re-raises it after this answer; the caller sees the shape.
        return refusal_response(INTERNAL_ERROR, 500)


UNPARSABLE_JSON = Refusal("invalid_json", "The request body is not valid JSON.")
JSON_EXPECTED = Refusal(
    "unsupported_media_type",
    "This address reads a JSON body: send it with Content-Type: application/json.",
    kind=RefusalKind.UNSUPPORTED_TYPE,
)
NO_SUCH_ROUTE = Refusal(
    "no_such_route", "There is no such address on this service; see /docs.", kind=RefusalKind.NOT_FOUND
)
INTERNAL_ERROR = Refusal(
    "internal_error", "Something went wrong on our side; it has been logged. Try again later."
)


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
