"""Hot routes: the busiest endpoints served without FastAPI's dependency solving and response machinery.

FastAPI spends on every request about what a bare endpoint costs whole: a ``Request``, two
``AsyncExitStack``s, the exception wrapper, ``solve_dependencies`` over the route's parameters and
dependencies, then the response's handling (bench/README.md, session 10). A route declared with
``hot_route`` is an ordinary FastAPI route to everything but its requests: it is in the route table
with its roles (the access tests read them), in the OpenAPI document with its body, parameters and
``response_model``, and a ``GuardedRoute`` (the token checked before the body, the body bounded).
Its requests take a lean path instead:

1. the caller is admitted by the route's roles (401 and 403 as on every route), and a NUL in its
   URL refused (422, as on every route);
2. the body is read up to the route's limit (413 past it);
3. a JSON body (``Content-Type: application/json``) is parsed into the values Starlette's
   ``json.loads`` gives (by orjson where the two agree: ``_json_values``) and validated by the
   route's own body field, and path and query parameters by FastAPI's own
   ``request_params_to_args``: the same values FastAPI would give. A route declared with a
   ``body_from_json`` has its body read by it first, from the JSON text in one pass (pydantic's
   ``model_validate_json``: no dicts between); when it gives None, the body is read as above;
4. the endpoint is called with them, the admitted caller as its ``require_roles`` argument and the
   ``Request``, and the ``Response`` it returns (a hot endpoint answers a ``Response``, e.g.
   ``shared.http.json_response``) is sent as it is.

Whatever the lean path does not take (a body that is not JSON, or empty, or does not validate; a
parameter that does not), FastAPI's own handling answers, the body read replayed to it: every
refusal is the very answer of an ordinary route (422 naming the field in both languages, 415,
400). An error the endpoint raises goes to the application's handlers as any route's does.

What a hot endpoint may take: one JSON body model (not embedded, not a form), path and query
parameters, ``Request``, and one dependency: its ``require_roles`` (with no sub-dependency). The
route refuses anything else when it is declared (``TypeError``), so nothing is silently skipped.
The router including it must add no dependencies of its own.

``create_app`` puts ``HotPaths`` first among the application's routes: a hot route of a fixed path
is found by its method and path in one look-up, not by FastAPI's routing table.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from functools import partial
from typing import Any, TypeVar, cast

import orjson
from fastapi import APIRouter, params
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.dependencies.utils import _get_param_aliases, _get_param_model, request_params_to_args
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.guarded_route import GuardedRoute
from shared.request_values import refuse_nul_in_url
from shared.route_roles import allowed_roles_of

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])

#: The content types the lean path parses; any other (``+json`` types, a charset it would have to
#: interpret) is left to FastAPI, which answers it as it always has.
_JSON_TYPES = frozenset({b"application/json", b"application/json; charset=utf-8"})


class _NotTaken(Exception):
    """The lean path does not take this request: FastAPI's own handling answers it."""


class HotRoute(GuardedRoute):
    """A ``GuardedRoute`` whose requests skip FastAPI's dependency solving and response handling."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        dependant = self.dependant
        refused = [
            what
            for what, present in (
                ("header parameters", dependant.header_params),
                ("cookie parameters", dependant.cookie_params),
                ("an embedded or form body", self._embed_body_fields or _is_form(self)),
                ("a Response, BackgroundTasks or SecurityScopes parameter", _special_parameters(self)),
            )
            if present
        ]
        roles = [
            d for d in dependant.dependencies if allowed_roles_of(d.call) is not None and not d.dependencies
        ]
        if len(roles) != 1 or len(dependant.dependencies) != 1 or roles[0].name is None:
            refused.append("dependencies other than its one require_roles")
        if refused:
            raise TypeError(f"hot route {path} cannot take {', '.join(refused)}")
        self._role_parameter: str = str(roles[0].name)
        self._request_parameter = dependant.request_param_name
        self._body_name = self.body_field.name if self.body_field is not None else None
        self._path_fields = _plain_fields(dependant.path_params)
        self._query_fields = _plain_fields(dependant.query_params)
        self._body_from_json = _BODIES_FROM_JSON.get(endpoint)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admit, read the bounded body, call the endpoint with what FastAPI would give it; what the
        lean path does not take is answered by FastAPI, the body replayed."""
        if scope["type"] != "http" or scope["method"] not in (self.methods or ()):
            await _by_fastapi(super().handle, scope, receive, send)  # a 405, answered by FastAPI
            return
        principal = await self.admit(scope)
        refuse_nul_in_url(scope)
        read: list[Message] = []
        body = await _read_body(self.bounded(scope, receive), read)
        try:
            arguments = self._arguments(scope, body)
        except _NotTaken:
            await _by_fastapi(partial(APIRoute.handle, self), scope, _replaying(read, receive), send)
            return
        arguments[self._role_parameter] = principal
        if self._request_parameter is not None:
            arguments[self._request_parameter] = Request(scope, receive)
        response = await self.endpoint(**arguments)
        if not isinstance(response, Response):
            raise TypeError(f"hot route {self.path} must answer a Response, not {type(response).__name__}")
        await response(scope, receive, send)

    def _arguments(self, scope: Scope, body: bytes | None) -> dict[str, Any]:
        """The endpoint's body and parameters as FastAPI validates them; ``_NotTaken`` if any fails."""
        arguments: dict[str, Any] = {}
        if self.body_field is not None:
            if body is None or _content_type(scope) not in _JSON_TYPES:
                raise _NotTaken
            assert self._body_name is not None
            model = self._body_from_json(body) if self._body_from_json is not None else None
            if model is None:
                try:
                    value = _json_values(body)
                except (ValueError, RecursionError):  # nested past the parser's depth: FastAPI's 400
                    raise _NotTaken from None
                model, errors = self.body_field.validate(value, loc=("body",))
                if errors:
                    raise _NotTaken
            arguments[self._body_name] = model
        # The query string parsed only for a route that takes query parameters (submissions take none).
        for fields, plain, received in (
            (self.dependant.path_params, self._path_fields, lambda: scope.get("path_params", {})),
            (self.dependant.query_params, self._query_fields, lambda: QueryParams(scope["query_string"])),
        ):
            if fields:
                arguments |= _validated(fields, plain, received())
        return arguments


