"""The web process's foundation against real Redis and in-process services: language, headers,
sign-in (development), sessions, CSRF, and pages that need a person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.web.adapters.sessions import SESSION_PREFIX
from services.web.bootstrap import build_app, build_context
from services.web.settings import OidcProvider, WebSettings
from shared.contracts.planning import RegionRegistered
from tests.conftest import new_region_id
from tests.integration.test_feedback_dated_moves import deliver
from tests.integration.web_support import csrf_of, running_web, web_stack

pytestmark = pytest.mark.integration
__all__ = ["web_stack"]


async def test_pages_are_indonesian_first_and_the_english_switch_is_remembered(web_stack) -> None:
    browser = web_stack.browser()
    page = await browser.get("/")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    assert "Nilai layanan yang Anda gunakan" in page.text

    switched = await browser.get("/bahasa/en?next=%2F")
    assert switched.status_code == 303
    assert switched.headers["location"] == "/"
    assert "kinerja_lang=en" in switched.headers["set-cookie"]
    page = await browser.get("/")
    assert '<html lang="en">' in page.text
    assert "Rate a service you used" in page.text

    # The switch never leads to another site.
    elsewhere = await browser.get("/bahasa/id?next=%2F%2Fevil.example")
    assert elsewhere.headers["location"] == "/"


async def test_every_response_carries_the_security_headers_and_a_safe_visitor_cookie(web_stack) -> None:
    page = await web_stack.browser().get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    visitor = page.headers["set-cookie"]
    assert visitor.startswith("kinerja_visitor=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert attribute in visitor
    # Scripts come from this origin with their integrity hash.
    assert 'src="/static/js/htmx-2.0.11.min.js?v=' in page.text
    assert 'integrity="sha384-' in page.text


async def test_a_page_for_a_person_sends_the_browser_to_sign_in_and_back(web_stack) -> None:
    answer = await web_stack.browser().get("/saya")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/masuk?next=%2Fsaya"


async def test_a_demo_user_signs_in_with_a_csrf_token_and_signs_out_ending_the_session(web_stack) -> None:
    region = await web_stack.create_region()
    region_id = region["region_id"]
    browser = web_stack.browser()
    listing = await browser.get("/masuk/demo")
    assert listing.status_code == 200
    assert "Pegawai 1 0" in listing.text
    assert "Pegawai Kepala 0" in listing.text

    choice = f"{region_id}|employee|{region_id}-0-1"
    forged = await browser.post("/masuk/demo", data={"user": choice, "csrf_token": "not-the-token"})
    assert forged.status_code == 403
    assert "kinerja_session" not in forged.headers.get("set-cookie", "")

    token = await csrf_of(browser, "/masuk/demo")
    signed_in = await browser.post("/masuk/demo", data={"user": choice, "csrf_token": token, "next": "/saya"})
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/saya"
    session_cookie = signed_in.headers["set-cookie"]
    assert session_cookie.startswith("kinerja_session=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax"):
        assert attribute in session_cookie
    session_id = session_cookie.split(";")[0].split("=", 1)[1]
    assert await web_stack.web.redis.exists(SESSION_PREFIX + session_id)

    account = await browser.get("/saya")
    assert account.status_code == 200
    assert "Pegawai 1 0" in account.text
    assert "WIT" in account.text

    token = await csrf_of(browser, "/saya")
    signed_out = await browser.post("/keluar", data={"csrf_token": token})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/keluar/selesai"
    assert not await web_stack.web.redis.exists(SESSION_PREFIX + session_id)
    assert (await browser.get("/saya")).status_code == 303


async def test_the_demo_page_lists_planning_regions_when_feedback_knows_one_more(web_stack) -> None:
    """Feedback may hold a region planning does not know (an event of a test, or not yet in planning):
    the demo page still lists every region planning knows, instead of answering 404."""
    region_id = (await web_stack.create_region())["region_id"]
    stray = new_region_id()
    registered = RegionRegistered(region_id=stray, name=f"Distrik {stray}", timezone="Asia/Jakarta")
    await deliver(web_stack.services["feedback"], stray, registered, datetime.now(UTC))

    listing = await web_stack.browser().get("/masuk/demo")

    assert listing.status_code == 200, listing.text[:300]
    assert f"{region_id}|employee|{region_id}-0-1" in listing.text
    assert stray not in listing.text


async def test_the_demo_page_lists_a_region_made_after_it_was_last_shown(
    start_service, make_token, data_dir
) -> None:
    """A developer makes a region, then signs in as its people: the page lists it at once, though
    the web app keeps the regions for minutes for the citizens' pages."""
    planning = await start_service("planning", relay=True)
    feedback = await start_service("feedback", consumer=True)
    settings = WebSettings(data_dir=data_dir, region_cache_seconds=300, log_json=False)
    async with running_web(planning, feedback, make_token, settings) as stack:
        assert (await stack.browser().get("/masuk/demo")).status_code == 200
        region_id = (await stack.create_region())["region_id"]
        listing = await stack.browser().get("/masuk/demo")
    assert listing.status_code == 200, listing.text[:300]
    assert f"{region_id}|employee|{region_id}-0-1" in listing.text


async def test_production_has_no_demo_sign_in(web_stack, data_dir) -> None:
    settings = WebSettings(
        data_dir=data_dir,
        environment="production",
        jwt_jwks_url="https://sso.example.go.id/realms/asn/protocol/openid-connect/certs",
        oidc_providers={
            "wanggar": OidcProvider(issuer="https://sso.example.go.id/realms/asn", client_id="kinerja")
        },
        web_secret_key="k" * 40,
    )
    web = build_context(settings)
    import httpx

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(web)), base_url="https://web.test")
    try:
        assert (await client.get("/masuk/demo")).status_code == 404
        page = await client.get("/masuk")
        assert "/masuk/demo" not in page.text
        assert "/masuk/oidc/wanggar" in page.text
    finally:
        await client.aclose()
        await web.redis.aclose()


async def test_a_nul_in_a_pages_address_gets_the_not_found_page_not_an_error(web_stack) -> None:
    # A NUL (%00) cannot be typed into a page nor stored: every route refuses it at the URL
    # (shared.request_values), and the web answers as for any other mangled address, with the page
    # that says there is nothing here, even where the value is a form's field.
    region = (await web_stack.create_region())["region_id"]
    browser = web_stack.browser()
    for address in (
        "/transparansi/%00",
        f"/transparansi/{region}?periode=2026%00",
        "/skm?region=%00",
        f"/skm?region={region}&unit=%00",
        "/poster/%00/x",
        "/bahasa/%00",
        f"/pengaduan/lacak?region={region}&kode=%00",
        f"/pengaduan/lacak?region={region}&%00=1",
    ):
        page = await browser.get(address)
        assert page.status_code == 404, address
        assert "Halaman tidak ditemukan" in page.text, address
