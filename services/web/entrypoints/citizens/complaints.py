"""Complaints (pengaduan) for citizens: file one, anonymously or with contact details, get a tracking
code, follow it (status history, the running deadline in working days) and reopen it when closed."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.regions import RegionProfile
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.submissions import PENDING
from services.web.context import Web, WebContext
from services.web.entrypoints.citizens.common import (
    citizen_headers,
    new_submission_id,
    region_or_none,
    valid_id,
)
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)

Param = Annotated[str | None, Query(max_length=64)]
CODE = re.compile(r"[A-Za-z0-9 -]{10,16}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9 ()-]{6,32}")
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 4000
#: Feedback keeps photos up to 2 MiB; the page resizes a camera photo before sending it.
PHOTO_MAX_BYTES = 2 * 1024 * 1024


def photo_type(head: bytes) -> str | None:
    """A first look at an attached file (JPEG, PNG, WebP): feedback decides again by the same bytes."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _form_page(
    web: WebContext,
    request: Request,
    region: RegionProfile,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return web.pages.render(
        request,
        "citizens/complaint_form.html",
        {"region": region, "values": values, "errors": errors},
        status_code=status,
        timezone=region.timezone,
    )


@router.get("/pengaduan", openapi_extra=PUBLIC)
async def complaint_start(request: Request, web: Web, region: Param = None, unit: Param = None) -> Response:
    """Choose the region, then the complaint form."""
    if region is None:
        return web.pages.render(
            request, "citizens/choose_region.html", {"regions": await web.regions.all(), "next": "/pengaduan"}
        )
    profile = await region_or_none(web, region)
    if profile is None:
        return web.pages.render(request, "errors/not_found.html", status_code=404)
    values = {"unit": unit if profile.unit(valid_id(unit)) else None, "submission_id": new_submission_id()}
    return _form_page(web, request, profile, values, {})


@router.get("/pengaduan/layanan", openapi_extra=PUBLIC)
async def complaint_services(
    request: Request, web: Web, region: Param = None, unit: Param = None
) -> Response:
    """The form's service choice for one office (htmx swaps it in when the office changes)."""
    profile = await region_or_none(web, region)
    if profile is None:
        return web.pages.render(request, "errors/not_found.html", status_code=404)
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
async def complaint_submit(request: Request, web: Web, form: CheckedForm) -> Response:
    """File the complaint once; the confirmation with its tracking code, or the form with what to fix."""
    profile = await region_or_none(web, str(form.get("region", "")))
    if profile is None:
        return web.pages.render(request, "errors/not_found.html", status_code=404)
    values = {name: str(value) for name, value in form.items() if isinstance(value, str)}
    errors = _check(values, profile, web, request)
    upload = form.get("photo")
    photo = await upload.read(PHOTO_MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    if len(photo) > PHOTO_MAX_BYTES:
        errors["photo"] = web.pages.translate(request, "The photo must be smaller than 2 MB")
    elif photo and photo_type(photo[:16]) is None:
        errors["photo"] = web.pages.translate(request, "The photo must be a JPG, PNG or WebP image")
    if errors:
        return _form_page(web, request, profile, values, errors, status=422)
    submission_id = values.get("submission_id", "")
    earlier = await web.submissions.claim(submission_id)
    if earlier == PENDING:
        return web.pages.render(request, "citizens/sending.html", status_code=409)
    if earlier is not None:
        return RedirectResponse(earlier.decode(), status_code=303)
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
                headers={**citizen_headers(request, web), "Content-Type": photo_type(photo[:16]) or ""},
            )
        except ApiProblem:
            query["foto"] = "gagal"  # the complaint stands; the confirmation says the photo is missing
    target = "/pengaduan/terkirim?" + urlencode(query)
    await web.submissions.complete(submission_id, target)
    return RedirectResponse(target, status_code=303)


async def _tracked(
    web: WebContext, request: Request, region: RegionProfile, code: str
) -> dict[str, Any] | None:
    try:
        tracked: dict[str, Any] = await web.apis.get_json(
            Service.FEEDBACK,
            f"/v1/public/regions/{region.region_id}/complaints/{code}",
            headers=citizen_headers(request, web),
        )
    except ApiProblem as problem:
        if problem.status in (404, 422):
            return None
        raise
    return tracked


@router.get("/pengaduan/terkirim", openapi_extra=PUBLIC)
async def complaint_sent(
    request: Request, web: Web, region: Param = None, kode: Param = None, foto: Param = None
) -> Response:
    """The confirmation: the tracking code to keep, and what happens next."""
    profile = await region_or_none(web, region)
    tracked = (
        await _tracked(web, request, profile, kode) if profile and kode and CODE.fullmatch(kode) else None
    )
    if profile is None or tracked is None:
        return web.pages.render(request, "errors/not_found.html", status_code=404)
    return web.pages.render(
        request,
        "citizens/complaint_sent.html",
        {"region": profile, "tracked": tracked, "photo_failed": foto == "gagal"},
        timezone=profile.timezone,
    )


@router.get("/pengaduan/lacak", openapi_extra=PUBLIC)
async def complaint_track(request: Request, web: Web, region: Param = None, kode: Param = None) -> Response:
    """Enter a tracking code; with one, the complaint's status, history, deadline and the right to reopen."""
    regions = await web.regions.all()
    profile = await region_or_none(web, region)
    values = {"region": region or "", "kode": kode or ""}
    errors: dict[str, str] = {}
    tracked = None
    if region is not None or kode is not None:
        if profile is None:
            errors["region"] = web.pages.translate(request, "Choose the region you complained to")
        if not kode or not CODE.fullmatch(kode.strip()):
            errors["kode"] = web.pages.translate(request, "Enter the tracking code, like 7KQ3M-XR8T2")
        if not errors and profile is not None and kode:
            tracked = await _tracked(web, request, profile, kode.strip())
            if tracked is None:
                errors["kode"] = web.pages.translate(
                    request, "No complaint has this tracking code in this region"
                )
    return web.pages.render(
        request,
        "citizens/complaint_track.html",
        {"regions": regions, "region": profile, "values": values, "errors": errors, "tracked": tracked},
        status_code=422 if errors else 200,
        timezone=profile.timezone if profile else None,
    )


@router.post("/pengaduan/lacak/buka-kembali", openapi_extra=PUBLIC)
async def complaint_reopen(request: Request, web: Web, form: CheckedForm) -> Response:
    """Reopen a closed complaint, saying why."""
    profile = await region_or_none(web, str(form.get("region", "")))
    code = str(form.get("kode", "")).strip()
    if profile is None or not CODE.fullmatch(code):
        return web.pages.render(request, "errors/not_found.html", status_code=404)
    reason = str(form.get("reason", "")).strip()
    back = "/pengaduan/lacak?" + urlencode({"region": profile.region_id, "kode": code})
    if len(reason) < 5:
        tracked = await _tracked(web, request, profile, code)
        return web.pages.render(
            request,
            "citizens/complaint_track.html",
            {
                "regions": await web.regions.all(),
                "region": profile,
                "values": {"region": profile.region_id, "kode": code, "reason": reason},
                "errors": {
                    "reason": web.pages.translate(
                        request, "Say why you are reopening it, in at least 5 characters"
                    )
                },
                "tracked": tracked,
            },
            status_code=422,
            timezone=profile.timezone,
        )
    await web.apis.post_json(
        Service.FEEDBACK,
        f"/v1/public/regions/{profile.region_id}/complaints/{code}/reopen",
        {"reason": reason[:1000]},
        headers=citizen_headers(request, web),
    )
    return RedirectResponse(back, status_code=303)
