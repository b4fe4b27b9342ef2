"""What every rater page shares: their team's names and plans, the period a page is about, the
decision banner (the region is employees.common's region_of, as for every signed-in person).

Activities and plans carry ids; a rater reads names. The team (planning's employees the rater
supervises) and the plans they may see (theirs and their team's) are read once per page with the
rater's own token, and looked up from there.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Query, Request

from services.web.access import person_required
from services.web.adapters.services_api import Service
from services.web.adapters.sessions import WebSession
from services.web.context import WebContext
from services.web.entrypoints.citizens.common import valid_id
from services.web.entrypoints.employees.common import region_of, timezone_of
from services.web.periods import current_period
from shared.auth import Role
from shared.contracts.periods import period_key_parts

Rater = person_required(Role.RATER)
#: The period a rater's page is about (``?periode=2026-Q3``); the page picks one when it is absent.
PeriodParam = Annotated[str | None, Query(alias="periode", max_length=8)]
#: What a decision came to, in the address its page returns to (``?keputusan=...``).
Outcome = Annotated[str | None, Query(max_length=40)]

#: Where a finished decision leads back to (the banner of the page says what happened).
INBOX = "/penilai/kotak-masuk"
FEED = "/penilai/umpan"


@dataclass(frozen=True)
class IndicatorName:
    """An indicator as a rater reads it: its name, unit of measure and the planned result it serves."""

    name: str
    unit_of_measure: str | None
    result_text: str


@dataclass
class Team:
    """The rater's team members by id and every indicator of the plans the rater may see."""

    names: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorName] = field(default_factory=dict)
    plans: list[dict[str, Any]] = field(default_factory=list)

    def name(self, employee_id: str) -> str:
        """The member's name (their id when planning does not list them, e.g. moved away)."""
        return self.names.get(employee_id, employee_id)


async def load_team(web: WebContext, person: WebSession) -> Team:
    """The rater's team and plans, read with the rater's token."""
    employees: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    employees, plans = await asyncio.gather(  # independent reads, asked together
        web.apis.get_json(
            Service.PLANNING,
            "/v1/employees",
            params={"supervisor_id": person.employee_id},
            token=person.access_token,
        ),
        web.apis.get_json(Service.PLANNING, "/v1/work-plans", token=person.access_token),
    )
    team = Team(names={e["employee_id"]: e["name"] for e in employees}, plans=plans)
    for plan in plans:
        for result in plan["results"]:
            for indicator in result["indicators"]:
                team.indicators[indicator["indicator_id"]] = IndicatorName(
                    name=indicator["name"],
                    unit_of_measure=indicator.get("unit_of_measure"),
                    result_text=result["text"],
                )
    return team


def plan_in_force(team: Team, employee_id: str) -> dict[str, Any] | None:
    """The member's approved plan of the latest year and version (its results take feedback), or None."""
    approved = [p for p in team.plans if p["employee_id"] == employee_id and p["status"] == "approved"]
    return max(approved, key=lambda plan: (plan["year"], plan["version"]), default=None)


def local_next(target: object, default: str) -> str:
    """Where a decision form returns to: one of the rater's own pages, else ``default``."""
    text = str(target or "")
    return text if text in {INBOX, FEED} else default


def checked_id(value: str) -> str | None:
    """An id from a page's address, or None when it cannot be one."""
    return valid_id(value)


def checked_period(text: str) -> str | None:
    """A period key from a page's address or form (``2026``, ``2026-Q3``), or None when it is none."""
    return text if period_key_parts(text) else None


def current_quarter(timezone: str | None) -> str:
    """This quarter in the region's zone (the default period of a rating)."""
    return current_period("quarterly", timezone)


async def asked_period(web: WebContext, person: WebSession, asked: str | None) -> str | None:
    """The period a rater's page is about: the one asked for, else this quarter in the rater's
    region; None when the one asked for is no period key."""
    if not asked:
        return current_quarter(timezone_of(await region_of(web, person)))
    return checked_period(asked)


def reason_error(
    web: WebContext, request: Request, reason: str, *, missing: str, minimum: int, maximum: int
) -> str | None:
    """Why a decision's reason is refused (absent, too short, too long), in the rater's language; None
    when it will do. ``missing`` says what the reason is for (marked with ``N_`` for the catalogue)."""
    translate = web.pages.translate
    if not reason:
        return translate(request, missing)
    if len(reason) < minimum:
        return translate(request, "The reason must be at least %(min)s characters", min=minimum)
    if len(reason) > maximum:
        return translate(request, "The reason must be %(max)s characters or fewer", max=maximum)
    return None
