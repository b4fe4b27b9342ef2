"""A printable QR poster per unit (and service) for the counter: scanning it opens the survey.

The poster carries the unit's public survey link, not a ticket (a ticket is single-use and printed
on one citizen's receipt). The QR code is an SVG made with segno, inline in the page and alone at
``…/qr.svg`` for print shops.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from services.web.access import PageRoute
from services.web.adapters.regions import PublicUnit, RatedService, RegionProfile
from services.web.context import Web, WebContext
from services.web.entrypoints.citizens.common import ShortParam, region_or_none, valid_id
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def survey_link(
    web: WebContext, region: RegionProfile, unit: PublicUnit, service: RatedService | None
) -> str:
    """The unit's (or service's) public survey address, on the web app's public address."""
    query = {"region": region.region_id, "unit": unit.unit_id}
    if service is not None:
        query["service"] = service.service_id
    return f"{web.settings.survey_url}?{urlencode(query)}"


def qr_svg(link: str, title: str) -> str:
    """The link as a QR code in SVG (error correction M: readable when a poster is a little worn)."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(
        buffer,
        kind="svg",
        scale=10,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title,
        svgclass="qr",
        lineclass=None,
    )
    return buffer.getvalue().decode()


async def _chosen(
    web: WebContext, region_id: str, unit_id: str, service_id: str | None
) -> tuple[RegionProfile, PublicUnit, RatedService | None] | None:
    region = await region_or_none(web, region_id)
    unit = region.unit(valid_id(unit_id)) if region else None
    if region is None or unit is None:
        return None
    service = unit.service(service_id) if service_id else None
    if service_id and service is None:
        return None
    return region, unit, service


@router.get("/poster/{region_id}/{unit_id}", openapi_extra=PUBLIC)
async def poster(
    region_id: str, unit_id: str, request: Request, web: Web, layanan: ShortParam = None
) -> Response:
    """The poster page, made to print on A4."""
    chosen = await _chosen(web, region_id, unit_id, layanan)
    if chosen is None:
        return web.pages.not_found(request)
    region, unit, service = chosen
    link = survey_link(web, region, unit, service)
    return web.pages.render(
        request,
        "citizens/poster.html",
        {
            "region": region,
            "unit": unit,
            "service": service,
            "link": link,
            "qr": Markup(qr_svg(link, web.pages.translate(request, "QR code: rate this service"))),  # noqa: S704 - segno's own SVG
        },
        timezone=region.timezone,
    )


@router.get("/poster/{region_id}/{unit_id}/qr.svg", openapi_extra=PUBLIC)
async def poster_qr(
    region_id: str, unit_id: str, request: Request, web: Web, layanan: ShortParam = None
) -> Response:
    """The poster's QR code alone, as an SVG file."""
    chosen = await _chosen(web, region_id, unit_id, layanan)
    if chosen is None:
        return web.pages.not_found(request)
    link = survey_link(web, *chosen)
    return Response(
        qr_svg(link, "QR"),
        media_type="image/svg+xml",
        headers={"Content-Disposition": 'inline; filename="skm-qr.svg"'},
    )
