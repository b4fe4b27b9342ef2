"""Who may see and act on what: an employee their own, a rater their team, HR and auditors their region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, ScalarSelect, Select, String, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.adapters.tables import activities, regions, team_members
from shared.auth import Principal, Role
from shared.read_models import one_holding_on_day, region_today
from shared.refusals import Refusal, RefusalKind


def is_region_reader(principal: Principal) -> bool:
    """HR (BKPSDM) and auditors (inspektorat) read everything in their own region."""
    return principal.has(Role.REGION_ADMIN, Role.AUDITOR)


def employee_of(principal: Principal) -> str:
    """The caller's employee id; a token without one cannot report or rate."""
    if principal.employee_id is None:
        raise Refusal("not_an_employee", "Your token names no employee.", kind=RefusalKind.FORBIDDEN)
    return principal.employee_id


def rater_today(region_id: str, employee_id: ColumnElement[str]) -> ScalarSelect[str | None]:
    """The employee's rater today in the region's zone: the supervisor on their assignment holding
    today (:func:`one_holding_on_day`); NULL when the team model does not know them.

    Read from the employee's own assignments (a few rows of ``pk_team_members``), so that a
    statement about one employee never works out the whole region's team: that took 61 ms at
    5,000 employees a region.
    """
    # Compared in the team's collation: the activities' ids are COLLATE "C" (migration 0014), and
    # against a column of another collation pk_team_members cannot serve the look-up (the region's
    # rows were read instead). Equality is byte equality in both.
    return one_holding_on_day(
        select(team_members.c.supervisor_id).where(
            team_members.c.region_id == region_id,
            team_members.c.employee_id == employee_id.collate("default"),
        ),
        team_members,
        region_today(regions, literal(region_id, String)),
    ).scalar_subquery()


def team_of(principal: Principal) -> Select[tuple[str]]:
    """The employees the caller rates today, in their region (the team read model).

    Found from the supervisor index: whoever has any assignment to the caller there (a handful of
    rows), kept when their :func:`rater_today` is the caller. Working out the whole region's
    assignments holding today first took 45-57 ms at 5,000 employees a region.
    """
    ever_assigned = (
        select(team_members.c.employee_id)
        .where(
            team_members.c.region_id == principal.region,
            team_members.c.supervisor_id == principal.employee_id,
        )
        .distinct()
        .subquery("ever_assigned")
    )
    return select(ever_assigned.c.employee_id).where(
        rater_today(principal.region, ever_assigned.c.employee_id) == principal.employee_id
    )


async def visible_owners(session: AsyncSession, principal: Principal) -> list[str] | None:
    """The employees whose records the caller may see: their own and, as a rater, their team's
    (:func:`team_of`); None for a region reader (everyone's)."""
    if is_region_reader(principal):
        return None
    if principal.employee_id is None:
        return []
    owners = [principal.employee_id]
    if principal.has(Role.RATER):
        owners += [row.employee_id for row in await session.execute(team_of(principal))]
    return list(dict.fromkeys(owners))  # once each, should the caller be in their own team


def may_see(principal: Principal, *, employee_id: str, rater_id: str | None) -> bool:
    """Whether the caller may see an employee's activity."""
    if is_region_reader(principal) or principal.employee_id == employee_id:
        return True
    return principal.has(Role.RATER) and rater_id is not None and rater_id == principal.employee_id


def ensure_owner(principal: Principal, activity: Row[Any] | None, *, not_the_owner: Refusal) -> Row[Any]:
    """The activity, if the caller reported it: 404 unless they may see it, else ``not_the_owner``.

    ``activity``: a row with the activity's ``employee_id`` and its rater's ``rater_id`` (None when
    no such activity is in the caller's region).
    """
    if activity is None or not may_see(
        principal, employee_id=activity.employee_id, rater_id=activity.rater_id
    ):
        raise not_found()
    if activity.employee_id != principal.employee_id:
        raise not_the_owner
    return activity


def ensure_rater(principal: Principal, *, employee_id: str, rater_id: str | None) -> str:
    """The caller is this employee's rater (and not the employee): returns the rater's id."""
    me = employee_of(principal)
    if me == employee_id:
        raise Refusal("own_activity", "You cannot review your own activity.", kind=RefusalKind.FORBIDDEN)
    if rater_id != me:
        raise Refusal(
            "not_the_rater",
            "Only the employee's rater can review their activities.",
            kind=RefusalKind.FORBIDDEN,
        )
    return me


def not_found() -> Refusal:
    """The answer for an activity that does not exist or that the caller may not know of."""
    return Refusal("unknown_activity", "No such activity.", kind=RefusalKind.NOT_FOUND)


async def ensure_may_see_employee(session: AsyncSession, principal: Principal, employee_id: str) -> None:
    """404 unless the caller may see this employee's records (own, team, or region reader)."""
    if principal.employee_id == employee_id:
        return
    if is_region_reader(principal):
        known = await session.scalar(
            select(team_members.c.employee_id)
            .where(team_members.c.employee_id == employee_id, team_members.c.region_id == principal.region)
            .limit(1)
        ) or await session.scalar(
            select(activities.c.employee_id)
            .where(activities.c.employee_id == employee_id, activities.c.region_id == principal.region)
            .limit(1)
        )
        if known:
            return
    elif principal.has(Role.RATER) and principal.employee_id is not None:
        rater = await session.scalar(select(rater_today(principal.region, literal(employee_id, String))))
        if rater == principal.employee_id:
            return
    raise Refusal(
        "unknown_employee",
        "No records you may see for this employee.",
        field="employee_id",
        kind=RefusalKind.NOT_FOUND,
    )
