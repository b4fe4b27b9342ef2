"""Reporting an activity: a form that works without JavaScript, and the offline queue's sync.

With JavaScript the page keeps every report in IndexedDB first (static/js/asn-queue.js) and sends
the queue here, to ``/saya/kegiatan/sinkron``: this process holds the person's token, so it
forwards the queue to reporting's batch endpoint and answers each item's outcome with the reason in
the person's language. The client-generated ``activity_id`` makes a resend a duplicate, never a
second activity. Without JavaScript the form posts to ``/saya/kegiatan`` and this process calls
reporting directly, with an id it generated when it drew the form.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.web.access import CheckedForm, CheckedScript, PageRoute
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.sessions import WebSession
from services.web.context import Web, WebContext
from services.web.entrypoints.employees.common import (
    Employee,
    approved_plan,
    parse_number,
    region_of,
    this_year,
    timezone_of,
)
from services.web.i18n import Formatter
from shared.region_time import region_now
from shared.time_ordered_ids import uuid7

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: The most queued reports one sync sends (reporting takes up to 500; a phone sends the rest next).
SYNC_BATCH = 50


def _indicators(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [indicator for result in (plan or {}).get("results", []) for indicator in result["indicators"]]


async def _page(
    request: Request,
    web: WebContext,
    person: WebSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    region = await region_of(web, person)
    plan = await approved_plan(web, person, this_year(region))
    recent = await web.apis.get_json(
        Service.REPORTING,
        f"/v1/employees/{person.employee_id}/activities",
        params={"limit": 10},
        token=person.access_token,
    )
    indicators = _indicators(plan)
    return web.pages.render(
        request,
        "employees/activities.html",
        {
            "plan": plan,
            "indicators": indicators,
            "indicator_names": {i["indicator_id"]: i["name"] for i in indicators},
            "indicator_options": [
                (
                    i["indicator_id"],
                    f"{i['name']} ({i['unit_of_measure']})" if i.get("unit_of_measure") else i["name"],
                )
                for i in indicators
            ],
            "recent": recent["items"],
            # The form's own id and moment: a resent form is the same report (a duplicate, not a second).
            "values": values or {"activity_id": uuid7().hex, "occurred_at": _now(timezone_of(region))},
            "errors": errors or {},
            "sent": request.query_params.get("terkirim"),
        },
        status_code=status_code,
        timezone=timezone_of(region),
    )


def _now(timezone: str | None) -> str:
    """Now in the region's zone, to the second (the moment a form without the script reports)."""
    return region_now(timezone).replace(microsecond=0).isoformat()


def _moment(text: str) -> str | None:
    """The form's moment when it is a time with its offset, else None."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.isoformat() if moment.tzinfo is not None else None


@router.get("/saya/kegiatan")
async def activity_page(request: Request, web: Web, person: WebSession = Employee) -> HTMLResponse:
    """The report form, the phone's queue (drawn by the script) and the latest reports' status."""
    return await _page(request, web, person)


def _checked(
    request: Request, web: WebContext, form: CheckedForm, known: set[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body of the typed report, or the field errors in the page's language."""
    language = web.pages.language(request)
    errors: dict[str, str] = {}
    indicator = str(form.get("indicator", ""))
    if indicator not in known:
        errors["indicator"] = web.pages.translate(request, "Choose the indicator this activity counts for")
    body: dict[str, Any] = {"activity_id": str(form.get("activity_id", "")), "indicator_id": indicator}
    quantity = str(form.get("quantity", "")).strip()
    if quantity:
        number = parse_number(quantity, Formatter(language).locale)
        if number is None:
            errors["quantity"] = web.pages.translate(request, "Enter the quantity as a number, like 3 or 2.5")
        else:
            body["quantity"] = str(number)
    note = str(form.get("note", "")).strip()
    if len(note) < 3:
        errors["note"] = web.pages.translate(request, "Describe what you did in at least 3 characters")
    body["description"] = note
    for axis, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        typed = str(form.get(axis, "")).strip()
        if typed:
            try:
                value = Decimal(typed)
            except ArithmeticError:
                value = Decimal(999)
            if not low <= value <= high:
                errors[axis] = web.pages.translate(
                    request, "Enter the location as decimal degrees, or leave it empty"
                )
            else:
                body[axis] = str(round(value, 6))
    return body, errors


