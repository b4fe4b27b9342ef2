"""Security of the pages: response headers, the visitor cookie, and CSRF tokens derived from it.

Every browser gets one random ``kinerja_visitor`` cookie (HttpOnly, Secure, SameSite=Lax). The
values a page needs are derived from it with the process's secret key and never reveal it: the CSRF
token every state-changing form carries, and the device id the citizens' rate limits count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

VISITOR_COOKIE = "kinerja_visitor"
SESSION_COOKIE = "kinerja_session"
CSRF_FIELD = "csrf_token"
VISITOR_MAX_AGE = 365 * 24 * 3600


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """Scripts and styles only from this origin (no inline script, no CDN); no framing."""
    targets = " ".join(["'self'", *sorted(set(form_targets))])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            # Signing out posts a form and then leaves for the region's identity provider.
            f"form-action {targets}",
        ]
    )


class SecurityHeadersMiddleware:
    """Adds the security headers to every response and gives each new browser its visitor cookie."""

    def __init__(self, app: ASGIApp, *, csp: str, https: bool) -> None:
        self.app = app
        self.headers = [
            ("Content-Security-Policy", csp),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            # Ticket codes and tracking codes travel in addresses: never to another site.
            ("Referrer-Policy", "same-origin"),
            ("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ]
        if https:
            self.headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        visitor = connection.cookies.get(VISITOR_COOKIE)
        new_visitor = None
        if not visitor or len(visitor) != 43:
            visitor = new_visitor = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["visitor"] = visitor

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
                if new_visitor is not None:
                    headers.append("Set-Cookie", cookie(VISITOR_COOKIE, new_visitor, max_age=VISITOR_MAX_AGE))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie(name: str, value: str, *, max_age: int | None) -> str:
    """A ``Set-Cookie`` value: HttpOnly, Secure, SameSite=Lax, for the whole site.

    Browsers keep Secure cookies of ``http://localhost`` and ``http://127.0.0.1`` (trustworthy
    origins), so development and the tests use the production attributes too.
    """
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def _derived(secret_key: str, visitor: str, purpose: str) -> str:
    digest = hmac.new(secret_key.encode(), f"{purpose}:{visitor}".encode(), hashlib.sha256).hexdigest()
    return digest[:40]


def csrf_token(secret_key: str, visitor: str) -> str:
    """The token a form of this visitor carries."""
    return _derived(secret_key, visitor, "csrf")


def csrf_valid(secret_key: str, visitor: str, submitted: str | None) -> bool:
    """Whether a posted form carries this visitor's token."""
    return bool(submitted) and hmac.compare_digest(csrf_token(secret_key, visitor), str(submitted))


def device_id(secret_key: str, visitor: str) -> str:
    """The id the citizens' rate limits count this browser by (``X-Device-Token``)."""
    return _derived(secret_key, visitor, "device")
