"""Continuous feedback on a planned result (umpan balik berkelanjutan): between ratings, the rater
tells a team member how one result of their plan in force is going, pointing at the reported
activities it is about. Feedback keeps it; the employee reads it on their scorecard.

Feedback has no client id for a feedback entry, so the form carries a submission id claimed once
here (a second tap or a resent form lands on the first sending's page, nothing is given twice).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.sessions import WebSession
from services.web.adapters.submissions import PENDING
from services.web.context import Web, WebContext
from services.web.entrypoints.citizens.common import new_submission_id
from services.web.entrypoints.employees.common import region_of, timezone_of
from services.web.entrypoints.raters.common import (
    Rater,
    Team,
    checked_id,
    load_team,
    plan_in_force,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: Feedback's limits on one entry: its text and the activities it points at.
TEXT_MAX = 4000
EVIDENCE_MAX = 20
#: The result's reported activities offered as evidence, newest first (reporting's page size).
EVIDENCE_READ = 100
Sent = Annotated[str | None, Query(alias="terkirim", max_length=2)]


def _address(employee_id: str, result_id: str) -> str:
    return f"/penilai/pegawai/{employee_id}/hasil/{result_id}"


def _result_of(team: Team, employee_id: str, result_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The member's plan in force and the result in it (feedback takes no other), or None."""
    plan = plan_in_force(team, employee_id)
    results = plan["results"] if plan else []
    result = next((result for result in results if result["result_id"] == result_id), None)
    return (plan, result) if plan and result else None


async def _evidence(
    web: WebContext, person: WebSession, employee_id: str, result: dict[str, Any]
) -> list[dict[str, Any]]:
    """The member's reported activities against the result's indicators, newest first."""
    page = await web.apis.get_json(
        Service.REPORTING,
        "/v1/activities",
        params={"employee_id": employee_id, "limit": EVIDENCE_READ},
        token=person.access_token,
    )
    indicators = {indicator["indicator_id"] for indicator in result["indicators"]}
    return [activity for activity in page["items"] if activity["indicator_id"] in indicators]


async def _given(
    web: WebContext, person: WebSession, employee_id: str, result_id: str
) -> list[dict[str, Any]]:
    """Feedback given on this result so far, newest first."""
    entries: list[dict[str, Any]] = await web.apis.get_json(
        Service.FEEDBACK, f"/v1/employees/{employee_id}/continuous-feedback", token=person.access_token
    )
    mine = [entry for entry in entries if entry["result_id"] == result_id]
    return sorted(mine, key=lambda entry: str(entry["given_at"]), reverse=True)


async def _page(
    web: WebContext,
    request: Request,
    person: WebSession,
    employee_id: str,
    result_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    sent: bool = False,
    status_code: int = 200,
) -> Response:
    team = await load_team(web, person)
    found = _result_of(team, employee_id, result_id)
    if found is None:
        return web.pages.not_found(request)
    plan, result = found
    region = await region_of(web, person)
    return web.pages.render(
        request,
        "raters/continuous_feedback.html",
        {
            "employee_id": employee_id,
            "name": team.name(employee_id),
            "plan": plan,
            "result": result,
            "team": team,
            "evidence": await _evidence(web, person, employee_id, result),
            "given": await _given(web, person, employee_id, result_id),
            "values": values or {"submission_id": new_submission_id(), "activity_ids": []},
            "errors": errors or {},
            "sent": sent,
        },
        status_code=status_code,
        timezone=timezone_of(region),
    )


@router.get("/penilai/pegawai/{employee_id}/hasil/{result_id}")
async def feedback_page(
    employee_id: str,
    result_id: str,
    request: Request,
    web: Web,
    terkirim: Sent = None,
    person: WebSession = Rater,
) -> Response:
    """A planned result of a team member: the feedback given on it and the form to give more."""
    employee, result = checked_id(employee_id), checked_id(result_id)
    if employee is None or result is None:
        return web.pages.not_found(request)
    return await _page(web, request, person, employee, result, sent=terkirim == "1")


def _checked_form(web: WebContext, request: Request, values: dict[str, Any]) -> dict[str, str]:
    translate = web.pages.translate
    errors = {}
    if not values["text"]:
        errors["text"] = translate(request, "Enter your feedback on this result")
    elif len(values["text"]) > TEXT_MAX:
        errors["text"] = translate(request, "The feedback must be %(max)s characters or fewer", max=TEXT_MAX)
    if len(values["activity_ids"]) > EVIDENCE_MAX:
        errors["activity_ids"] = translate(request, "Choose at most %(max)s activities", max=EVIDENCE_MAX)
    return errors


@router.post("/penilai/pegawai/{employee_id}/hasil/{result_id}")
async def give_feedback(
    employee_id: str,
    result_id: str,
    request: Request,
    web: Web,
    form: CheckedForm,
    person: WebSession = Rater,
) -> Response:
    """Give the feedback once; back to the result's page, which lists it."""
    employee, result = checked_id(employee_id), checked_id(result_id)
    if employee is None or result is None:
        return web.pages.not_found(request)
    values: dict[str, Any] = {
        "text": str(form.get("text") or "").strip(),
        "activity_ids": [str(value) for value in form.getlist("activity_ids") if isinstance(value, str)],
        "submission_id": str(form.get("submission_id") or ""),
    }
    errors = _checked_form(web, request, values)
    if errors:
        return await _page(
            web, request, person, employee, result, values=values, errors=errors, status_code=422
        )
    earlier = await web.submissions.claim(values["submission_id"])
    if earlier == PENDING:  # the first sending is still on its way: show the page as it stands
        return RedirectResponse(_address(employee, result), status_code=303)
    if earlier is not None:
        return RedirectResponse(earlier.decode(), status_code=303)
    try:
        await web.apis.post_json(
            Service.FEEDBACK,
            f"/v1/employees/{employee}/continuous-feedback",
            {"result_id": result, "activity_ids": values["activity_ids"], "text": values["text"]},
            token=person.access_token,
        )
    except ApiProblem as problem:
        await web.submissions.release(values["submission_id"])
        if problem.status != 422:
            raise
        # Feedback names what it refused: the evidence (an activity not of this result), or the
        # result itself (no longer in the plan in force), which the text's message then carries.
        field = "activity_ids" if "activity_ids" in (problem.field or "") else "text"
        errors[field] = problem.message(web.pages.language(request))
        return await _page(
            web, request, person, employee, result, values=values, errors=errors, status_code=422
        )
    target = _address(employee, result) + "?" + urlencode({"terkirim": "1"})
    await web.submissions.complete(values["submission_id"], target)
    return RedirectResponse(target, status_code=303)
