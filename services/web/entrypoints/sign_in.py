"""Signing in and out: the region's OpenID Connect provider, or (development only) a demo user."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.access import CheckedForm, OptionalPerson, PageRoute
from services.web.adapters.oidc import PendingSignIn, SignInFailed
from services.web.adapters.services_api import ApiProblem, Service, ServiceUnreachable
from services.web.context import Web, WebContext
from services.web.metrics import SIGN_IN_FAILURES, SIGN_INS
from services.web.pages import safe_next
from services.web.security import SESSION_COOKIE, cookie
from shared.auth import Principal, Role, mint_dev_token
from shared.http import PUBLIC

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PENDING_PREFIX = "web:oidc:"
PENDING_SECONDS = 600
NextPath = Annotated[str | None, Query(max_length=2000)]


def _callback_url(web: WebContext) -> str:
    return web.settings.web_public_url.rstrip("/") + "/masuk/selesai"


async def _start_session(
    web: WebContext,
    request: Request,
    principal: Principal,
    *,
    next_path: str,
    access_token: str,
    **tokens: object,
) -> Response:
    """Store the session, hand the browser its cookie, go where the person was going."""
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await web.sessions.delete(old)
    name = None
    if principal.employee_id:
        # The name planning knows, read with the person's own token (as every later call is).
        try:
            employee = await web.apis.get_json(
                Service.PLANNING, f"/v1/employees/{principal.employee_id}", token=access_token
            )
            name = employee.get("name")
        except ApiProblem:
            name = None
    session = await web.sessions.create(
        subject=principal.subject,
        region_id=principal.region_id,
        roles=sorted(role.value for role in principal.roles),
        employee_id=principal.employee_id,
        access_token=access_token,
        name=name,
        **tokens,
    )
    response = RedirectResponse(safe_next(next_path, "/saya"), status_code=303)
    response.headers.append(
        "Set-Cookie", cookie(SESSION_COOKIE, session.session_id, max_age=web.settings.session_idle_seconds)
    )
    return response


@router.get("/masuk", openapi_extra=PUBLIC)
async def sign_in_page(request: Request, web: Web, person: OptionalPerson, next: NextPath = None) -> Response:
    """Choose the region to sign in with (each region has its own identity provider)."""
    try:
        regions = {region.region_id: region for region in await web.regions.all()}
    except (ApiProblem, ServiceUnreachable):
        regions = {}  # signing in does not wait for the directory: the providers are configured here
    providers = [
        (region_id, regions[region_id].name if region_id in regions else region_id)
        for region_id in sorted(web.settings.oidc_providers)
    ]
    return web.pages.render(
        request, "sign_in/choose.html", {"providers": providers, "next": safe_next(next, "/saya")}
    )


@router.get("/masuk/oidc/{region_id}", openapi_extra=PUBLIC)
async def start_provider_sign_in(
    region_id: str, request: Request, web: Web, next: NextPath = None
) -> Response:
    """Send the browser to the region's provider (authorization code flow with PKCE)."""
    if region_id not in web.settings.oidc_providers:
        return web.pages.not_found(request)
    try:
        url, state, pending = await web.oidc.start(
            region_id,
            redirect_uri=_callback_url(web),
            visitor=request.state.visitor,
            next_path=safe_next(next, "/saya"),
        )
    except SignInFailed as exc:
        SIGN_IN_FAILURES.labels("provider_unreachable").inc()
        log.warning("sign-in could not start: %s", str(exc)[:300])
        return web.pages.render(request, "sign_in/failed.html", status_code=503)
    await web.redis.set(PENDING_PREFIX + state, orjson.dumps(asdict(pending)), ex=PENDING_SECONDS)
    return RedirectResponse(url, status_code=303)


