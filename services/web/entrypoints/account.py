"""The signed-in person's own page: who they are signed in as, and signing out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.web.access import PageRoute, person_required
from services.web.adapters.sessions import WebSession
from services.web.context import Web
from services.web.entrypoints.employees.common import region_of, timezone_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

AnyPerson = person_required()


@router.get("/saya")
async def my_account(request: Request, web: Web, person: WebSession = AnyPerson) -> HTMLResponse:
    """Name, region, roles, and the sign-out button."""
    region = await region_of(web, person)
    return web.pages.render(request, "account.html", {"region": region}, timezone=timezone_of(region))
