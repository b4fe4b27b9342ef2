"""The team's live feed (umpan tim) and the rater's decision on each activity: verify, or reject with
a reason.

``/penilai/umpan`` lists the team's recent activity (works without JavaScript: a refresh link);
``/penilai/umpan/langsung`` is its same-origin Server-Sent Events stream, relayed from reporting's
``GET /v1/feed`` with the rater's token (``adapters/feed_relay.py``), each item rendered here as
the list's HTML. Decisions post and redirect (303) back to where the rater was; a decision sent
again finds the activity decided (reporting's 409) and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from services.web.access import CheckedForm, PageRoute
from services.web.adapters.feed_relay import unavailable_stream
from services.web.adapters.services_api import ApiProblem, Service, ServiceUnreachable
from services.web.adapters.sessions import WebSession
from services.web.context import Web, WebContext
from services.web.entrypoints.citizens.common import ShortParam
from services.web.entrypoints.employees.common import region_of, timezone_of
from services.web.entrypoints.raters.common import (
    FEED,
    Outcome,
    Rater,
    checked_id,
    load_team,
    local_next,
    reason_error,
)
from services.web.i18n import N_

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: Activities the feed page lists when it opens (newer ones arrive live).
RECENT = 30
#: A notice naming someone or an indicator the page does not know reloads the team, at most this often.
TEAM_RELOAD_SECONDS = 30.0
ACTIVITY_REASON_MIN, ACTIVITY_REASON_MAX = 3, 2000
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/penilai/umpan")
async def team_feed(
    request: Request,
    web: Web,
    keputusan: Outcome = None,
    pegawai: ShortParam = None,
    person: WebSession = Rater,
) -> Response:
    """The team's recent activity, newest first, each waiting one with verify and reject."""
    region = await region_of(web, person)
    team, (since, page) = await asyncio.gather(  # the team's names meanwhile: independent reads
        load_team(web, person), _recent(web, person)
    )
    activities = [a for a in page["items"] if a["employee_id"] != person.employee_id]
    return web.pages.render(
        request,
        "raters/feed.html",
        {
            "team": team,
            "activities": activities,
            "since": since,
            "outcome": keputusan,
            "outcome_name": team.name(pegawai) if pegawai else None,
        },
        timezone=timezone_of(region),
    )


async def _recent(web: WebContext, person: WebSession) -> tuple[str | None, dict[str, Any]]:
    """The list and the live feed's position reporting read just before it (None when its feed
    could not say: the page streams from whenever its script connects). The page's stream starts
    there, so what is reported after the list and before the script connects still arrives (an
    item already listed may come again: the script replaces an item it shows)."""
    page: dict[str, Any] = await web.apis.get_json(
        Service.REPORTING, "/v1/activities", params={"limit": RECENT}, token=person.access_token
    )
    return page.get("feed_position"), page


@router.get("/penilai/umpan/langsung")
async def team_feed_stream(
    request: Request,
    web: Web,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
    sejak: Annotated[str | None, Query(max_length=64)] = None,
    person: WebSession = Rater,
) -> Response:
    """The feed as Server-Sent Events: reporting's notices as the list's HTML, resumable by id.

    ``sejak`` is the position the page read before its list; the browser's ``Last-Event-ID`` (sent
    when it reconnects, always later) comes first."""
    try:
        region = await region_of(web, person)
        team = await load_team(web, person)
        upstream = await _open_upstream(web, person, last_event_id or sejak)
    except (ServiceUnreachable, ApiProblem):
        return StreamingResponse(unavailable_stream(), media_type="text/event-stream", headers=SSE_HEADERS)
    timezone = timezone_of(region)
    loaded_at = time.monotonic()

    async def render(data: str) -> str:
        nonlocal team, loaded_at
        activity: dict[str, Any] = orjson.loads(data)["activity"]
        unknown = activity["employee_id"] not in team.names or activity["indicator_id"] not in team.indicators
        if unknown and time.monotonic() - loaded_at > TEAM_RELOAD_SECONDS:
            loaded_at = time.monotonic()
            # Shown with its ids until planning answers.
            with contextlib.suppress(ServiceUnreachable, ApiProblem):
                team = await load_team(web, person)
        values = {"activity": activity, "team": team, "next": FEED}
        page = web.pages.render(request, "raters/feed_item.html", values, timezone=timezone)
        return bytes(page.body).decode()

    return StreamingResponse(
        web.feeds.relay(upstream, render), media_type="text/event-stream", headers=SSE_HEADERS
    )


