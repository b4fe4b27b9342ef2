"""What every employee (ASN) page needs: the person's region, the year in its zone, their plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal

from services.web.access import person_required
from services.web.adapters.regions import RegionProfile
from services.web.adapters.services_api import Service
from services.web.adapters.sessions import WebSession
from services.web.context import WebContext
from shared.auth import Role
from shared.region_time import region_now

Employee = person_required(Role.EMPLOYEE)


async def region_of(web: WebContext, person: WebSession) -> RegionProfile | None:
    """The signed-in person's region (its name and time zone), when they have one."""
    return await web.regions.get(person.region_id) if person.region_id else None


def timezone_of(region: RegionProfile | None) -> str | None:
    """The region's time zone for dates on its pages; None (the default zone) for a person without one."""
    return region.timezone if region else None


def this_year(region: RegionProfile | None) -> int:
    """The current year in the region's zone (on 31 December at 23.00 WIB it is already next year in WIT)."""
    return region_now(timezone_of(region)).year


async def latest_plan(web: WebContext, person: WebSession, year: int) -> dict[str, Any] | None:
    """The person's newest plan version for a year (the one in force or being worked on), if any."""
    plans: list[dict[str, Any]] = await web.apis.get_json(
        Service.PLANNING,
        "/v1/work-plans",
        params={"employee_id": person.employee_id, "year": year},
        token=person.access_token,
    )
    mine = [plan for plan in plans if plan["employee_id"] == person.employee_id]
    return max(mine, key=lambda plan: plan["version"]) if mine else None


async def approved_plan(web: WebContext, person: WebSession, year: int) -> dict[str, Any] | None:
    """The approved plan of the year an activity counts against, if any."""
    plans: list[dict[str, Any]] = await web.apis.get_json(
        Service.PLANNING,
        "/v1/work-plans",
        params={"employee_id": person.employee_id, "year": year, "status": "approved"},
        token=person.access_token,
    )
    mine = [plan for plan in plans if plan["employee_id"] == person.employee_id]
    return max(mine, key=lambda plan: plan["version"]) if mine else None


def parse_number(text: str, locale: str) -> Decimal | None:
    """A non-negative number typed in the person's locale ('12,5' in Indonesian), else None."""
    try:
        value = parse_decimal(text.strip().replace(" ", ""), locale=locale)
    except NumberFormatError:
        return None
    return value if value.is_finite() and value >= 0 else None
