"""Who may open a page: the signed-in person from the session cookie, roles, and CSRF on every post.

A page that needs a person declares it with ``person_required(Role...)``: without a session the
browser is sent to sign in (and back afterwards); with a session lacking the roles it gets a 403
page. A page for everyone declares ``openapi_extra=PUBLIC``. The access tests read these
declarations from the route table, so a page without one fails the suite.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from services.web.adapters.oidc import SignInFailed
from services.web.adapters.sessions import WebSession
from services.web.context import Web, WebContext
from services.web.metrics import CSRF_REFUSALS, TOKEN_REFRESHES
from services.web.security import CSRF_FIELD, SESSION_COOKIE, csrf_valid
from shared.auth import Role, mint_dev_token
from shared.guarded_route import GuardedRoute

log = logging.getLogger(__name__)


class PageRoute(GuardedRoute):
    """A page's route: its body bounded as every route's, the person read from the session cookie.

    ``GuardedRoute`` checks a bearer token before the body; a browser sends none. Pages check their
    person with ``person_required`` (a session in Redis, sign-in redirect), so no token check here.
    """

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.required_roles = None


class SignInRequired(Exception):
    """The page needs a person and there is none: go and sign in, then come back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class NotAllowed(Exception):
    """The signed-in person lacks the roles the page needs."""


class CsrfRefused(Exception):
    """A form came without this visitor's CSRF token (forged, or a page left open too long)."""


async def _fresh(web: WebContext, session: WebSession) -> WebSession | None:
    """The session with a token that does not end within the margin; None when it cannot be renewed."""
    margin = web.settings.token_refresh_margin_seconds
    if not session.expires_within(margin):
        return session
    if session.provider is not None and session.refresh_token:
        try:
            tokens = await web.oidc.refresh(session.provider, session.refresh_token)
        except SignInFailed as exc:
            TOKEN_REFRESHES.labels("refused").inc()
            log.info("token refresh refused; signing out", extra={"fields": {"error": str(exc)[:200]}})
            return None
        TOKEN_REFRESHES.labels("refreshed").inc()
        session.access_token = tokens.access_token
        session.access_expires_at = tokens.access_expires_at
        session.refresh_token = tokens.refresh_token
        session.id_token = tokens.id_token or session.id_token
    elif session.provider is None and web.settings.development_sign_in:
        # A development session: mint the demo user's token again.
        session.access_token = mint_dev_token(
            web.settings,
            subject=session.subject,
            roles=[Role(role) for role in session.roles],
            region_id=session.region_id,
            employee_id=session.employee_id,
            ttl_seconds=web.settings.session_idle_seconds,
        )
        session.access_expires_at = time.time() + web.settings.session_idle_seconds
        TOKEN_REFRESHES.labels("development").inc()
    else:
        return None
    await web.sessions.save(session)
    return session


async def current_session(request: Request, web: Web) -> WebSession | None:
    """The signed-in person of this request, if any (their token renewed when about to end)."""
    cached: WebSession | None = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    session = await web.sessions.get(session_id)
    if session is not None:
        session = await _fresh(web, session)
        if session is None:
            await web.sessions.delete(session_id)
    request.state.web_session = session
    return session


OptionalPerson = Annotated[WebSession | None, Depends(current_session)]


def person_required(*roles: Role) -> Any:
    """A dependency admitting only a signed-in person holding one of ``roles`` (any role when none)."""

    async def check(request: Request, session: OptionalPerson) -> WebSession:
        if session is None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(path)
        if roles and not session.principal.has(*roles):
            raise NotAllowed
        return session

    check.allowed_roles = frozenset(roles or Role)  # type: ignore[attr-defined]
    return Depends(check)


async def checked_form(request: Request, web: Web) -> FormData:
    """The posted form, once its CSRF token is this visitor's (else ``CsrfRefused``)."""
    form = await request.form(max_files=2, max_fields=100)
    submitted = form.get(CSRF_FIELD)
    if not csrf_valid(
        web.settings.web_secret_key, request.state.visitor, submitted if isinstance(submitted, str) else None
    ):
        CSRF_REFUSALS.inc()
        raise CsrfRefused
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


CSRF_HEADER = "X-CSRF-Token"


async def checked_header(request: Request, web: Web) -> None:
    """A script's JSON post carries this visitor's CSRF token in ``X-CSRF-Token`` (else ``CsrfRefused``)."""
    if not csrf_valid(web.settings.web_secret_key, request.state.visitor, request.headers.get(CSRF_HEADER)):
        CSRF_REFUSALS.inc()
        raise CsrfRefused


CheckedScript = Depends(checked_header)
