"""The satisfaction survey (SKM) for citizens: reached by a ticket's QR code or a unit's public link.

``/skm?region=&unit=[&service=][&ticket=]``: without a region or unit the citizen chooses them;
the form asks the nine items, the optional profile and a comment. ``POST /skm`` checks it and keeps
it as a draft (``check_answers.py``) without sending anything; ``/skm/periksa`` shows each answer in
words with a link back to the form filled in as it was; ``POST /skm/kirim`` sends the draft once
(a resent page lands on the first sending's thank-you page). Feedback refuses a ticket used before.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.drafts import Draft
from services.web.adapters.regions import PublicUnit, RegionProfile
from services.web.adapters.services_api import ApiProblem, Service
from services.web.context import Web, WebContext
from services.web.entrypoints.citizens.check_answers import (
    StartAgain,
    claim_draft,
    draft_gone,
    keep_draft,
    page_sent_to,
)
from services.web.entrypoints.citizens.common import (
    ShortParam,
    citizen_headers,
    new_submission_id,
    region_or_none,
    valid_id,
)
from services.web.entrypoints.citizens.survey_form import COMMENT_MAX, ITEMS, PROFILE
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)

TICKET_PROBLEMS = {"unknown_ticket", "invalid_ticket", "ticket_other_unit", "ticket_expired"}
#: The form's fields a draft keeps.
FIELDS = ("unit", "service", "ticket", *(item.key for item in ITEMS), "comment", *PROFILE)


def _form_page(
    web: WebContext,
    request: Request,
    region: RegionProfile,
    unit: PublicUnit,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    return web.pages.render(
        request,
        "citizens/survey_form.html",
        {
            "region": region,
            "unit": unit,
            "items": ITEMS,
            "profile": PROFILE,
            "service_options": [(service.service_id, service.name) for service in unit.services],
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
        timezone=region.timezone,
    )


@router.get("/skm", openapi_extra=PUBLIC)
async def survey_start(
    request: Request,
    web: Web,
    region: ShortParam = None,
    unit: ShortParam = None,
    service: ShortParam = None,
    ticket: Annotated[str | None, Query(max_length=16)] = None,
    draf: ShortParam = None,
) -> Response:
    """Choose the region and the unit, then the questionnaire (as filled in, when coming back to it)."""
    if region is None:
        return web.pages.render(request, "citizens/choose_region.html", {"regions": await web.regions.all()})
    profile = await region_or_none(web, region)
    if profile is None:
        return web.pages.not_found(request)
    if unit is None:
        return web.pages.render(
            request, "citizens/choose_unit.html", {"region": profile}, timezone=profile.timezone
        )
    chosen = profile.unit(valid_id(unit))
    if chosen is None:
        return web.pages.not_found(request)
    draft = await web.drafts.get(draf, request.state.visitor) if draf else None
    if draf and draft is not None and draft.values.get("unit") == chosen.unit_id:
        return _form_page(web, request, profile, chosen, draft.values | {"submission_id": draf}, {})
    values = {
        "service": service if chosen.service(service) else None,
        "ticket": (ticket or "").strip()[:16],
        "submission_id": new_submission_id(),
    }
    return _form_page(web, request, profile, chosen, values, {})


def _check(values: dict[str, str], unit: PublicUnit, web: WebContext, request: Request) -> dict[str, str]:
    """In page order, a message per field that needs the citizen's attention."""
    errors: dict[str, str] = {}
    translate = web.pages.translate
    if unit.services and not unit.service(values.get("service")):
        errors["service"] = translate(request, "Choose the service you used")
    for item in ITEMS:
        if values.get(item.key) not in {"1", "2", "3", "4"}:
            errors[item.key] = translate(
                request, "Choose an answer about %(topic)s", topic=translate(request, item.title).lower()
            )
    for field, (_, options) in PROFILE.items():
        if values.get(field) and values[field] not in {value for value, _ in options}:
            errors[field] = translate(request, "Choose one of the answers, or leave it empty")
    if len(values.get("comment", "")) > COMMENT_MAX:
        errors["comment"] = translate(
            request, "Your comment must be %(max)s characters or fewer", max=COMMENT_MAX
        )
    return errors


@router.post("/skm", openapi_extra=PUBLIC)
async def survey_check_form(request: Request, web: Web, form: CheckedForm) -> Response:
    """Check the answers and keep them as a draft (nothing sent yet); then the answers to check."""
    profile = await region_or_none(web, str(form.get("region", "")))
    unit = profile.unit(valid_id(str(form.get("unit", "")))) if profile else None
    if profile is None or unit is None:
        return web.pages.not_found(request)
    values = {name: str(value) for name, value in form.items() if isinstance(value, str)}
    submission_id = values.get("submission_id", "")
    sent = await page_sent_to(web, submission_id)
    if sent is not None:
        return sent  # the form of answers already sent
    errors = _check(values, unit, web, request)
    if errors:
        return _form_page(web, request, profile, unit, values, errors, status_code=422)
    kept = Draft({name: values.get(name, "").strip() for name in FIELDS})
    submission_id = await keep_draft(web, request, submission_id, kept)
    query = urlencode({"region": profile.region_id, "unit": unit.unit_id, "draf": submission_id})
    return RedirectResponse(f"/skm/periksa?{query}", status_code=303)


