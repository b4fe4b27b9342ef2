"""Wires the web process: settings, Redis sessions, the service clients, pages, routes; and runs it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from types import FrameType
from urllib.parse import quote

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from services.web.access import CsrfRefused, NotAllowed, SignInRequired
from services.web.adapters.drafts import FormDrafts
from services.web.adapters.feed_relay import FeedRelays
from services.web.adapters.oidc import OidcSignIn
from services.web.adapters.regions import RegionDirectory
from services.web.adapters.services_api import ApiProblem, Service, ServiceApis, ServiceUnreachable
from services.web.adapters.sessions import SessionStore
from services.web.adapters.submissions import SubmissionGuard
from services.web.context import WebContext
from services.web.entrypoints import account, citizens, employees, home, raters, sign_in
from services.web.pages import STATIC_DIR, Pages
from services.web.security import SecurityHeadersMiddleware, content_security_policy
from services.web.settings import WebSettings
from shared.http import ReadinessCheck, create_app
from shared.observability import configure_logging
from shared.redis_client import connect_redis
from shared.serving import GracefulServer, inherited_sockets, server_config

log = logging.getLogger(__name__)

ROUTERS = (
    home.router,
    sign_in.router,
    account.router,
    *citizens.ROUTERS,
    *employees.ROUTERS,
    *raters.ROUTERS,
)


def build_context(
    settings: WebSettings, *, transports: Mapping[Service, httpx.AsyncBaseTransport] | None = None
) -> WebContext:
    """The process's adapters (the one place that builds them); tests may route calls in process."""
    redis = connect_redis(settings)
    apis = ServiceApis(settings, transports=transports)
    return WebContext(
        settings=settings,
        redis=redis,
        sessions=SessionStore(redis, idle_seconds=settings.session_idle_seconds),
        apis=apis,
        regions=RegionDirectory(apis, cache_seconds=settings.region_cache_seconds),
        oidc=OidcSignIn(settings, httpx.AsyncClient(timeout=settings.api_timeout_seconds)),
        pages=Pages(secret_key=settings.web_secret_key, development_sign_in=settings.development_sign_in),
        submissions=SubmissionGuard(redis),
        drafts=FormDrafts(redis),
        feeds=FeedRelays(queue_size=settings.feed_relay_queue),
    )


def build_app(web: WebContext) -> FastAPI:
    """The web application bound to a context."""

    async def redis_ready() -> str | None:
        await web.redis.ping()
        return None

    async def services_ready() -> str | None:
        report = await web.apis.ready()
        down = sorted(name for name, state in report.items() if state != "ok")
        return f"not answering: {', '.join(down)}" if down else None

    checks: dict[str, ReadinessCheck] = {"redis": redis_ready, "services": services_ready}
    app = create_app(
        title="Kinerja web",
        description="Pages for citizens, employees, raters and offices, over the services' public APIs.",
        routers=ROUTERS,
        readiness_checks=checks,
        max_body_bytes=8 * 1024 * 1024,
    )
    app.state.web = web
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Pages, scripts and styles travel compressed: a phone on a slow line loads a third of the bytes.
    app.add_middleware(GZipMiddleware, minimum_size=500)
    issuers = [provider.issuer for provider in web.settings.oidc_providers.values()]
    app.add_middleware(
        SecurityHeadersMiddleware,
        csp=content_security_policy(issuers),
        https=web.settings.web_public_url.startswith("https://"),
    )
    install_page_errors(app, web)
    return app


def install_page_errors(app: FastAPI, web: WebContext) -> None:
    """Refusals and failures as pages a person can act on, in their language."""
    pages = web.pages

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        target = f"/masuk?next={quote(exc.next_path, safe='')}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, _: NotAllowed) -> Response:
        return pages.render(request, "errors/not_allowed.html", status_code=403)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: CsrfRefused) -> Response:
        return pages.render(request, "errors/form_expired.html", status_code=403)

    @app.exception_handler(ServiceUnreachable)
    async def unreachable(request: Request, _: ServiceUnreachable) -> Response:
        return pages.render(
            request, "errors/unavailable.html", status_code=503, headers={"Retry-After": "30"}
        )

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        if exc.status == 404:
            return pages.not_found(request)
        if exc.status == 429:
            return pages.render(
                request, "errors/too_many.html", {"retry_after": exc.retry_after or 60}, status_code=429
            )
        log.warning(
            "a service refused a page's call", extra={"fields": {"status": exc.status, "code": exc.code}}
        )
        status = 503 if exc.status >= 500 else 400
        return pages.render(request, "errors/problem.html", {"problem": exc}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return pages.not_found(request)
        if exc.status_code == 405:
            return pages.not_found(request, status_code=405)
        return pages.render(request, "errors/problem.html", {"problem": None}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, _: RequestValidationError) -> Response:
        # Forms are read and checked by the pages themselves; this is a mangled address or query.
        return pages.not_found(request)


class WebServer(GracefulServer):
    """Uvicorn that ends the open live feed relays first when told to stop: it waits for every open
    response before it stops, and a relayed feed stays open for hours."""

    def __init__(self, config: uvicorn.Config, web: WebContext) -> None:
        super().__init__(config)
        self.web = web

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.web.feeds.stop_all()
        super().handle_exit(sig, frame)


async def run_web(settings: WebSettings | None = None) -> None:
    """Serve the web process until SIGINT or SIGTERM."""
    settings = settings or WebSettings()
    configure_logging(service=settings.service_name, level=settings.log_level, json=settings.log_json)
    web = build_context(settings)
    config = server_config(build_app(web), settings)
    log.info("web started", extra={"fields": {"port": settings.http_port}})
    try:
        await WebServer(config, web).serve(sockets=inherited_sockets(settings.http_socket_fd))
    finally:
        await web.apis.aclose()
        await web.redis.aclose()
        log.info("web stopped")


def main() -> None:
    """Entry point used by ``kinerja serve web``."""
    asyncio.run(run_web())
