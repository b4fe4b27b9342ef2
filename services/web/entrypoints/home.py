"""The front page and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.access import OptionalPerson, PageRoute
from services.web.context import Web
from services.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from services.web.pages import safe_next
from services.web.security import cookie
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/", openapi_extra=PUBLIC)
async def front_page(request: Request, web: Web, person: OptionalPerson) -> HTMLResponse:
    """What citizens and staff can do here, Indonesian first."""
    regions = await web.regions.all()
    return web.pages.render(request, "home.html", {"regions": regions})


@router.get("/bahasa/{language}", openapi_extra=PUBLIC)
async def switch_language(language: str, request: Request, next: str | None = None) -> Response:
    """Remember the chosen language (a year) and go back to the page the person was on."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.headers.append("Set-Cookie", cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600))
    return response