async def _open_upstream(web: WebContext, person: WebSession, last_event_id: str | None) -> Any:
    headers = {"Accept": "text/event-stream"}
    if last_event_id:
        try:
            return await web.apis.open_stream(
                Service.REPORTING,
                "/v1/feed",
                token=person.access_token,
                headers=headers | {"Last-Event-ID": last_event_id},
            )
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            # Not an id of this feed (another deployment's, or mangled): from now on instead.
    return await web.apis.open_stream(
        Service.REPORTING, "/v1/feed", token=person.access_token, headers=headers
    )


def _back(next_page: str, outcome: str, employee_id: str | None = None) -> Response:
    query = {"keputusan": outcome} | ({"pegawai": employee_id} if employee_id else {})
    return RedirectResponse(f"{next_page}?{urlencode(query)}", status_code=303)


@router.post("/penilai/kegiatan/{activity_id}/verifikasi")
async def verify_activity(
    activity_id: str, request: Request, web: Web, form: CheckedForm, person: WebSession = Rater
) -> Response:
    """Verify a team member's activity: it counts towards their indicator."""
    next_page = local_next(form.get("next"), FEED)
    checked = checked_id(activity_id)
    if checked is None:
        return web.pages.not_found(request)
    try:
        verified = await web.apis.post_json(
            Service.REPORTING, f"/v1/activities/{checked}/verify", {}, token=person.access_token
        )
    except ApiProblem as problem:
        if problem.status == 409:
            return _back(next_page, "kegiatan-sudah")
        raise
    return _back(next_page, "kegiatan-diverifikasi", verified["employee_id"])


async def _reject_page(
    web: WebContext,
    request: Request,
    person: WebSession,
    activity_id: str,
    next_page: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    activity = await web.apis.get_json(
        Service.REPORTING, f"/v1/activities/{activity_id}", token=person.access_token
    )
    region = await region_of(web, person)
    return web.pages.render(
        request,
        "raters/reject_activity.html",
        {
            "activity": activity,
            "team": await load_team(web, person),
            "next": next_page,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
        timezone=timezone_of(region),
    )


@router.get("/penilai/kegiatan/{activity_id}/tolak")
async def reject_activity_page(
    activity_id: str,
    request: Request,
    web: Web,
    kembali: Annotated[str | None, Query(max_length=40)] = None,
    person: WebSession = Rater,
) -> Response:
    """Rejecting on a page of its own (the feed's inline form is the same form)."""
    checked = checked_id(activity_id)
    if checked is None:
        return web.pages.not_found(request)
    return await _reject_page(web, request, person, checked, local_next(kembali, FEED))


@router.post("/penilai/kegiatan/{activity_id}/tolak")
async def reject_activity(
    activity_id: str, request: Request, web: Web, form: CheckedForm, person: WebSession = Rater
) -> Response:
    """Reject a team member's activity with the reason they correct it by (required)."""
    next_page = local_next(form.get("next"), FEED)
    checked = checked_id(activity_id)
    if checked is None:
        return web.pages.not_found(request)
    reason = str(form.get("reason") or "").strip()
    error = reason_error(
        web,
        request,
        reason,
        missing=N_("Enter why you reject the activity, so the employee knows what to correct"),
        minimum=ACTIVITY_REASON_MIN,
        maximum=ACTIVITY_REASON_MAX,
    )
    if error:
        return await _reject_page(
            web,
            request,
            person,
            checked,
            next_page,
            values={"reason": reason},
            errors={"reason": error},
            status_code=422,
        )
    try:
        rejected = await web.apis.post_json(
            Service.REPORTING, f"/v1/activities/{checked}/reject", {"note": reason}, token=person.access_token
        )
    except ApiProblem as problem:
        if problem.status == 409:
            return _back(next_page, "kegiatan-sudah")
        raise
    return _back(next_page, "kegiatan-ditolak", rejected["employee_id"])
