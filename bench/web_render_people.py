"""The web render benchmark's people: the demo data loaded as ``make up`` does, and signed-in sessions.

The four services and the web process run as processes of their own; ``kinerja.demo.load_demo``
creates the demo regions through the public APIs, exactly as ``make up`` does. Employees and raters
then sign in through the web process's development sign-in page (``/masuk/demo``), the way a person
does in development, and the benchmark sends their session cookie.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from bench._platform import BenchPlatform, BenchServices, stage
from kinerja.demo import REGIONS, STAFF_PER_UNIT, UNITS, DemoLoad, load_demo
from shared.auth import Role, mint_dev_token

#: The demo region whose people the benchmark signs in as (Papua's: the pages show WIT times).
REGION = "wanggar"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: Until scoring and reporting have applied the demo's events (their consumers run meanwhile).
EVENTS_DEADLINE_SECONDS = 120.0


@dataclass(frozen=True)
class Person:
    """A signed-in demo user: the web session's cookie, and a token for calling the APIs directly."""

    employee_id: str
    cookie: str
    api_headers: dict[str, str]


@dataclass(frozen=True)
class DemoPeople:
    """Who the benchmark acts as, and what the survey page needs."""

    employees: list[Person]
    raters: list[Person]
    unit_id: str
    service_id: str
    quarter: str


def start_platform(platform: BenchPlatform, *, profile_web: bool) -> tuple[BenchServices, DemoLoad]:
    """The four services (API, relay, consumer) and the web process, with the demo data loaded."""
    services = platform.start_services(
        dict.fromkeys(("planning", "reporting", "scoring", "feedback"), "api,relay,consumer")
        | {"web": "api"},
        {"web"} if profile_web else None,
    )
    stage("loading the demo data (kinerja.demo, as make up does)")
    return services, load_demo(data_dir=platform.data_dir, ports=services.ports)


def current_quarter() -> str:
    """The quarter the scorecard page opens on (today's in the demo region's zone)."""
    today = datetime.now(ZoneInfo(REGIONS[REGION][1]))
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


async def _sign_in(http: httpx.AsyncClient, role: Role, employee_id: str) -> str:
    """Sign in through ``/masuk/demo`` as a browser would; the ``kinerja_session`` cookie's value."""
    page = await http.get("/masuk/demo", headers={"Cookie": ""})
    page.raise_for_status()
    visitor = page.cookies.get("kinerja_visitor")
    token = CSRF.search(page.text)
    if visitor is None or token is None:
        raise RuntimeError("the demo sign-in page gave no visitor cookie or CSRF token")
    signed_in = await http.post(
        "/masuk/demo",
        data={"csrf_token": token.group(1), "user": f"{REGION}|{role.value}|{employee_id}", "next": "/saya"},
        headers={"Cookie": f"kinerja_visitor={visitor}"},
    )
    session = signed_in.cookies.get("kinerja_session")
    if signed_in.status_code != 303 or session is None:
        raise RuntimeError(
            f"signing in as {employee_id} failed: {signed_in.status_code} {signed_in.text[:200]}"
        )
    return f"kinerja_visitor={visitor}; kinerja_session={session}"


async def sign_in_people(platform: BenchPlatform, services: BenchServices, demo: DemoLoad) -> DemoPeople:
    """Every staff member and head of the demo region, signed in; once scoring shows their activity."""
    settings = platform.settings

    def api_headers(roles: list[Role], employee_id: str) -> dict[str, str]:
        minted = mint_dev_token(
            settings, subject=employee_id, roles=roles, region_id=REGION, employee_id=employee_id
        )
        return {"Authorization": f"Bearer {minted}"}

    staff = [f"{REGION}-{unit[0]}-{n}" for unit in UNITS for n in range(1, STAFF_PER_UNIT + 1)]
    heads = [f"{REGION}-{unit[0]}-kepala" for unit in UNITS]
    quarter = current_quarter()
    await _until_scored(services.url("scoring"), staff, quarter, api_headers)
    # Cookies are Secure: httpx would not send them back over http, so the benchmark carries them.
    async with httpx.AsyncClient(base_url=services.url("web"), timeout=30) as http:
        employees = [
            Person(e, await _sign_in(http, Role.EMPLOYEE, e), api_headers([Role.EMPLOYEE], e)) for e in staff
        ]
        raters = [
            Person(h, await _sign_in(http, Role.RATER, h), api_headers([Role.RATER, Role.EMPLOYEE], h))
            for h in heads
        ]
    ticket = demo.tickets[REGION][0]
    return DemoPeople(employees, raters, ticket.unit_id, ticket.service_id, quarter)


async def _until_scored(
    scoring: str, staff: list[str], quarter: str, api_headers: Callable[[list[Role], str], dict[str, str]]
) -> None:
    """Wait until scoring's scorecards count every staff member's demo activities."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EVENTS_DEADLINE_SECONDS
    async with httpx.AsyncClient(base_url=scoring, timeout=15) as http:
        for employee in staff:
            while True:
                card = await http.get(
                    f"/v1/employees/{employee}/scorecard",
                    params={"period": quarter},
                    headers=api_headers([Role.EMPLOYEE], employee),
                )
                if card.status_code == 200 and card.json()["activity_count"] > 0:
                    break
                if loop.time() > deadline:
                    raise RuntimeError(
                        f"scoring has no activity of {employee} in {quarter}: {card.text[:200]}"
                    )
                await asyncio.sleep(0.5)