class HotPaths(BaseRoute):
    """The application's hot routes, found ahead of its routing table.

    FastAPI matches an included router's route twice per request (once to choose the router, once
    to handle), trying each route's pattern in turn: more than a tenth of a hot request's time in
    process. Put first in the application's routes (``create_app`` does), this answers a request for
    the method and path of a hot route: a fixed path by one look-up, a path with parameters by its
    own pattern (its parameters converted as the table converts them); any other request goes on to
    the table as before. A hot path that another route of the same method could also match is left
    to the table, whose order decides.
    """

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        candidates = [r for r in routes if isinstance(r, APIRoute)]
        self.routes: dict[tuple[str, str], HotRoute] = {}
        #: Hot routes with path parameters, by method.
        self.patterned: dict[str, list[HotRoute]] = {}
        for route in candidates:
            if not isinstance(route, HotRoute):
                continue
            methods = route.methods or set()
            shadowed = any(
                other is not route and methods & (other.methods or set()) and _may_match_alike(route, other)
                for other in candidates
            )
            if shadowed:
                continue
            for method in methods:
                if route.param_convertors:
                    self.patterned.setdefault(method, []).append(route)
                else:
                    self.routes[(method, route.path)] = route

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Full for a hot route's method and path (no root path), else none."""
        if scope["type"] == "http" and not scope.get("root_path"):
            path = scope["path"]
            route = self.routes.get((scope["method"], path))
            if route is not None:
                return Match.FULL, {"endpoint": route.endpoint, "route": route, "path_params": {}}
            for route in self.patterned.get(scope["method"], ()):
                found = route.path_regex.match(path)
                if found is not None:
                    convertors = route.param_convertors
                    parameters = {
                        name: convertors[name].convert(value) for name, value in found.groupdict().items()
                    }
                    return Match.FULL, {"endpoint": route.endpoint, "route": route, "path_params": parameters}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The hot route ``matches`` chose."""
        route: HotRoute = scope["route"]
        await route.handle(scope, receive, send)


def _may_match_alike(route: APIRoute, other: APIRoute) -> bool:
    """Whether some path could match both routes: segment by segment, two fixed segments differ only
    when they are different text (a parameter may match anything, a ``:path`` one many segments)."""
    if not route.param_convertors:
        return other.path_regex.match(route.path) is not None
    mine, theirs = route.path_format.split("/"), other.path_format.split("/")
    if ":path" in route.path or ":path" in other.path or len(mine) != len(theirs):
        return ":path" in route.path or ":path" in other.path
    return all(a == b or "{" in a or "{" in b for a, b in zip(mine, theirs, strict=True))


#: Reads a route's body from its JSON text, or gives None to leave it to the usual reading.
BodyFromJson = Callable[[bytes], Any | None]

#: Each hot endpoint's ``body_from_json``, by endpoint: FastAPI makes a route anew when a router is
#: included, from its endpoint and its class, not from what that class was given.
_BODIES_FROM_JSON: dict[Callable[..., Any], BodyFromJson] = {}


def hot_route(
    router: APIRouter, method: str, path: str, *, body_from_json: BodyFromJson | None = None, **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """Declare ``path`` on ``router`` as a ``HotRoute`` (the options as ``router.post`` takes them).

    ``body_from_json``: reads the body from its JSON text in one pass, the endpoint's body argument
    when it gives one; it must give None for any body the route's own reading would refuse or read
    otherwise (which then answers as before), so a test should hold the two readings equal.
    """

    def declare(endpoint: Endpoint) -> Endpoint:
        if body_from_json is not None:
            _BODIES_FROM_JSON[endpoint] = body_from_json
        router.add_api_route(path, endpoint, methods=[method], route_class_override=HotRoute, **options)
        return endpoint

    return declare


async def _by_fastapi(handle: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """FastAPI's own handling, with the exit stack for uploaded files its request handler requires:
    the application's, or one of its own when the request came past it (``shared.lean_app``)."""
    if _FILE_STACK in scope:
        await handle(scope, receive, send)
        return
    async with AsyncExitStack() as files:
        scope[_FILE_STACK] = files
        await handle(scope, receive, send)


