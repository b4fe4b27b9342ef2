"""Confirming or overriding a team member's proposed rating (penetapan rating) with the predicate.

The platform proposes the results and behaviour ratings from data; the rater decides. The page
shows the proposal and its reasons (scoring's scorecard), the rater confirms or chooses other
ratings with a reason, and the predicate shown is scoring's answer from the national matrix, never
computed here. Whether a choice is an override, and how long its reason must be (a per-region
rule), is scoring's to say: its refusal is shown at the field it names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.sessions import WebSession
from services.web.context import Web, WebContext
from services.web.entrypoints.employees.common import region_of, timezone_of
from services.web.entrypoints.raters.common import (
    PeriodParam,
    Rater,
    asked_period,
    checked_id,
    checked_period,
    load_team,
)
from services.web.i18n import N_

router = APIRouter(include_in_schema=False, route_class=PageRoute)

RATINGS = (
    ("ABOVE", N_("Above expectations")),
    ("MEETS", N_("Meets expectations")),
    ("BELOW", N_("Below expectations")),
)
#: The predicate scoring answers, as people know it (PermenPANRB 6/2022; the employee's scorecard
#: names them the same).
PREDICATES = {
    "SANGAT_BAIK": N_("Outstanding"),
    "BAIK": N_("Good"),
    "BUTUH_PERBAIKAN": N_("Needs improvement"),
    "KURANG": N_("Poor/Misconduct"),
    "SANGAT_KURANG": N_("Very poor"),
}


#: A qualitative indicator's judgement, as the rating page lists it.
JUDGEMENT_NAMES = {
    "EXCEEDED": N_("Exceeded the target"),
    "MET": N_("Met the target"),
    "PARTLY_MET": N_("Partly met the target"),
    "NOT_MET": N_("Did not meet the target"),
}


def _address(employee_id: str, period: str) -> str:
    return f"/penilai/pegawai/{employee_id}/rating?periode={period}"


async def _page(
    web: WebContext,
    request: Request,
    person: WebSession,
    employee_id: str,
    period: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    decided: bool = False,
    status_code: int = 200,
) -> Response:
    region = await region_of(web, person)
    team = await load_team(web, person)
    card: dict[str, Any] = await web.apis.get_json(
        Service.SCORING,
        f"/v1/employees/{employee_id}/scorecard",
        params={"period": period},
        token=person.access_token,
    )
    proposed = {
        "result_rating": card["proposed_result_rating"],
        "behaviour_rating": card.get("proposed_behaviour_rating") or "",
    }
    chosen = values or (
        {
            "result_rating": card["decision"]["result_rating"],
            "behaviour_rating": card["decision"]["behaviour_rating"],
        }
        if card.get("decision")
        else proposed
    )
    return web.pages.render(
        request,
        "raters/rating.html",
        {
            "card": card,
            "name": team.name(employee_id),
            "period": period,
            "ratings": RATINGS,
            "predicates": PREDICATES,
            "judgement_names": JUDGEMENT_NAMES,
            "values": chosen,
            "errors": errors or {},
            "decided": decided,
        },
        status_code=status_code,
        timezone=timezone_of(region),
    )


@router.get("/penilai/pegawai/{employee_id}/rating")
async def rating_page(
    employee_id: str,
    request: Request,
    web: Web,
    periode: PeriodParam = None,
    keputusan: Annotated[str | None, Query(max_length=20)] = None,
    person: WebSession = Rater,
) -> Response:
    """The proposal and its reasons; confirm it or choose other ratings with a reason."""
    checked = checked_id(employee_id)
    period = await asked_period(web, person, periode)
    if checked is None or period is None:
        return web.pages.not_found(request)
    return await _page(web, request, person, checked, period, decided=keputusan == "tersimpan")


@router.post("/penilai/pegawai/{employee_id}/rating")
async def decide_rating(
    employee_id: str, request: Request, web: Web, form: CheckedForm, person: WebSession = Rater
) -> Response:
    """Send the decision to scoring; back to the page, which shows scoring's predicate."""
    checked = checked_id(employee_id)
    period = checked_period(str(form.get("period") or ""))
    if checked is None or period is None:
        return web.pages.not_found(request)
    values = {
        name: str(form.get(name) or "").strip() for name in ("result_rating", "behaviour_rating", "reason")
    }
    translate = web.pages.translate
    errors = {}
    for field, message in (
        ("result_rating", N_("Choose the rating of the results (hasil kerja)")),
        ("behaviour_rating", N_("Choose the rating of the behaviour (perilaku kerja)")),
    ):
        if values[field] not in {value for value, _ in RATINGS}:
            errors[field] = translate(request, message)
    if not errors:
        try:
            await web.apis.post_json(
                Service.SCORING,
                f"/v1/employees/{checked}/ratings/{period}",
                {
                    "result_rating": values["result_rating"],
                    "behaviour_rating": values["behaviour_rating"],
                    "reason": values["reason"] or None,
                },
                token=person.access_token,
            )
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            # Scoring says what is missing (an override's reason, its region's minimum length).
            field = "reason" if (problem.field or "reason") in {"reason", "body.reason"} else "result_rating"
            errors[field] = problem.message(web.pages.language(request))
    if errors:
        return await _page(
            web, request, person, checked, period, values=values, errors=errors, status_code=422
        )
    return RedirectResponse(_address(checked, period) + "&keputusan=tersimpan", status_code=303)
