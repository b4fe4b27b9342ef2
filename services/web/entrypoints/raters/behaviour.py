"""The rater's BerAKHLAK assessment of a team member (penilaian perilaku kerja): the seven core values,
each 1-5 (3 = as expected), sent to feedback, whose answer proposes the behaviour rating."""

from __future__ import annotations

from fastapi import APIRouter, Request
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

#: BerAKHLAK in the acronym's order, as the employee's scorecard names them.
CORE_VALUES = (
    ("service_oriented", N_("Service oriented (Berorientasi Pelayanan)")),
    ("accountable", N_("Accountable (Akuntabel)")),
    ("competent", N_("Competent (Kompeten)")),
    ("harmonious", N_("Harmonious (Harmonis)")),
    ("loyal", N_("Loyal")),
    ("adaptive", N_("Adaptive (Adaptif)")),
    ("collaborative", N_("Collaborative (Kolaboratif)")),
)
SCORES = (
    ("1", N_("1 – far below expectations")),
    ("2", N_("2 – below expectations")),
    ("3", N_("3 – as expected")),
    ("4", N_("4 – above expectations")),
    ("5", N_("5 – far above expectations")),
)


async def _page(
    web: WebContext,
    request: Request,
    person: WebSession,
    employee_id: str,
    period: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    region = await region_of(web, person)
    team = await load_team(web, person)
    return web.pages.render(
        request,
        "raters/behaviour.html",
        {
            "employee_id": employee_id,
            "name": team.name(employee_id),
            "period": period,
            "core_values": CORE_VALUES,
            "scores": SCORES,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
        timezone=timezone_of(region),
    )


@router.get("/penilai/pegawai/{employee_id}/perilaku")
async def behaviour_page(
    employee_id: str, request: Request, web: Web, periode: PeriodParam = None, person: WebSession = Rater
) -> Response:
    """The seven values to score for the period."""
    checked = checked_id(employee_id)
    period = await asked_period(web, person, periode)
    if checked is None or period is None:
        return web.pages.not_found(request)
    return await _page(web, request, person, checked, period)


@router.post("/penilai/pegawai/{employee_id}/perilaku")
async def assess_behaviour(
    employee_id: str, request: Request, web: Web, form: CheckedForm, person: WebSession = Rater
) -> Response:
    """Send the assessment to feedback; back to the rating page with the behaviour proposal."""
    checked = checked_id(employee_id)
    period = checked_period(str(form.get("period") or ""))
    if checked is None or period is None:
        return web.pages.not_found(request)
    values = {name: str(form.get(name) or "").strip() for name, _ in CORE_VALUES} | {
        "note": str(form.get("note") or "").strip()
    }
    errors = {
        name: web.pages.translate(
            request, "Choose a score for %(value)s", value=web.pages.translate(request, label)
        )
        for name, label in CORE_VALUES
        if values[name] not in {score for score, _ in SCORES}
    }
    if not errors:
        try:
            await web.apis.post_json(
                Service.FEEDBACK,
                f"/v1/employees/{checked}/behaviour-assessments",
                {
                    "period": period,
                    "scores": {name: int(values[name]) for name, _ in CORE_VALUES},
                    "note": values["note"] or None,
                },
                token=person.access_token,
            )
        except ApiProblem as problem:
            if problem.status == 409:  # assessed before (a second tap): the first one stands
                return RedirectResponse(
                    f"/penilai/pegawai/{checked}/rating?periode={period}", status_code=303
                )
            if problem.status != 422:
                raise
            errors["note"] = problem.message(web.pages.language(request))
    if errors:
        return await _page(
            web, request, person, checked, period, values=values, errors=errors, status_code=422
        )
    return RedirectResponse(f"/penilai/pegawai/{checked}/rating?periode={period}", status_code=303)