#: Where FastAPI's ``AsyncExitStackMiddleware`` leaves the stack its request handler closes files on.
_FILE_STACK = "fastapi_middleware_astack"


async def _read_body(receive: Receive, read: list[Message]) -> bytes | None:
    """The whole body (None when it is empty or the client left), each message kept in ``read``."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            return None  # the client left: FastAPI's handling meets the same message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            body = b"".join(chunks)
            return body or None


def _replaying(read: list[Message], receive: Receive) -> Receive:
    """The messages already read, then the request's own stream."""
    pending = list(read)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


#: Digits all read as ``0``, to find a run of 19 of them by one fast search.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19
#: What may come before a value in JSON (whitespace aside): where a number's first digit may stand.
_BEFORE_A_VALUE = frozenset(b":[,")
_WHITESPACE = frozenset(b" \t\r\n")


def _has_long_integer(body: bytes) -> bool:
    """Whether the body may hold a number with 19 digits or more before any point: an integer that
    orjson reads as a float past 64 bits, where ``json.loads`` keeps it whole. A run of digits within
    a string (an id of hex digits) counts only when it follows what a value follows, rarely."""
    masked = body.translate(_DIGITS_AS_ZERO)
    found = masked.find(_NINETEEN_DIGITS)
    while found != -1:
        before = found - 1
        if before >= 0 and masked[before] == ord("-"):
            before -= 1
        while before >= 0 and masked[before] in _WHITESPACE:
            before -= 1
        if before < 0 or masked[before] in _BEFORE_A_VALUE:
            return True
        found = masked.find(_NINETEEN_DIGITS, found + len(_NINETEEN_DIGITS))
    return False


def _json_values(body: bytes) -> Any:
    """The body's JSON as Starlette's ``Request.json()`` reads it (``json.loads``), big numbers too.

    Read by orjson where it gives the same values, 2.5 to 4 times faster (a submission's body, a
    batch's items): orjson refuses what else ``json.loads`` takes (NaN, 1e400, lone surrogates,
    UTF-16, a byte-order mark) and reads an integer past 64 bits as a float, so such bodies, and any
    with a number of 19 digits, are read by ``json.loads``. A unit test holds the two equal.
    """
    if not _has_long_integer(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def _content_type(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bytes(value).lower()
    return None


def _is_form(route: APIRoute) -> bool:
    return route.body_field is not None and isinstance(route.body_field.field_info, params.Form)


def _special_parameters(route: APIRoute) -> bool:
    dependant = route.dependant
    return any(
        name is not None
        for name in (
            dependant.response_param_name,
            dependant.background_tasks_param_name,
            dependant.security_scopes_param_name,
            dependant.websocket_param_name,
            dependant.http_connection_param_name,
        )
    )


#: A plain parameter's field, the name the request gives it by, and where its error would point.
_PlainField = tuple[ModelField, str, tuple[str, str]]


def _plain_fields(fields: list[ModelField]) -> list[_PlainField] | None:
    """The fields with their request names when each is one value under one name (no model, no
    list, no alias choices), as ``request_params_to_args`` reads them; else None."""
    plain: list[_PlainField] = []
    for field in fields:
        aliases = _get_param_aliases(field)
        if (
            len(aliases) != 1
            or _get_param_model(field) is not None
            or field_annotation_is_sequence(field.field_info.annotation)
        ):
            return None
        request_name = aliases[0][1]
        plain.append((field, request_name, (cast(params.Param, field.field_info).in_.value, request_name)))
    return plain


def _validated(fields: list[ModelField], plain: list[_PlainField] | None, received: Any) -> dict[str, Any]:
    """The parameters' values as FastAPI validates them; ``_NotTaken`` if any fails. Plain ones
    present are each validated by their field, as ``request_params_to_args`` does after reading
    them (about a tenth of a scorecard's time in process); a missing one, with its default or its
    error, is left to it."""
    values: dict[str, Any] = {}
    if plain is not None:
        for field, name, loc in plain:
            value = received.get(name)
            if value is None:
                break
            values[field.name], errors = field.validate(value, values, loc=loc)
            if errors:
                raise _NotTaken
        else:
            return values
    values, errors = request_params_to_args(fields, received)
    if errors:
        raise _NotTaken
    return values
