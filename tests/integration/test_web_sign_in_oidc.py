"""Signing in with a region's OpenID Connect provider, end to end against a real provider process.

mock-oauth2-server (tests/support/oidc_provider.py) plays the region's provider; planning and
feedback verify its tokens through its JWKS, as in production. The browser's side of the
authorization code flow with PKCE is followed by hand: web → provider → web.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest

from services.web.adapters.sessions import SESSION_PREFIX
from services.web.settings import OidcProvider, WebSettings
from tests.conftest import auth, wait_until
from tests.integration.web_support import csrf_of, running_web
from tests.support.oidc_provider import People, oidc_provider

pytestmark = pytest.mark.integration


def people(region: str, employee: str) -> People:
    """The provider's tokens: setup scopes give administrators, a person's sign-in the employee."""
    # The web app's client id among the audiences, as a Keycloak audience mapper adds it: the id
    # token is for the web app, the access token for the services ("kinerja").
    base = {"aud": ["kinerja", "kinerja-web"], "region": region}
    return {
        region: [
            ("scope", "platform", {"sub": "platform-admin", "aud": ["kinerja"], "roles": ["platform_admin"]}),
            ("scope", "hr", {**base, "sub": "hr-1", "roles": ["region_admin"]}),
            # The code exchange and the refresh (their requests name no scope).
            ("grant_type", "*", {**base, "sub": employee, "roles": ["employee"], "employee_id": employee}),
        ]
    }


async def provider_token(issuer: str, scope: str) -> str:
    """A token straight from the provider (client credentials), for setting up the region."""
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{issuer}/token",
            data={"grant_type": "client_credentials", "scope": scope},
            auth=("setup", "secret"),
        )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


async def test_a_person_signs_in_with_the_regions_provider_the_token_is_refreshed_and_logout_ends_it(
    start_service, make_token, data_dir, monkeypatch
) -> None:
    region = f"r-{uuid.uuid4().hex[:10]}"
    employee = f"{region}-officer"
    with oidc_provider(people(region, employee), token_seconds=300) as provider:
        issuer = provider.issuer(region)
        # The services accept the provider's tokens (and only those) from here on.
        monkeypatch.setenv("KINERJA_JWT_JWKS_URL", f"{issuer}/jwks")
        monkeypatch.setenv("KINERJA_JWT_ISSUER", issuer)
        planning = await start_service("planning", relay=True)
        feedback = await start_service("feedback", consumer=True)
        created = await planning.client.post(
            "/v1/regions",
            json={"region_id": region, "name": "Distrik Uji", "timezone": "Asia/Jayapura"},
            headers=auth(await provider_token(issuer, "platform")),
        )
        assert created.status_code == 201, created.text
        hr = auth(await provider_token(issuer, "hr"))
        unit = await planning.client.post("/v1/units", json={"code": "dpu", "name": "Dinas Uji"}, headers=hr)
        assert unit.status_code == 201, unit.text
        hired = await planning.client.post(
            "/v1/employees",
            json={
                "employee_id": employee,
                "nip": "199001012015031001",
                "name": "Yohana Wonda",
                "unit_id": unit.json()["unit_id"],
                "position": "Petugas Loket",
                "job_type": "front_office_clerk",
                "effective_from": "2026-01-01",
            },
            headers=hr,
        )
        assert hired.status_code == 201, hired.text

        async def known_to_feedback() -> bool:
            # The account page names the region's zone (WIT) as feedback learned it from planning.
            answer = await feedback.client.get(f"/v1/public/regions/{region}")
            return answer.status_code == 200 and bool(answer.json()["units"])

        await wait_until(known_to_feedback, timeout=30)

        settings = WebSettings(
            data_dir=data_dir,
            web_public_url="https://web.test",
            oidc_providers={
                region: OidcProvider(issuer=issuer, client_id="kinerja-web", client_secret="s3cret")
            },
            # Every request finds the token about to end: the refresh runs on the next page.
            token_refresh_margin_seconds=3600,
            region_cache_seconds=0,
            log_json=False,
        )
        async with running_web(planning, feedback, make_token, settings) as stack:
            browser = stack.browser()
            assert f"/masuk/oidc/{region}" in (await browser.get("/masuk")).text

            # 1. The web app sends the browser to the provider with a PKCE challenge.
            start = await browser.get(f"/masuk/oidc/{region}?next=%2Fsaya")
            assert start.status_code == 303
            authorize = urlsplit(start.headers["location"])
            query = parse_qs(authorize.query)
            assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{issuer}/authorize"
            assert query["code_challenge_method"] == ["S256"]
            assert query["redirect_uri"] == ["https://web.test/masuk/selesai"]
            assert "code_verifier" not in query

            # 2. The provider signs the person in and sends the browser back with a one-time code.
            async with httpx.AsyncClient() as provider_browser:
                back = await provider_browser.get(start.headers["location"])
            assert back.status_code in (302, 303), back.text[:300]
            callback = urlsplit(back.headers["location"])
            assert callback.path == "/masuk/selesai"

            # A callback from another browser (its own visitor cookie) never becomes a session.
            stranger = await stack.browser().get(f"{callback.path}?{callback.query}")
            assert stranger.status_code == 400

            # 3. The web app exchanges the code on the server and keeps the tokens in Redis.
            finished = await browser.get(f"{callback.path}?{callback.query}")
            assert finished.status_code == 303, finished.text[:500]
            assert finished.headers["location"] == "/saya"
            session_id = finished.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            stored = orjson.loads(await stack.web.redis.get(SESSION_PREFIX + session_id) or b"null")
            assert stored["provider"] == region
            assert stored["refresh_token"]
            assert stored["id_token"]
            assert stored["name"] == "Yohana Wonda"  # read from planning with the provider's token
            assert stored["access_token"] not in finished.text

            # 4. The next page refreshes the token before it ends.
            account = await browser.get("/saya")
            assert account.status_code == 200
            assert "Yohana Wonda" in account.text
            assert "WIT" in account.text
            refreshed = orjson.loads(await stack.web.redis.get(SESSION_PREFIX + session_id) or b"null")
            assert refreshed["access_token"] != stored["access_token"]

            # 5. Signing out deletes the session and ends the provider's session too.
            signed_out = await browser.post("/keluar", data={"csrf_token": await csrf_of(browser, "/saya")})
            assert signed_out.status_code == 303
            assert signed_out.headers["location"].startswith(f"{issuer}/endsession?")
            assert not await stack.web.redis.exists(SESSION_PREFIX + session_id)
            assert (await browser.get("/saya")).status_code == 303
