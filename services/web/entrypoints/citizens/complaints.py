"""Filing a complaint (pengaduan) as a citizen, anonymously or with contact details (GOV.UK's
question page, then "check your answers", then the confirmation with the tracking code).

``POST /pengaduan`` checks the form and keeps it as a draft (``check_answers.py``, the photo
included) without sending anything; ``/pengaduan/periksa`` shows the answers, each with a link back
to the form filled in as typed; ``POST /pengaduan/kirim`` sends the draft once (its submission id
claimed, so a resent page files nothing more). Following it is ``complaint_tracking.py``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.drafts import Draft
from services.web.adapters.regions import RegionProfile
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
from shared.file_types import sniff_photo_type
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)

CODE = re.compile(r"[A-Za-z0-9 -]{10,16}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9 ()-]{6,32}")
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 4000
#: Feedback keeps photos up to 2 MiB; the page resizes a camera photo before sending it.
PHOTO_MAX_BYTES = 2 * 1024 * 1024


#: The form's fields a draft keeps (the photo apart).
FIELDS = ("unit", "service", "description", "officer", "reply", "name", "email", "phone")


def _form_page(
    web: WebContext,
    request: Request,
    region: RegionProfile,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    *,
    kept_photo: str = "",
) -> Response:
    return web.pages.render(
        request,
        "citizens/complaint_form.html",
        {"region": region, "values": values, "errors": errors, "kept_photo": kept_photo},
        status_code=status,
        timezone=region.timezone,
    )


@router.get("/pengaduan", openapi_extra=PUBLIC)
async def complaint_start(
    request: Request, web: Web, region: ShortParam = None, unit: ShortParam = None, draf: ShortParam = None
) -> Response:
    """Choose the region, then the complaint form (filled in as typed when coming back to change it)."""
    if region is None:
        return web.pages.render(
            request, "citizens/choose_region.html", {"regions": await web.regions.all(), "next": "/pengaduan"}
        )
    profile = await region_or_none(web, region)
    if profile is None:
        return web.pages.not_found(request)
    draft = await web.drafts.get(draf, request.state.visitor) if draf else None
    if draf and draft is not None:
        values = draft.values | {"submission_id": draf}
        return _form_page(web, request, profile, values, {}, kept_photo=draft.photo_name)
    fresh = {"unit": unit if profile.unit(valid_id(unit)) else None, "submission_id": new_submission_id()}
    return _form_page(web, request, profile, fresh, {})


@router.get("/pengaduan/layanan", openapi_extra=PUBLIC)
async def complaint_services(
    request: Request, web: Web, region: ShortParam = None, unit: ShortParam = None
) -> Response:
    """The form's service choice for one office (htmx swaps it in when the office changes)."""
    profile = await region_or_none(web, region)
    if profile is None:
        return web.pages.not_found(request)
    values = {"unit": unit if profile.unit(valid_id(unit)) else None}
    return web.pages.render(
        request,
        "citizens/_complaint_services_fragment.html",
        {"region": profile, "values": values, "errors": {}},
    )


def _check(
    values: dict[str, str], region: RegionProfile, web: WebContext, request: Request
) -> dict[str, str]:
    translate = web.pages.translate
    errors: dict[str, str] = {}
    unit = region.unit(values.get("unit"))
    if unit is None:
        errors["unit"] = translate(request, "Choose the office your complaint is about")
    elif values.get("service") and unit.service(values["service"]) is None:
        errors["service"] = translate(request, "Choose a service of that office, or leave it empty")
    description = values.get("description", "").strip()
    if len(description) < DESCRIPTION_MIN:
        errors["description"] = translate(
            request, "Describe what happened in at least %(min)s characters", min=DESCRIPTION_MIN
        )
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = translate(
            request, "Your description must be %(max)s characters or fewer", max=DESCRIPTION_MAX
        )
    if values.get("reply") not in {"anonymous", "contact"}:
        errors["reply"] = translate(request, "Choose whether you want a reply")
    elif values["reply"] == "contact":
        email, phone = values.get("email", "").strip(), values.get("phone", "").strip()
        if not email and not phone:
            errors["email"] = translate(
                request, "Enter an email address or a phone number so the office can reply"
            )
        if email and not EMAIL.fullmatch(email):
            errors["email"] = translate(
                request, "Enter an email address in the right format, like nama@contoh.id"
            )
        if phone and not PHONE.fullmatch(phone):
            errors["phone"] = translate(request, "Enter a phone number, like 0812 3456 7890")
    return errors