def _start_again(web: WebContext, request: Request, region: RegionProfile, unit_id: str) -> StartAgain:
    """Where the draft-gone page leads: a new survey of the same office (a ticket's QR code scanned
    again brings its ticket back)."""
    return StartAgain(
        "/skm?" + urlencode({"region": region.region_id, "unit": unit_id}),
        web.pages.translate(request, "Start the survey again"),
    )


@router.get("/skm/periksa", openapi_extra=PUBLIC)
async def survey_check(
    request: Request, web: Web, region: ShortParam = None, unit: ShortParam = None, draf: ShortParam = None
) -> Response:
    """Check your answers: each item's answer in words with a link back to change it, and the one
    button that sends them."""
    profile = await region_or_none(web, region)
    chosen = profile.unit(valid_id(unit)) if profile else None
    if profile is None or chosen is None or not draf:
        return web.pages.not_found(request)
    sent = await page_sent_to(web, draf)
    if sent is not None:
        return sent
    draft = await web.drafts.get(draf, request.state.visitor)
    if draft is None or draft.values.get("unit") != chosen.unit_id:
        return draft_gone(web, request, profile, _start_again(web, request, profile, chosen.unit_id))
    values = draft.values
    profile_answers = [
        (legend, dict(options).get(values.get(field, "")), field)
        for field, (legend, options) in PROFILE.items()
    ]
    change = "/skm?" + urlencode({"region": profile.region_id, "unit": chosen.unit_id, "draf": draf})
    return web.pages.render(
        request,
        "citizens/survey_check.html",
        {
            "region": profile,
            "unit": chosen,
            "service": chosen.service(values.get("service")),
            "values": values,
            "answers": [(item, item.answers[int(values[item.key]) - 1]) for item in ITEMS],
            "profile_answers": profile_answers,
            "submission_id": draf,
            "change": change,
        },
        timezone=profile.timezone,
    )


@router.post("/skm/kirim", openapi_extra=PUBLIC)
async def survey_submit(request: Request, web: Web, form: CheckedForm) -> Response:
    """Send the checked answers to feedback once; the thank-you page."""
    profile = await region_or_none(web, str(form.get("region", "")))
    unit = profile.unit(valid_id(str(form.get("unit", "")))) if profile else None
    if profile is None or unit is None:
        return web.pages.not_found(request)
    submission_id = str(form.get("submission_id", ""))
    draft = await claim_draft(
        web, request, profile, submission_id, _start_again(web, request, profile, unit.unit_id)
    )
    if isinstance(draft, Response):
        return draft
    values = draft.values
    if values.get("unit") != unit.unit_id:  # a check page of another office's draft: sent from there
        await web.submissions.release(submission_id)
        return web.pages.not_found(request)
    errors = _check(values, unit, web, request)  # the office's services may have changed meanwhile
    if errors:
        await web.submissions.release(submission_id)
        values = values | {"submission_id": submission_id}
        return _form_page(web, request, profile, unit, values, errors, status_code=422)

    body: dict[str, Any] = {
        "scores": {item.key: int(values[item.key]) for item in ITEMS},
        "service_id": values.get("service") or None,
        "comment": values.get("comment", "").strip() or None,
        "ticket": values.get("ticket") or None,
        "respondent": {field: values.get(field) or None for field in PROFILE},
    }
    try:
        await web.apis.post_json(
            Service.FEEDBACK,
            f"/v1/public/regions/{profile.region_id}/units/{unit.unit_id}/survey-responses",
            body,
            headers=citizen_headers(request, web),
        )
    except ApiProblem as problem:
        await web.submissions.release(submission_id)
        if problem.code == "ticket_used":
            return web.pages.render(
                request, "citizens/ticket_used.html", {"region": profile, "unit": unit}, status_code=409
            )
        if problem.code in TICKET_PROBLEMS:
            without_ticket = "/skm?" + urlencode({"region": profile.region_id, "unit": unit.unit_id})
            return web.pages.render(
                request,
                "citizens/ticket_problem.html",
                {"problem": problem, "without_ticket": without_ticket},
                status_code=problem.status,
            )
        raise
    thanks = "/skm/terima-kasih?" + urlencode({"region": profile.region_id, "unit": unit.unit_id})
    await web.submissions.complete(submission_id, thanks)
    await web.drafts.delete(submission_id)
    return RedirectResponse(thanks, status_code=303)


@router.get("/skm/terima-kasih", openapi_extra=PUBLIC)
async def survey_thanks(
    request: Request, web: Web, region: ShortParam = None, unit: ShortParam = None
) -> Response:
    """The confirmation: the answers arrived and count in the office's index."""
    profile = await region_or_none(web, region)
    chosen = profile.unit(valid_id(unit)) if profile else None
    if profile is None or chosen is None:
        return web.pages.not_found(request)
    return web.pages.render(
        request, "citizens/survey_thanks.html", {"region": profile, "unit": chosen}, timezone=profile.timezone
    )
