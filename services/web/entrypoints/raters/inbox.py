"""The rater's inbox (kotak masuk): plans waiting for approval and activities waiting for verification.

A supervisor opens Kinerja between other duties: the landing page says what waits, with counts,
and each plan is approved or sent back (with a reason) from its own page. Decisions post and
redirect (303) to the inbox, whose banner says what happened; a decision sent twice finds the
plan decided already and says so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.sessions import WebSession
from services.web.context import Web, WebContext
from services.web.entrypoints.citizens.common import ShortParam
from services.web.entrypoints.employees.common import region_of, timezone_of
from services.web.entrypoints.raters.common import (
    INBOX,
    Outcome,
    Rater,
    Team,
    checked_id,
    load_team,
    plan_in_force,
    reason_error,
)
from services.web.i18n import N_

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: Activities read for the inbox's count (the API's largest page): more shows as "more than".
WAITING_PAGE = 200
#: Activities listed on the inbox itself; the feed lists and decides them all.
WAITING_SHOWN = 5
PLAN_REASON_MIN, PLAN_REASON_MAX = 5, 2000


async def waiting_activities(web: WebContext, person: WebSession) -> tuple[list[dict[str, Any]], bool]:
    """The team's activities waiting for verification, newest first, and whether there are more."""
    page = await web.apis.get_json(
        Service.REPORTING,
        "/v1/activities",
        params={"status": "submitted", "limit": WAITING_PAGE},
        token=person.access_token,
    )
    items: list[dict[str, Any]] = [a for a in page["items"] if a["employee_id"] != person.employee_id]
    return items, page.get("next_cursor") is not None


def waiting_plans(team: Team, person: WebSession) -> list[dict[str, Any]]:
    """Plans submitted to this rater, oldest year first."""
    submitted = [p for p in team.plans if p["status"] == "submitted" and p["rater_id"] == person.employee_id]
    return sorted(submitted, key=lambda plan: (plan["year"], team.name(plan["employee_id"])))


@router.get("/penilai")
async def rater_home(person: WebSession = Rater) -> Response:
    """A rater's pages start at the inbox."""
    return RedirectResponse(INBOX, status_code=303)


@router.get("/penilai/kotak-masuk")
async def inbox(
    request: Request,
    web: Web,
    keputusan: Outcome = None,
    pegawai: ShortParam = None,
    person: WebSession = Rater,
) -> Response:
    """What waits for the rater: plans to approve, activities to verify, each with its count."""
    region = await region_of(web, person)
    team = await load_team(web, person)
    activities, more = await waiting_activities(web, person)
    return web.pages.render(
        request,
        "raters/inbox.html",
        {
            "team": team,
            "plans": waiting_plans(team, person),
            "plans_in_force": {member: plan_in_force(team, member) for member in team.names},
            "activities": activities[:WAITING_SHOWN],
            "activity_count": len(activities),
            "more_activities": more,
            "outcome": keputusan,
            "outcome_name": team.name(pegawai) if pegawai else None,
        },
        timezone=timezone_of(region),
    )


async def _plan_for(web: WebContext, person: WebSession, plan_id: str) -> dict[str, Any] | None:
    checked = checked_id(plan_id)
    if checked is None:
        return None
    plan: dict[str, Any] = await web.apis.get_json(
        Service.PLANNING, f"/v1/work-plans/{checked}", token=person.access_token
    )
    return plan if plan["rater_id"] == person.employee_id else None


async def _plan_page(
    web: WebContext,
    request: Request,
    person: WebSession,
    plan: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    region = await region_of(web, person)
    team = await load_team(web, person)
    return web.pages.render(
        request,
        "raters/plan.html",
        {
            "plan": plan,
            "employee_name": team.name(plan["employee_id"]),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
        timezone=timezone_of(region),
    )


@router.get("/penilai/skp/{plan_id}")
async def plan_review(plan_id: str, request: Request, web: Web, person: WebSession = Rater) -> Response:
    """A plan submitted to the rater: its results and targets, approve or send back with a reason."""
    plan = await _plan_for(web, person, plan_id)
    if plan is None:
        return web.pages.not_found(request)
    return await _plan_page(web, request, person, plan)


def _decided(outcome: str, employee_id: str) -> Response:
    return RedirectResponse(
        f"{INBOX}?{urlencode({'keputusan': outcome, 'pegawai': employee_id})}", status_code=303
    )


@router.post("/penilai/skp/{plan_id}/setujui")
async def approve_plan(
    plan_id: str, request: Request, web: Web, form: CheckedForm, person: WebSession = Rater
) -> Response:
    """Approve the plan; it becomes the employee's plan in force."""
    plan = await _plan_for(web, person, plan_id)
    if plan is None:
        return web.pages.not_found(request)
    try:
        await web.apis.request(
            Service.PLANNING, "POST", f"/v1/work-plans/{plan['plan_id']}/approve", token=person.access_token
        )
    except ApiProblem as problem:
        if problem.status == 409:  # decided before (a second tap, another tab): say so, send nothing
            return _decided("skp-sudah", plan["employee_id"])
        raise
    return _decided("skp-disetujui", plan["employee_id"])


@router.post("/penilai/skp/{plan_id}/tolak")
async def reject_plan(
    plan_id: str, request: Request, web: Web, form: CheckedForm, person: WebSession = Rater
) -> Response:
    """Send the plan back to the employee with the reason (required: it is what they correct)."""
    plan = await _plan_for(web, person, plan_id)
    if plan is None:
        return web.pages.not_found(request)
    reason = str(form.get("reason") or "").strip()
    error = reason_error(
        web,
        request,
        reason,
        missing=N_("Enter why the plan goes back, so the employee knows what to change"),
        minimum=PLAN_REASON_MIN,
        maximum=PLAN_REASON_MAX,
    )
    if error:
        return await _plan_page(
            web, request, person, plan, values={"reason": reason}, errors={"reason": error}, status_code=422
        )
    try:
        await web.apis.post_json(
            Service.PLANNING,
            f"/v1/work-plans/{plan['plan_id']}/reject",
            {"reason": reason},
            token=person.access_token,
        )
    except ApiProblem as problem:
        if problem.status == 409:
            return _decided("skp-sudah", plan["employee_id"])
        raise
    return _decided("skp-dikembalikan", plan["employee_id"])
