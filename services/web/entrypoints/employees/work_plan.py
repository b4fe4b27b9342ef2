"""My work plan (SKP): see the year's plan and its approval state; draft, edit and submit it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.sessions import WebSession
from services.web.context import Web, WebContext
from services.web.entrypoints.employees.common import Employee, latest_plan, region_of, this_year, timezone_of
from services.web.entrypoints.employees.work_plan_form import (
    MAX_INDICATORS,
    MAX_RESULTS,
    QUARTERS,
    IndicatorRow,
    ResultRow,
    blank_rows,
    plan_body,
    rows_from_form,
    rows_from_plan,
)
from services.web.i18n import Formatter

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _year(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() and 2020 <= int(text) <= 2100 else default


@router.get("/saya/skp")
async def my_work_plan(
    request: Request, web: Web, tahun: str | None = None, person: WebSession = Employee
) -> HTMLResponse:
    """The year's plan: results, indicators, targets, period splits and where its approval stands."""
    region = await region_of(web, person)
    year = _year(tahun, this_year(region))
    plan = await latest_plan(web, person, year)
    return web.pages.render(
        request,
        "employees/work_plan.html",
        {"plan": plan, "year": year, "quarters": QUARTERS},
        timezone=timezone_of(region),
    )


async def _form_page(
    request: Request,
    web: WebContext,
    person: WebSession,
    *,
    year: int,
    rows: list[ResultRow],
    plan: dict[str, Any] | None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    region = await region_of(web, person)
    return web.pages.render(
        request,
        "employees/work_plan_form.html",
        {"plan": plan, "year": year, "rows": rows, "errors": errors or {}, "quarters": QUARTERS},
        status_code=status_code,
        timezone=timezone_of(region),
    )


@router.get("/saya/skp/baru")
async def new_work_plan(
    request: Request, web: Web, tahun: str | None = None, person: WebSession = Employee
) -> Response:
    """The form of a new draft (or the existing plan, when the year has one)."""
    year = _year(tahun, this_year(await region_of(web, person)))
    if await latest_plan(web, person, year) is not None:
        return RedirectResponse(f"/saya/skp?tahun={year}", status_code=303)
    return await _form_page(request, web, person, year=year, rows=blank_rows(), plan=None)


def _grown(rows: list[ResultRow], action: str) -> list[ResultRow] | None:
    """The rows with one more blank block when the person asked for one ("add another"), else None."""
    if action == "add-result" and len(rows) < MAX_RESULTS:
        return [*rows, ResultRow(kind="additional", indicators=[IndicatorRow()])]
    if action.startswith("add-indicator-") and action.removeprefix("add-indicator-").isdigit():
        r = int(action.removeprefix("add-indicator-"))
        if r < len(rows) and len(rows[r].indicators) < MAX_INDICATORS:
            rows[r].indicators.append(IndicatorRow())
        return rows
    return None


async def _save(
    request: Request,
    web: WebContext,
    person: WebSession,
    form: CheckedForm,
    *,
    year: int,
    plan: dict[str, Any] | None,
) -> Response:
    """Check the typed plan, then create or replace the draft through planning's API."""
    rows = rows_from_form(form)
    grown = _grown(rows, str(form.get("action", "save")))
    if grown is not None:
        return await _form_page(request, web, person, year=year, rows=grown, plan=plan)
    language = web.pages.language(request)
    draft = plan_body(rows, year, Formatter(language).locale, lambda text: web.pages.translate(request, text))
    if not draft.errors:
        try:
            if plan is None:
                await web.apis.post_json(
                    Service.PLANNING, "/v1/work-plans", draft.body, token=person.access_token
                )
            else:
                body = {"results": draft.body["results"]}
                await web.apis.request(
                    Service.PLANNING,
                    "PUT",
                    f"/v1/work-plans/{plan['plan_id']}",
                    json=body,
                    token=person.access_token,
                )
        except ApiProblem as problem:
            if problem.code == "plan_exists":
                # Sent twice (a double tap, a reload): the first one made the plan.
                return RedirectResponse(f"/saya/skp?tahun={year}", status_code=303)
            if problem.status not in (409, 422):
                raise
            draft.errors[draft.field_of(problem.field) or "r0-text"] = problem.message(language)
    if draft.errors:
        return await _form_page(
            request, web, person, year=year, rows=rows, plan=plan, errors=draft.errors, status_code=422
        )
    return RedirectResponse(f"/saya/skp?tahun={year}&disimpan=1", status_code=303)


@router.post("/saya/skp/baru")
async def create_work_plan(
    request: Request, web: Web, form: CheckedForm, tahun: str | None = None, person: WebSession = Employee
) -> Response:
    """Save a new draft."""
    year = _year(tahun, this_year(await region_of(web, person)))
    return await _save(request, web, person, form, year=year, plan=None)


async def _draft(web: WebContext, person: WebSession, plan_id: str) -> dict[str, Any]:
    plan: dict[str, Any] = await web.apis.get_json(
        Service.PLANNING, f"/v1/work-plans/{plan_id}", token=person.access_token
    )
    return plan


@router.get("/saya/skp/{plan_id}/ubah")
async def edit_work_plan(request: Request, web: Web, plan_id: str, person: WebSession = Employee) -> Response:
    """The draft's form, filled with what it holds."""
    plan = await _draft(web, person, plan_id)
    if plan["status"] != "draft" or plan["employee_id"] != person.employee_id:
        return RedirectResponse(f"/saya/skp?tahun={plan['year']}", status_code=303)
    fmt = Formatter(web.pages.language(request))
    rows = rows_from_plan(plan, fmt.number)
    return await _form_page(request, web, person, year=plan["year"], rows=rows, plan=plan)


@router.post("/saya/skp/{plan_id}/ubah")
async def update_work_plan(
    request: Request, web: Web, plan_id: str, form: CheckedForm, person: WebSession = Employee
) -> Response:
    """Replace the draft's content."""
    plan = await _draft(web, person, plan_id)
    return await _save(request, web, person, form, year=plan["year"], plan=plan)


@router.post("/saya/skp/{plan_id}/ajukan")
async def submit_work_plan(web: Web, plan_id: str, _: CheckedForm, person: WebSession = Employee) -> Response:
    """Send the draft to the rater for approval (a second press finds it submitted already)."""
    plan = await _draft(web, person, plan_id)
    if plan["status"] == "draft":
        await web.apis.post_json(
            Service.PLANNING, f"/v1/work-plans/{plan_id}/submit", None, token=person.access_token
        )
    return RedirectResponse(f"/saya/skp?tahun={plan['year']}&diajukan=1", status_code=303)


@router.post("/saya/skp/{plan_id}/revisi")
async def revise_work_plan(web: Web, plan_id: str, _: CheckedForm, person: WebSession = Employee) -> Response:
    """Start a new version of a rejected or approved plan, and open it for editing."""
    plan = await _draft(web, person, plan_id)
    if plan["superseded_by"]:
        return RedirectResponse(f"/saya/skp/{plan['superseded_by']}/ubah", status_code=303)
    revised = await web.apis.post_json(
        Service.PLANNING, f"/v1/work-plans/{plan_id}/revise", None, token=person.access_token
    )
    return RedirectResponse(f"/saya/skp/{revised['plan_id']}/ubah", status_code=303)
