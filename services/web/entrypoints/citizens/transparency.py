"""A region's public transparency page: each unit's IKM, grade, respondents and complaint handling."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.web.access import PageRoute
from services.web.adapters.services_api import Service
from services.web.context import Web
from services.web.entrypoints.citizens.common import citizen_headers, region_or_none
from services.web.i18n import N_
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PERIOD = re.compile(r"\d{4}(-(Q[1-4]|S[12]|M(0[1-9]|1[0-2])))?")
#: The grades of PermenPANRB 14/2017 in words (feedback sends the Indonesian label too).
GRADE_WORDS = {"A": N_("Very good"), "B": N_("Good"), "C": N_("Fair"), "D": N_("Not good")}


@router.get("/transparansi/{region_id}", openapi_extra=PUBLIC)
async def transparency(
    region_id: str,
    request: Request,
    web: Web,
    periode: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """The figures of the region's current period, or of the period (or year) asked for."""
    profile = await region_or_none(web, region_id)
    if profile is None:
        return web.pages.render(request, "errors/not_found.html", status_code=404)
    period = periode if periode and PERIOD.fullmatch(periode) else None
    figures = await web.apis.get_json(
        Service.FEEDBACK,
        f"/v1/public/regions/{profile.region_id}/figures",
        params={"period": period} if period else None,
        headers=citizen_headers(request, web),
    )
    year = figures["period"][:4]
    return web.pages.render(
        request,
        "citizens/transparency.html",
        {"region": profile, "figures": figures, "grade_words": GRADE_WORDS, "year": year},
        timezone=profile.timezone,
    )
