"""The web process in this event loop, calling in-process services (real PostgreSQL, Redis, broker).

``web_stack`` starts planning (with its relay) and feedback (with its consumer), so a region created
through planning's API reaches feedback's public directory as in production; ``staff_web_stack``
adds reporting and scoring with the consumers and relays that carry plans and activity on. The web
app calls planning, feedback and scoring through ASGI transports and reporting over real HTTP
(uvicorn on a free port: its live feed streams, which an ASGI transport cannot); the web app is
driven through a transport over ``https://`` so its Secure cookies flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from services.web.adapters.services_api import Service
from services.web.bootstrap import WebServer, build_app, build_context
from services.web.context import WebContext
from services.web.settings import WebSettings
from tests.conftest import auth, new_region_id, wait_until

#: Loopback addresses, one per web stack (127.0.1.1, 127.0.1.2, ...).
_WEB_ADDRESSES: Iterator[str] = (f"127.0.{1 + n // 250}.{1 + n % 250}" for n in itertools.count())

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class WebStack:
    """The web app, its context and the services behind it."""

    web: WebContext
    client: httpx.AsyncClient
    services: dict[str, Any]
    make_token: Callable[..., str]

    @property
    def app(self) -> ASGIApp:
        """The web application."""
        app: ASGIApp = self.client._transport.app  # type: ignore[attr-defined]
        return app

    def browser(self, address: str = "203.0.113.9") -> httpx.AsyncClient:
        """A new browser (its own cookie jar) calling from ``address``."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(address, 50000)),
            base_url="https://web.test",
            follow_redirects=False,
        )

    async def create_region(self, *, timezone: str = "Asia/Jayapura", units: int = 1) -> dict[str, Any]:
        """A region with units, a head and a staff member per unit, created through planning's API."""
        planning = self.services["planning"].client
        region = new_region_id()
        response = await planning.post(
            "/v1/regions",
            json={"region_id": region, "name": f"Distrik {region}", "timezone": timezone},
            headers=auth(self.make_token("platform_admin")),
        )
        response.raise_for_status()
        admin = auth(self.make_token("region_admin", region=region))
        unit_ids = []
        for index in range(units):
            unit = await planning.post(
                "/v1/units", json={"code": f"u{index}", "name": f"Dinas Uji {index}"}, headers=admin
            )
            unit.raise_for_status()
            unit_id = unit.json()["unit_id"]
            unit_ids.append(unit_id)
            for person, supervisor in (("kepala", None), ("1", f"{region}-{index}-kepala")):
                employee = await planning.post(
                    "/v1/employees",
                    json={
                        "employee_id": f"{region}-{index}-{person}",
                        "nip": f"19900101{2015 + index}031{2 * index + (person != 'kepala') + 1:03d}",
                        "name": f"Pegawai {person.title()} {index}",
                        "unit_id": unit_id,
                        "position": "Kepala Dinas" if supervisor is None else "Petugas Loket",
                        "job_type": "head" if supervisor is None else "front_office_clerk",
                        "supervisor_id": supervisor,
                        "effective_from": "2026-01-01",
                    },
                    headers=admin,
                )
                assert employee.status_code == 201, employee.text

        async def known_to_feedback() -> bool:
            answer = await self.services["feedback"].client.get(f"/v1/public/regions/{region}")
            return answer.status_code == 200 and len(answer.json()["units"]) == units

        await wait_until(known_to_feedback, timeout=30)
        return {"region_id": region, "unit_ids": unit_ids}