@router.post("/pengaduan", openapi_extra=PUBLIC)
async def complaint_check_form(request: Request, web: Web, form: CheckedForm) -> Response:
    """Check the form and keep it as a draft (nothing sent yet); then the answers to check."""
    profile = await region_or_none(web, str(form.get("region", "")))
    if profile is None:
        return web.pages.not_found(request)
    values = {name: str(value) for name, value in form.items() if isinstance(value, str)}
    submission_id = values.get("submission_id", "")
    sent = await page_sent_to(web, submission_id)
    if sent is not None:
        return sent  # the form of a complaint already sent
    kept = await web.drafts.get(submission_id, request.state.visitor)
    errors = _check(values, profile, web, request)
    upload = form.get("photo")
    photo = await upload.read(PHOTO_MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    photo_name = (upload.filename or "") if isinstance(upload, UploadFile) and photo else ""
    if len(photo) > PHOTO_MAX_BYTES:
        errors["photo"] = web.pages.translate(request, "The photo must be smaller than 2 MB")
    elif photo and sniff_photo_type(photo[:16]) is None:
        errors["photo"] = web.pages.translate(request, "The photo must be a JPG, PNG or WebP image")
    if not photo and kept is not None and not values.get("remove_photo"):
        photo, photo_name = kept.photo, kept.photo_name  # attached before, neither replaced nor removed
    if errors:
        kept_photo = photo_name if "photo" not in errors else ""
        return _form_page(web, request, profile, values, errors, status=422, kept_photo=kept_photo)
    photo_name = (photo_name[:200] or "foto") if photo else ""
    draft = Draft({name: values.get(name, "").strip() for name in FIELDS}, photo, photo_name)
    submission_id = await keep_draft(web, request, submission_id, draft)
    query = urlencode({"region": profile.region_id, "draf": submission_id})
    return RedirectResponse(f"/pengaduan/periksa?{query}", status_code=303)


def _start_again(web: WebContext, request: Request, region: RegionProfile) -> StartAgain:
    """Where the draft-gone page leads: a new complaint in the same region."""
    return StartAgain(
        "/pengaduan?" + urlencode({"region": region.region_id}),
        web.pages.translate(request, "Start your complaint again"),
    )


@router.get("/pengaduan/periksa", openapi_extra=PUBLIC)
async def complaint_check(
    request: Request, web: Web, region: ShortParam = None, draf: ShortParam = None
) -> Response:
    """Check your answers: each with a link back to change it, and the one button that sends."""
    profile = await region_or_none(web, region)
    if profile is None or not draf:
        return web.pages.not_found(request)
    sent = await page_sent_to(web, draf)
    if sent is not None:
        return sent
    draft = await web.drafts.get(draf, request.state.visitor)
    if draft is None:
        return draft_gone(web, request, profile, _start_again(web, request, profile))
    unit = profile.unit(draft.values.get("unit"))
    service = unit.service(draft.values["service"]) if unit and draft.values.get("service") else None
    return web.pages.render(
        request,
        "citizens/complaint_check.html",
        {
            "region": profile,
            "values": draft.values,
            "unit": unit,
            "service": service,
            "photo_name": draft.photo_name if draft.photo else "",
            "submission_id": draf,
            "change": f"/pengaduan?{urlencode({'region': profile.region_id, 'draf': draf})}",
        },
        timezone=profile.timezone,
    )


@router.post("/pengaduan/kirim", openapi_extra=PUBLIC)
async def complaint_submit(request: Request, web: Web, form: CheckedForm) -> Response:
    """File the checked complaint once; the confirmation with its tracking code."""
    profile = await region_or_none(web, str(form.get("region", "")))
    if profile is None:
        return web.pages.not_found(request)
    submission_id = str(form.get("submission_id", ""))
    draft = await claim_draft(web, request, profile, submission_id, _start_again(web, request, profile))
    if isinstance(draft, Response):
        return draft
    values = draft.values
    errors = _check(values, profile, web, request)  # the region's offices may have changed meanwhile
    if errors:
        await web.submissions.release(submission_id)
        values = values | {"submission_id": submission_id}
        return _form_page(web, request, profile, values, errors, status=422, kept_photo=draft.photo_name)
    photo = draft.photo
    description = values["description"].strip()
    if values.get("officer", "").strip():
        description += "\n\n" + web.pages.translate(
            request, "Officer: %(officer)s", officer=values["officer"].strip()[:200]
        )
    contact = None
    if values["reply"] == "contact":
        contact = {
            "name": values.get("name", "").strip()[:200] or None,
            "email": values.get("email", "").strip() or None,
            "phone": values.get("phone", "").strip() or None,
        }
    body = {
        "unit_id": values["unit"],
        "service_id": values.get("service") or None,
        "description": description[:DESCRIPTION_MAX],
        "contact": contact,
    }
    try:
        receipt = await web.apis.post_json(
            Service.FEEDBACK,
            f"/v1/public/regions/{profile.region_id}/complaints",
            body,
            headers=citizen_headers(request, web),
        )
    except ApiProblem:
        await web.submissions.release(submission_id)
        raise
    query = {"region": profile.region_id, "kode": receipt["tracking_code"]}
    if photo:
        try:
            await web.apis.request(
                Service.FEEDBACK,
                "PUT",
                f"/v1/public/regions/{profile.region_id}/complaints/{receipt['tracking_code']}/photo",
                content=photo,
                headers={**citizen_headers(request, web), "Content-Type": sniff_photo_type(photo[:16]) or ""},
            )
        except ApiProblem:
            query["foto"] = "gagal"  # the complaint stands; the confirmation says the photo is missing
    target = "/pengaduan/terkirim?" + urlencode(query)
    await web.submissions.complete(submission_id, target)
    await web.drafts.delete(submission_id)
    return RedirectResponse(target, status_code=303)