@router.get("/masuk/selesai", openapi_extra=PUBLIC)
async def finish_provider_sign_in(
    request: Request,
    web: Web,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """The provider sends the browser back here with a one-time code; exchange it on the server."""
    raw = await web.redis.get(PENDING_PREFIX + state) if state else None
    if raw is None or code is None or state is None:
        SIGN_IN_FAILURES.labels("unknown_state").inc()
        return web.pages.render(request, "sign_in/failed.html", status_code=400)
    pending = PendingSignIn(**orjson.loads(raw))
    if pending.visitor != request.state.visitor:
        # The code was started in another browser: a forged sign-in, never a session (and the
        # pending sign-in stays for the browser that started it).
        SIGN_IN_FAILURES.labels("other_browser").inc()
        return web.pages.render(request, "sign_in/failed.html", status_code=400)
    if await web.redis.delete(PENDING_PREFIX + state) == 0:
        SIGN_IN_FAILURES.labels("unknown_state").inc()  # used meanwhile: each code is exchanged once
        return web.pages.render(request, "sign_in/failed.html", status_code=400)
    try:
        tokens = await web.oidc.finish(pending, code=code, redirect_uri=_callback_url(web))
    except SignInFailed as exc:
        SIGN_IN_FAILURES.labels("refused").inc()
        log.warning("sign-in refused: %s", str(exc)[:300])
        return web.pages.render(request, "sign_in/failed.html", status_code=400)
    SIGN_INS.labels("oidc").inc()
    return await _start_session(
        web,
        request,
        tokens.principal,
        next_path=pending.next_path,
        access_token=tokens.access_token,
        access_expires_at=tokens.access_expires_at,
        refresh_token=tokens.refresh_token,
        id_token=tokens.id_token,
        provider=pending.region_id,
    )


@router.post("/keluar", openapi_extra=PUBLIC)
async def sign_out(request: Request, web: Web, form: CheckedForm, person: OptionalPerson) -> Response:
    """End the session here (its tokens are deleted), then at the provider when it offers that."""
    target = "/keluar/selesai"
    if person is not None:
        await web.sessions.delete(person.session_id)
        if person.provider is not None:
            return_to = web.settings.web_public_url.rstrip("/") + target
            target = (
                await web.oidc.end_session_url(person.provider, id_token=person.id_token, return_to=return_to)
                or target
            )
    response = RedirectResponse(target, status_code=303)
    response.headers.append("Set-Cookie", cookie(SESSION_COOKIE, "", max_age=0))
    return response


@router.get("/keluar/selesai", openapi_extra=PUBLIC)
async def signed_out(request: Request, web: Web) -> HTMLResponse:
    """Confirmation that the person is signed out."""
    return web.pages.render(request, "sign_in/signed_out.html")


# --- Development only: sign in as a demo user --------------------------------------------------


async def _demo_people(web: WebContext) -> list[dict[str, object]]:
    """Each region's demo users by role, from planning's API (read with a development token)."""
    people: list[dict[str, object]] = []
    # Asked anew: a developer makes a region, then signs in as its people at once (the directory
    # keeps the list for minutes, for the citizens' pages).
    for region in await web.regions.all(fresh=True):
        admin_token = mint_dev_token(
            web.settings,
            subject="web-demo",
            roles=[Role.REGION_ADMIN],
            region_id=region.region_id,
            ttl_seconds=60,
        )
        try:
            employees = await web.apis.get_json(Service.PLANNING, "/v1/employees", token=admin_token)
        except ApiProblem as problem:
            if problem.status != 404:
                raise
            continue  # feedback lists a region planning does not know (yet): it has no demo users
        supervisors = {e["supervisor_id"] for e in employees if e.get("supervisor_id")}
        users = [
            {"role": "region_admin", "employee_id": "", "name": None, "position": None},
            {"role": "auditor", "employee_id": "", "name": None, "position": None},
        ]
        for employee in sorted(
            employees, key=lambda e: (e["unit_id"], e.get("supervisor_id") is not None, e["name"])
        ):
            users.append(
                {
                    "role": "rater" if employee["employee_id"] in supervisors else "employee",
                    "employee_id": employee["employee_id"],
                    "name": employee["name"],
                    "position": employee["position"],
                }
            )
        people.append({"region": region, "users": users})
    people.sort(key=lambda entry: entry["region"].region_id != web.settings.default_region)  # type: ignore[attr-defined]
    return people


@router.get("/masuk/demo", openapi_extra=PUBLIC)
async def demo_sign_in_page(request: Request, web: Web) -> HTMLResponse:
    """The demo users by region and role (development only; production answers 404)."""
    if not web.settings.development_sign_in:
        return web.pages.not_found(request)
    return web.pages.render(
        request,
        "sign_in/demo.html",
        {"people": await _demo_people(web), "next": safe_next(request.query_params.get("next"), "/saya")},
    )


@router.post("/masuk/demo", openapi_extra=PUBLIC)
async def demo_sign_in(request: Request, web: Web, form: CheckedForm) -> Response:
    """Sign in as the chosen demo user with a minted development token (development only)."""
    if not web.settings.development_sign_in:
        return web.pages.not_found(request)
    region_id, _, rest = str(form.get("user", "")).partition("|")
    role, _, employee_id = rest.partition("|")
    region = await web.regions.get(region_id)
    if region is None or role not in {r.value for r in Role}:
        return RedirectResponse("/masuk/demo", status_code=303)
    roles = [Role(role)]
    if role == Role.RATER:
        roles.append(Role.EMPLOYEE)  # a rater is an employee too (demo.py's heads of units)
    subject = employee_id or f"{region_id}-{role}"
    ttl = web.settings.session_idle_seconds
    token = mint_dev_token(
        web.settings,
        subject=subject,
        roles=roles,
        region_id=region_id,
        employee_id=employee_id or None,
        ttl_seconds=ttl,
    )
    principal = Principal(
        subject=subject, region_id=region_id, roles=frozenset(roles), employee_id=employee_id or None
    )
    SIGN_INS.labels("development").inc()
    return await _start_session(
        web,
        request,
        principal,
        next_path=str(form.get("next") or "/saya"),
        access_token=token,
        access_expires_at=time.time() + ttl,
    )
