"""Rendering pages: one Jinja2 environment per language, the layout's shared values, static assets.

A route builds its own values and calls ``Pages.render(request, "template.html", values)``; the
layout gets the language, the formatter in the region's zone, the CSRF token, the signed-in person
and the asset addresses with their integrity hashes from here, so no route repeats them.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from services.web.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGES,
    Formatter,
    language_of,
)
from services.web.metrics import RENDER_SECONDS
from services.web.security import CSRF_FIELD, csrf_token
from shared.i18n import translations
from shared.region_time import DEFAULT_TIMEZONE

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Asset:
    """A static file: its address (versioned by content) and its Subresource Integrity hash."""

    url: str
    integrity: str


def load_assets(directory: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every static file by its path under ``static/``, hashed once at start-up."""
    assets = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.suffix not in {".js", ".css", ".svg", ".png", ".ico"}:
            continue
        content = path.read_bytes()
        name = path.relative_to(directory).as_posix()
        digest = base64.b64encode(hashlib.sha384(content).digest()).decode()
        version = hashlib.sha256(content).hexdigest()[:12]
        assets[name] = Asset(url=f"/static/{name}?v={version}", integrity=f"sha384-{digest}")
    return assets


def make_environment(language: str) -> jinja2.Environment:
    """The templates with one language's translations installed (new-style gettext: ``_("… %(n)s", n=1)``)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return environment


def safe_next(target: str | None, default: str = "/") -> str:
    """A local address to go back to (never another site: ``//evil`` and ``https://`` are refused)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class Pages:
    """Renders the pages of the web process."""

    def __init__(self, *, secret_key: str, development_sign_in: bool) -> None:
        self._environments = {language: make_environment(language) for language in LANGUAGES}
        self._secret_key = secret_key
        self._development_sign_in = development_sign_in
        self.assets = load_assets()

    def language(self, request: Request) -> str:
        """The page language of a request (the remembered choice, else Indonesian)."""
        return language_of(request.cookies.get(LANGUAGE_COOKIE))

    def translate(self, request: Request, message: str, **values: Any) -> str:
        """Translate a message outside a template (e.g. a field error), with ``%(name)s`` values."""
        text = translations(self.language(request)).gettext(message)
        return text % values if values else text

    def csrf(self, request: Request) -> str:
        """The CSRF token of this visitor."""
        return csrf_token(self._secret_key, request.state.visitor)

    def render(
        self,
        request: Request,
        template: str,
        values: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        timezone: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """A page (or a fragment template) in the request's language.

        A page is always whole, so every link and form works without JavaScript; an htmx request
        either asks a fragment route or picks its part with ``hx-select``. ``htmx_request`` tells a
        template when htmx asked.
        """
        language = self.language(request)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        context = {
            "request": request,
            "lang": language,
            "other_lang": "en" if language == "id" else "id",
            "language_switch": f"/bahasa/{'en' if language == 'id' else 'id'}?next={quote(path, safe='')}",
            "fmt": Formatter(language, timezone or DEFAULT_TIMEZONE),
            "csrf_field": CSRF_FIELD,
            "csrf_token": self.csrf(request),
            "person": getattr(request.state, "web_session", None),
            "current_path": path,
            "asset": self.assets.__getitem__,
            "development_sign_in": self._development_sign_in,
            "htmx_request": request.headers.get("hx-request") == "true",
            **(values or {}),
        }
        started = time.perf_counter()
        body = self._environments[language].get_template(template).render(context)
        RENDER_SECONDS.labels(template).observe(time.perf_counter() - started)
        return HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))

    def not_found(self, request: Request, status_code: int = 404) -> HTMLResponse:
        """The page that says there is nothing here (an unknown address, or an id with no page)."""
        return self.render(request, "errors/not_found.html", status_code=status_code)