async def declare_service_and_tickets(
    stack: WebStack, region: str, unit_id: str, *, count: int = 1
) -> list[dict[str, Any]]:
    """A rated service "ktp-el" of the unit and ``count`` tickets for it (as the region's HR would)."""
    feedback = stack.services["feedback"].client
    admin = auth(stack.make_token("region_admin", region=region))
    declared = await feedback.post(
        f"/v1/units/{unit_id}/services",
        json={"service_id": "ktp-el", "name": "Perekaman KTP-el"},
        headers=admin,
    )
    assert declared.status_code == 201, declared.text
    issued = await feedback.post(
        f"/v1/units/{unit_id}/service-tickets", json={"service_id": "ktp-el", "count": count}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    tickets: list[dict[str, Any]] = issued.json()["tickets"]
    return tickets


def form_fields(page: str) -> dict[str, str]:
    """The hidden fields of the page's form (CSRF token, submission id, region, unit, ticket)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    """Open a page and read the CSRF token its form carries."""
    page = await client.get(path)
    assert page.status_code == 200, page.text[:500]
    match = CSRF.search(page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(app: ASGIApp, server_class: type[uvicorn.Server] = uvicorn.Server) -> AsyncIterator[str]:
    """``app`` behind uvicorn on a free port in this event loop; yields its address."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    server = server_class(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await wait_until(started, timeout=10, interval=0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


@asynccontextmanager
async def served_web(stack: WebStack) -> AsyncIterator[tuple[str, WebServer]]:
    """The stack's web app served by ``WebServer`` on a port of its own (streams, stopping it); yields
    its address and the server (``handle_exit`` stops it as SIGTERM would, leaving pytest's signals)."""
    servers: list[WebServer] = []

    class InThisTest(WebServer):
        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config, stack.web)
            servers.append(self)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    async with serving(stack.app, InThisTest) as address:
        yield address, servers[0]


@asynccontextmanager
async def running_web(
    planning: Any,
    feedback: Any,
    make_token: Callable[..., str],
    settings: WebSettings,
    *,
    scoring: Any = None,
    reporting: Any = None,
) -> AsyncIterator[WebStack]:
    """The web app with ``settings``, calling the given in-process services (reporting over HTTP)."""
    transports: dict[Service, httpx.AsyncBaseTransport] = {
        Service.PLANNING: httpx.ASGITransport(app=planning.app),
        # Each stack calls feedback from an address of its own: the web app's reads of feedback's
        # public directory count against that address's rate limit, kept in the session's Redis, so
        # the many stacks of one test session would otherwise share one budget and meet its 429.
        Service.FEEDBACK: httpx.ASGITransport(app=feedback.app, client=(next(_WEB_ADDRESSES), 50000)),
    }
    if scoring is not None:
        transports[Service.SCORING] = httpx.ASGITransport(app=scoring.app)
    web = build_context(settings, transports=transports)
    app = build_app(web)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.1", 50000)), base_url="https://web.test"
    )
    try:
        yield WebStack(
            web=web,
            client=client,
            services={
                name: service
                for name, service in (
                    ("planning", planning),
                    ("feedback", feedback),
                    ("reporting", reporting),
                    ("scoring", scoring),
                )
                if service is not None
            },
            make_token=make_token,
        )
    finally:
        await client.aclose()
        await web.apis.aclose()
        await web.redis.aclose()


@pytest.fixture
async def web_stack(start_service, make_token, data_dir) -> AsyncIterator[WebStack]:
    """Planning and feedback in process, and the web app calling them (the citizens' pages)."""
    planning = await start_service("planning", relay=True)
    feedback = await start_service("feedback", consumer=True)
    settings = WebSettings(data_dir=data_dir, region_cache_seconds=0, log_json=False)
    async with running_web(planning, feedback, make_token, settings) as stack:
        yield stack


@pytest.fixture
async def staff_web_stack(start_service, make_token, data_dir) -> AsyncIterator[WebStack]:
    """The four services in process, and the web app calling them (the pages of employees and raters).

    Reporting learns plans and teams from planning, scoring from both; each consumer's first join
    of its group costs the broker about ten seconds, so the citizens' pages keep ``web_stack``.
    """
    planning = await start_service("planning", relay=True)
    feedback = await start_service("feedback", consumer=True)
    reporting = await start_service("reporting", consumer=True, relay=True)
    scoring = await start_service("scoring", consumer=True)
    async with serving(reporting.app) as reporting_url:
        settings = WebSettings(
            data_dir=data_dir, region_cache_seconds=0, log_json=False, reporting_url=reporting_url
        )
        async with running_web(
            planning, feedback, make_token, settings, scoring=scoring, reporting=reporting
        ) as stack:
            yield stack
