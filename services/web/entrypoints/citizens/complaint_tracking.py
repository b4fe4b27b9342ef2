"""Following a complaint (pengaduan): the confirmation with its tracking code, the tracking page
(status history, the running deadline in working days) and reopening it once closed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.regions import RegionProfile
from services.web.adapters.services_api import ApiProblem, Service
from services.web.context import Web, WebContext
from services.web.entrypoints.citizens.common import ShortParam, citizen_headers, region_or_none
from services.web.entrypoints.citizens.complaints import CODE
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)


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
    request: Request, web: Web, region: ShortParam = None, kode: ShortParam = None, foto: ShortParam = None
) -> Response:
    """The confirmation: the tracking code to keep, and what happens next."""
    profile = await region_or_none(web, region)
    tracked = (
        await _tracked(web, request, profile, kode) if profile and kode and CODE.fullmatch(kode) else None
    )
    if profile is None or tracked is None:
        return web.pages.not_found(request)
    return web.pages.render(
        request,
        "citizens/complaint_sent.html",
        {"region": profile, "tracked": tracked, "photo_failed": foto == "gagal"},
        timezone=profile.timezone,
    )


@router.get("/pengaduan/lacak", openapi_extra=PUBLIC)
async def complaint_track(
    request: Request, web: Web, region: ShortParam = None, kode: ShortParam = None
) -> Response:
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
        return web.pages.not_found(request)
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
