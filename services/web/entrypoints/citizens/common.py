"""What every citizen page shares: the region it is about, and calling feedback for the citizen."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import Query, Request

from services.web.adapters.regions import RegionProfile
from services.web.context import WebContext
from services.web.security import device_id

#: Region, unit and service ids as the services mint them (anything else is no such page).
ID = re.compile(r"[\w.:@-]{1,64}")
#: A short text in a page's query string (an id, a tracking code, a flag): no id is longer than 64.
ShortParam = Annotated[str | None, Query(max_length=64)]


def valid_id(value: str | None) -> str | None:
    """The id when it looks like one, else None."""
    return value if value and ID.fullmatch(value) else None


def citizen_headers(request: Request, web: WebContext) -> dict[str, str]:
    """Who the citizen is as far as feedback's rate limits go: their address and this browser.

    Feedback believes ``X-Forwarded-For`` from the web process's address only (its
    ``trusted_proxy_addresses``), so each citizen is counted on their own, not the web process.
    """
    address = request.client.host if request.client else "unknown"
    return {
        "X-Forwarded-For": address,
        "X-Device-Token": device_id(web.settings.web_secret_key, request.state.visitor),
    }


def new_submission_id() -> str:
    """A random id for one filled-in form (nothing is sent twice)."""
    return secrets.token_urlsafe(18)


async def region_or_none(web: WebContext, region_id: str | None) -> RegionProfile | None:
    """The region of a page's address, or None for an unknown or malformed one."""
    checked = valid_id(region_id)
    return await web.regions.get(checked) if checked else None
