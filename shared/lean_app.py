"""The platform's FastAPI application, without the layers a request passes through for nothing.

FastAPI wraps every application in its native telemetry's exception observer and its body-limit
middleware, and enters the application through two ``__call__``s that ask, on every request, whether
telemetry is on. The platform turns native telemetry off (``shared.http.NATIVE_TELEMETRY_OFF``: it
measures with Prometheus) and sets no application-wide body limit (``GuardedRoute`` bounds each
route's body), so for it these are a call frame each, and a ``send`` or ``receive`` unchanged, on
every request: a few microseconds of a single submission (bench/README.md, session 18). ``LeanApp``
leaves them out when, and only when, they would do nothing; what remains is FastAPI's own stack.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.hot_route import HotPaths

_TELEMETRY_SIGNALS = ("tracing", "metrics", "logs")


class LeanApp(FastAPI):
    """A FastAPI application whose requests skip the telemetry and body-limit layers while both are off."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Each signal off in the configuration: then FastAPI never puts a request's telemetry in its
        # scope, whatever providers are configured later, and the exception observer finds none.
        self._telemetry_off = not any(self._telemetry.get(signal) for signal in _TELEMETRY_SIGNALS)

    def build_middleware_stack(self) -> ASGIApp:
        """FastAPI's stack, its layers that would pass each request on unchanged left out, and the hot
        routes found ahead of its exit stack and router."""
        stack = super().build_middleware_stack()
        hot_paths = self._hot_paths()
        outer = stack
        # ServerErrorMiddleware, then its inner layers down to the router; each ``app`` is the next one in.
        while outer.app is not self.router:  # type: ignore[attr-defined]
            inner = outer.app  # type: ignore[attr-defined]
            if self._idle(inner):
                outer.app = inner.app  # type: ignore[attr-defined]
            elif isinstance(inner, AsyncExitStackMiddleware) and inner.app is self.router and hot_paths:
                outer.app = _HotPathsFirst(inner, self, hot_paths)  # type: ignore[attr-defined]
                break
            else:
                outer = inner
        return stack

    def _hot_paths(self) -> HotPaths | None:
        """The router's ``HotPaths``, if it holds a hot route."""
        for route in self.router.routes:
            if isinstance(route, HotPaths) and (route.routes or route.patterned):
                return route
        return None

    def _idle(self, layer: ASGIApp) -> bool:
        if isinstance(layer, ExceptionTelemetryMiddleware):
            return self._telemetry_off
        if isinstance(layer, AppBodyLimitMiddleware):
            # Without a limit of its own it acts only when a parent application that mounts this
            # one set a limit in the scope; the platform's applications are served, never mounted.
            return self.max_body_size is None
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # An HTTP request goes straight to the stack when telemetry is off, as ``FastAPI.__call__``
        # and ``Starlette.__call__`` would send it; anything else (lifespan) takes their way.
        if scope["type"] != "http" or self.root_path or not self._telemetry_off:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)


class _HotPathsFirst:
    """A hot route's request handed to it at once; any other request to FastAPI's exit stack and router.

    ``HotPaths`` is the router's first route (``create_app`` puts it there), so the router would
    choose the same route; on the way it opens an exit stack for uploaded files (a hot route reads
    JSON; it opens one itself for a request it leaves to FastAPI) and calls the router's telemetry
    and form-limit hooks, which do nothing while telemetry is off (bench/README.md, session 18). The
    scope is what the router leaves in it: the router, the endpoint, the route and its path
    parameters.
    """

    def __init__(self, app: ASGIApp, lean_app: LeanApp, hot_paths: HotPaths) -> None:
        self.app = app
        self._router = lean_app.router
        self._hot_paths = hot_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match, chosen = self._hot_paths.matches(scope)
            if match is Match.FULL:
                if "router" not in scope:
                    scope["router"] = self._router
                scope.update(chosen)
                # The route ``HotPaths.handle`` would hand it to, without its frame on every resume.
                await chosen["route"].handle(scope, receive, send)
                return
        await self.app(scope, receive, send)
