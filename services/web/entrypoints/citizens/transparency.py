"""A region's public transparency page: each unit's IKM, grade, respondents and complaint handling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.web.access import PageRoute
from services.web.adapters.services_api import Service
from services.web.context import Web
from services.web.entrypoints.citizens.common import citizen_headers, region_or_none
from services.web.i18n import N_
from services.web.periods import chosen_period, current_period, period_choices
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: The grades of PermenPANRB 14/2017 in words (feedback sends the Indonesian label too).
GRADE_WORDS = {"A": N_("Very good"), "B": N_("Good"), "C": N_("Fair"), "D": N_("Not good")}


@router.get("/transparansi/{region_id}", openapi_extra=PUBLIC)
async def transparency(
    region_id: str,
    request: Request,
    web: Web,
    periode: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """The figures of the region's current period, or of the year or region's period asked for."""
    profile = await region_or_none(web, region_id)
    if profile is None:
        return web.pages.not_found(request)
    today = current_period(profile.period_kind, profile.timezone)
    # A year or one of the region's own periods: what feedback keeps the index for.
    period = chosen_period(periode, profile.period_kind, profile.timezone)
    figures = await web.apis.get_json(
        Service.FEEDBACK,
        f"/v1/public/regions/{profile.region_id}/figures",
        params={"period": period},
        headers=citizen_headers(request, web),
    )
    return web.pages.render(
        request,
        "citizens/transparency.html",
        {
            "region": profile,
            "figures": figures,
            "grade_words": GRADE_WORDS,
            "periods": period_choices(profile.period_kind, figures["period"], today),
            "current": figures["period"] == today,
        },
        timezone=profile.timezone,
    )
