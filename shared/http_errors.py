"""How every service answers a request it refuses: one JSON error shape, in English and Indonesian.

A ``Refusal`` raised anywhere under a route, a request that fails validation, a value PostgreSQL will not
store, a key another request took meanwhile, an unknown address: each becomes the platform's error
with the status its kind names.
"""

from __future__ import annotations

import logging

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.guarded_route import BodyTooLarge
from shared.i18n import refusal_body
from shared.refusals import Refusal, RefusalKind, database_busy, database_reconnecting
from shared.validation import describe

log = logging.getLogger(__name__)

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

#: What the framework itself refuses, and a fault of ours.
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


#: The refusals of the data errors PostgreSQL raises on values validation let through.
DATA_ERRORS = {
    "22021": Refusal("unstorable_value", "Text must not contain NUL (\\u0000) characters."),
    "22003": Refusal("unstorable_value", "A number is out of the range that can be stored."),
    "22008": Refusal("unstorable_value", "A date or time is out of the range that can be stored."),
    "22000": Refusal("unstorable_value", "A value cannot be stored as sent."),
}


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