@router.post("/saya/kegiatan")
async def report_activity(
    request: Request, web: Web, form: CheckedForm, person: WebSession = Employee
) -> Response:
    """Send one report without the script (its id was drawn with the form: a resend is a duplicate)."""
    region = await region_of(web, person)
    plan = await approved_plan(web, person, this_year(region))
    body, errors = _checked(request, web, form, {i["indicator_id"] for i in _indicators(plan)})
    values = {
        key: str(form.get(key, ""))
        for key in ("activity_id", "occurred_at", "indicator", "quantity", "note", "latitude", "longitude")
    }
    if not errors:
        body["occurred_at"] = _moment(values["occurred_at"]) or _now(timezone_of(region))
        try:
            await web.apis.post_json(Service.REPORTING, "/v1/activities", body, token=person.access_token)
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            field = {"indicator_id": "indicator", "description": "note"}.get(
                problem.field or "", problem.field
            )
            errors[field if field in values else "note"] = problem.message(web.pages.language(request))
    if errors:
        return await _page(request, web, person, values=values, errors=errors, status_code=422)
    photo = form.get("photo")
    if isinstance(photo, UploadFile) and photo.filename:
        await _attach(web, person, body["activity_id"], photo)
    return RedirectResponse(f"/saya/kegiatan?terkirim={body['activity_id']}", status_code=303)


async def _attach(web: WebContext, person: WebSession, activity_id: str, photo: UploadFile) -> dict[str, Any]:
    content = await photo.read()
    evidence: dict[str, Any] = (
        await web.apis.request(
            Service.REPORTING,
            "POST",
            f"/v1/activities/{activity_id}/evidence",
            files={"file": (photo.filename or "foto.jpg", content, photo.content_type or "image/jpeg")},
            token=person.access_token,
        )
    ).json()
    return evidence


def _refusal(request: Request, web: WebContext, error: dict[str, Any] | None) -> dict[str, str]:
    """A service's refusal in the person's language, both languages kept for the queue."""
    error = error or {}
    message_en, message_id = (
        str(error.get("message") or ""),
        str(error.get("message_id") or error.get("message") or ""),
    )
    language = web.pages.language(request)
    return {
        "message": message_id if language == "id" else message_en,
        "message_en": message_en,
        "message_id": message_id,
    }


@router.post("/saya/kegiatan/sinkron")
async def sync_queue(
    request: Request, web: Web, person: WebSession = Employee, _: None = CheckedScript
) -> JSONResponse:
    """Forward the phone's queue to reporting's batch endpoint; answer each item's outcome."""
    try:
        payload = await request.json()
    except ValueError:
        payload = None
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= SYNC_BATCH:
        problem = {
            "message": web.pages.translate(request, "The queue could not be read; it stays on your phone")
        }
        return JSONResponse({"error": problem}, status_code=400)
    try:
        answer = await web.apis.post_json(
            Service.REPORTING, "/v1/activities/batch", {"items": items}, token=person.access_token
        )
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 429:
            raise
        body = {"code": problem.code, "message": problem.message_en, "message_id": problem.message_id}
        return JSONResponse({"error": _refusal(request, web, body)}, status_code=problem.status)
    outcomes = []
    for item in answer["items"]:
        sent = items[item["index"]] if isinstance(items[item["index"]], dict) else {}
        outcome = {"activity_id": sent.get("activity_id") or item["activity_id"], "outcome": item["outcome"]}
        if item["outcome"] == "rejected":
            outcome |= _refusal(request, web, item.get("error"))
        outcomes.append(outcome)
    return JSONResponse({"items": outcomes})


@router.post("/saya/kegiatan/{activity_id}/bukti")
async def upload_evidence(
    request: Request, web: Web, activity_id: str, form: CheckedForm, person: WebSession = Employee
) -> JSONResponse:
    """Upload a queued report's photo once reporting accepted the report (the same photo again is a 200)."""
    photo = form.get("photo")
    if not isinstance(photo, UploadFile):
        return JSONResponse(
            {"error": {"message": web.pages.translate(request, "No photo was sent")}}, status_code=400
        )
    try:
        evidence = await _attach(web, person, activity_id, photo)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 429:
            raise
        body = {"message": problem.message_en, "message_id": problem.message_id}
        return JSONResponse({"error": _refusal(request, web, body)}, status_code=problem.status)
    return JSONResponse({"sha256": evidence["sha256"]})
