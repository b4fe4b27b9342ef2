"""Every page of the web process, read from its route table: for everyone, or for a signed-in person.

A page either declares ``openapi_extra=PUBLIC`` or needs a person through ``person_required(...)``
(``services/web/access.py``); without a session such a page sends the browser to sign in and back,
before any service is called. A new page is covered the moment it is added. Refusals of a person
with the wrong role run against real Redis in ``tests/integration/test_web_access.py``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute

from services.web.bootstrap import ROUTERS, build_app, build_context
from services.web.security import CSRF_FIELD, VISITOR_COOKIE, csrf_token
from services.web.settings import WebSettings
from shared.auth import Role
from shared.route_roles import declared_roles

SETTINGS = WebSettings(web_secret_key="contract-test-secret-key-0123456789abcdef")
VISITOR = "v" * 43


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    public: bool
    roles: frozenset[Role] | None

    def __str__(self) -> str:
        return f"web {self.method} {self.path}"

    @property
    def sample_path(self) -> str:
        return re.sub(r"\{[^}]+\}", "nothing-here", self.path)


def pages() -> list[Page]:
    app = build_app(build_context(SETTINGS))
    found = []
    # The application's own routes (health, metrics) plus every router it includes.
    for route in [*app.routes, *(route for router in ROUTERS for route in router.routes)]:
        if not isinstance(route, APIRoute):
            continue
        public = (route.openapi_extra or {}).get("security") == []
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(Page(method, route.path, public, declared_roles(route.dependant)))
    return found


ALL_PAGES = pages()
FOR_A_PERSON = [page for page in ALL_PAGES if not page.public]


def test_the_route_table_has_pages_for_everyone_and_for_people() -> None:
    assert any(page.public for page in ALL_PAGES)
    assert FOR_A_PERSON


@pytest.mark.parametrize("page", ALL_PAGES, ids=str)
def test_every_page_is_deliberately_public_or_declares_who_may_open_it(page: Page) -> None:
    if page.public:
        assert page.roles is None, f"{page} is public yet declares roles"
    else:
        assert page.roles, f"{page} is not public but declares no person_required(...)"


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    web = build_context(SETTINGS)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(web)),
        base_url="https://web.test",
        cookies={VISITOR_COOKIE: VISITOR},
    ) as http:
        yield http
    await web.redis.aclose()


@pytest.mark.parametrize("page", FOR_A_PERSON, ids=str)
async def test_without_a_person_the_page_sends_the_browser_to_sign_in(
    client: httpx.AsyncClient, page: Page
) -> None:
    # A form post carries a valid CSRF token, so only the missing person is refused.
    data = {CSRF_FIELD: csrf_token(SETTINGS.web_secret_key, VISITOR)} if page.method == "POST" else None
    answer = await client.request(page.method, page.sample_path, data=data)
    assert answer.status_code == 303, f"{page}: {answer.status_code}"
    assert answer.headers["location"] == f"/masuk?next={quote(page.sample_path, safe='')}"

    htmx = await client.request(page.method, page.sample_path, data=data, headers={"HX-Request": "true"})
    assert htmx.headers.get("hx-redirect", "").startswith("/masuk?next=")
