"""Routes that refuse before they read: the caller's token first, a NUL in the URL, then a body bounded
whatever its framing.

FastAPI reads and parses a request's body before it resolves the route's dependencies, the token
check among them: a caller without a token could make a service read (and parse) tens of megabytes
before its 401, and a body sent in chunks, without ``Content-Length``, was read in full whatever
the limit. Every API route of the platform is a ``GuardedRoute``: once routing has chosen it, the
token is checked against the route's declared roles, and the body stream is counted as it arrives,
ending with a 413 as soon as it passes the route's limit. The caller it admitted is left in the
request's scope for the route's dependencies, which so verify no token a second time.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from shared.auth import Principal
from shared.refusals import Refusal, RefusalKind
from shared.request_values import refuse_nul_in_url
from shared.route_roles import ADMITTED, admit, bearer_token, declared_roles


class BodyTooLarge(HTTPException):
    """The body passed its route's limit.

    An ``HTTPException`` on purpose: it is raised from the body stream while FastAPI reads it, and
    FastAPI turns any other error there into a 400 "error parsing the body".
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.refusal = Refusal(
            "too_large",
            "The request body is larger than %(limit)s bytes.",
            kind=RefusalKind.TOO_LARGE,
            params={"limit": limit},
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class GuardedRoute(APIRoute):
    """An API route that checks the token before the body, and reads the body only up to its limit."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.required_roles = declared_roles(self.dependant)

    def body_limit(self, scope: Scope) -> int:
        """The most bytes this route reads: the service's limit unless a route class says less."""
        limit: int = scope["app"].state.max_body_bytes
        return limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a missing or insufficient token, then pass on a body stream that stops at the limit."""
        if scope["type"] != "http" or scope["method"] not in (self.methods or ()):
            await super().handle(scope, receive, send)  # a 405, answered by FastAPI
            return
        await self.admit(scope)
        refuse_nul_in_url(scope)
        await super().handle(scope, self.bounded(scope, receive), send)

    async def admit(self, scope: Scope) -> Principal | None:
        """The caller, admitted by the route's roles (401, 403 otherwise) and left in the scope for the
        route's dependencies; None for a route that needs no token."""
        if self.required_roles is None:
            return None
        verifier = scope["app"].state.token_verifier
        # The route's own ``require_roles`` (and ``Caller``) take the caller from here.
        principal = scope[ADMITTED] = await admit(verifier, bearer_token(scope), self.required_roles)
        return principal

    def bounded(self, scope: Scope, receive: Receive) -> Receive:
        """The request's body stream, ending in ``BodyTooLarge`` once it passes the route's limit
        (at once when the declared length does)."""
        limit = self.body_limit(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            raise BodyTooLarge(limit)
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        return bounded_receive
