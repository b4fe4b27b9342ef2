"""Judging a qualitative indicator (penilaian atasan): a target stated in words is met or not by the
rater's judgement, which scoring turns into the indicator's achievement and the proposal at once."""

from __future__ import annotations

from typing import Any

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
from services.web.entrypoints.raters.rating import JUDGEMENT_NAMES

router = APIRouter(include_in_schema=False, route_class=PageRoute)

JUDGEMENTS = tuple(JUDGEMENT_NAMES.items())


async def _page(
    web: WebContext,
    request: Request,
    person: WebSession,
    employee_id: str,
    indicator_id: str,
    period: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    region = await region_of(web, person)
    card: dict[str, Any] = await web.apis.get_json(
        Service.SCORING,
        f"/v1/employees/{employee_id}/scorecard",
        params={"period": period},
        token=person.access_token,
    )
    indicator = next((i for i in card["indicators"] if i["indicator_id"] == indicator_id), None)
    if indicator is None or not indicator.get("qualitative_target"):
        return web.pages.not_found(request)
    team = await load_team(web, person)
    return web.pages.render(
        request,
        "raters/judgement.html",
        {
            "indicator": indicator,
            "employee_id": employee_id,
            "name": team.name(employee_id),
            "period": period,
            "judgements": JUDGEMENTS,
            "values": values or {"judgement": indicator.get("judgement") or ""},
            "errors": errors or {},
        },
        status_code=status_code,
        timezone=timezone_of(region),
    )


@router.get("/penilai/pegawai/{employee_id}/indikator/{indicator_id}")
async def judgement_page(
    employee_id: str,
    indicator_id: str,
    request: Request,
    web: Web,
    periode: PeriodParam = None,
    person: WebSession = Rater,
) -> Response:
    """The indicator's target in words and the rater's judgement of it this period."""
    employee, indicator = checked_id(employee_id), checked_id(indicator_id)
    period = await asked_period(web, person, periode)
    if employee is None or indicator is None or period is None:
        return web.pages.not_found(request)
    return await _page(web, request, person, employee, indicator, period)


@router.post("/penilai/pegawai/{employee_id}/indikator/{indicator_id}")
async def judge(
    employee_id: str,
    indicator_id: str,
    request: Request,
    web: Web,
    form: CheckedForm,
    person: WebSession = Rater,
) -> Response:
    """Send the judgement to scoring; back to the rating page, whose proposal follows it."""
    employee, indicator = checked_id(employee_id), checked_id(indicator_id)
    period = checked_period(str(form.get("period") or ""))
    if employee is None or indicator is None or period is None:
        return web.pages.not_found(request)
    values = {name: str(form.get(name) or "").strip() for name in ("judgement", "note")}
    errors: dict[str, str] = {}
    if values["judgement"] not in {value for value, _ in JUDGEMENTS}:
        errors["judgement"] = web.pages.translate(request, "Choose how far the target was met")
    else:
        try:
            await web.apis.request(
                Service.SCORING,
                "PUT",
                f"/v1/employees/{employee}/judgements/{period}/{indicator}",
                json={"judgement": values["judgement"], "note": values["note"] or None},
                token=person.access_token,
            )
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            # Scoring asks for a note when the target was not met or exceeded; other refusals
            # (e.g. a closed period) belong to the judgement itself.
            field = "note" if "note" in (problem.field or "") else "judgement"
            errors[field] = problem.message(web.pages.language(request))
    if errors:
        return await _page(
            web, request, person, employee, indicator, period, values=values, errors=errors, status_code=422
        )
    return RedirectResponse(f"/penilai/pegawai/{employee}/rating?periode={period}", status_code=303)
