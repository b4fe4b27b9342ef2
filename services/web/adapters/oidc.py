"""Signing in with a region's OpenID Connect provider: authorization code flow with PKCE (Authlib).

The browser only ever carries the provider's one-time code; the tokens are fetched, kept and
refreshed here, on the server. Who signed in is read from the access token the services will
verify, with the platform's own verifier (``shared.auth.TokenVerifier``) against the provider's keys.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from services.web.settings import OidcProvider, WebSettings
from shared.auth import Principal, TokenVerifier

METADATA_CACHE_SECONDS = 3600.0


class SignInFailed(Exception):
    """The provider refused or the answer could not be trusted (logged; the person tries again)."""


@dataclass(frozen=True)
class ProviderMetadata:
    """What the provider's discovery document says (``/.well-known/openid-configuration``)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class PendingSignIn:
    """What the callback needs to finish one sign-in (kept in Redis under its ``state``)."""

    region_id: str
    code_verifier: str
    nonce: str
    visitor: str
    next_path: str


@dataclass(frozen=True)
class TokenSet:
    """Tokens of a signed-in person, and who they are."""

    principal: Principal
    access_token: str
    access_expires_at: float
    refresh_token: str | None
    id_token: str | None


class OidcSignIn:
    """The regions' providers, their metadata cached, their keys verified with the platform's verifier."""

    def __init__(self, settings: WebSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._metadata: dict[str, tuple[ProviderMetadata, float]] = {}
        self._verifiers: dict[str, TokenVerifier] = {}
        self._id_token_keys: dict[str, jwt.PyJWKClient] = {}

    def provider(self, region_id: str) -> OidcProvider:
        """The configured provider of a region (KeyError when the region has none)."""
        return self._settings.oidc_providers[region_id]

    async def metadata(self, region_id: str) -> ProviderMetadata:
        """The provider's discovery document, fetched at most once an hour."""
        cached = self._metadata.get(region_id)
        if cached is not None and time.monotonic() - cached[1] < METADATA_CACHE_SECONDS:
            return cached[0]
        provider = self.provider(region_id)
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInFailed(f"discovery of {provider.issuer} failed: {exc!r}") from exc
        if document.get("issuer") != provider.issuer:
            raise SignInFailed(f"discovery names issuer {document.get('issuer')!r}, not {provider.issuer!r}")
        metadata = ProviderMetadata(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            end_session_endpoint=document.get("end_session_endpoint"),
        )
        self._metadata[region_id] = (metadata, time.monotonic())
        return metadata

    def _client(self, region_id: str, redirect_uri: str | None = None) -> AsyncOAuth2Client:
        provider = self.provider(region_id)
        return AsyncOAuth2Client(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            token_endpoint_auth_method="client_secret_basic" if provider.client_secret else "none",
            scope=provider.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self._settings.api_timeout_seconds,
        )

    async def start(
        self, region_id: str, *, redirect_uri: str, visitor: str, next_path: str
    ) -> tuple[str, str, PendingSignIn]:
        """The provider's address to send the browser to, the ``state`` and what to remember under it."""
        metadata = await self.metadata(region_id)
        pending = PendingSignIn(
            region_id=region_id,
            code_verifier=generate_token(64),
            nonce=generate_token(32),
            visitor=visitor,
            next_path=next_path,
        )
        async with self._client(region_id, redirect_uri) as client:
            url, state = client.create_authorization_url(
                metadata.authorization_endpoint, code_verifier=pending.code_verifier, nonce=pending.nonce
            )
        return url, state, pending

    async def finish(self, pending: PendingSignIn, *, code: str, redirect_uri: str) -> TokenSet:
        """Exchange the one-time code (with the PKCE verifier) for tokens and check them."""
        metadata = await self.metadata(pending.region_id)
        async with self._client(pending.region_id, redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
            except Exception as exc:  # Authlib raises its own OAuthError and httpx errors
                raise SignInFailed(f"code exchange failed: {exc!r}") from exc
        id_token = token.get("id_token")
        if id_token is None:
            raise SignInFailed("the provider sent no id_token")
        await self._check_id_token(pending.region_id, metadata, id_token, pending.nonce)
        return await self._token_set(pending.region_id, token)

    async def refresh(self, region_id: str, refresh_token: str) -> TokenSet:
        """New tokens before the access token ends (refused: the person signs in again)."""
        metadata = await self.metadata(region_id)
        async with self._client(region_id) as client:
            try:
                token = await client.refresh_token(metadata.token_endpoint, refresh_token=refresh_token)
            except Exception as exc:
                raise SignInFailed(f"refresh failed: {exc!r}") from exc
        if not token.get("refresh_token"):
            token["refresh_token"] = refresh_token  # providers may keep the refresh token unrotated
        return await self._token_set(region_id, token)

    async def end_session_url(self, region_id: str, *, id_token: str | None, return_to: str) -> str | None:
        """Where to send the browser to end the provider's own session too (RP-initiated logout)."""
        try:
            metadata = await self.metadata(region_id)
        except SignInFailed:
            return None
        if metadata.end_session_endpoint is None:
            return None
        query = httpx.QueryParams({"post_logout_redirect_uri": return_to, "id_token_hint": id_token or ""})
        return f"{metadata.end_session_endpoint}?{query}"

    def verifier(self, region_id: str, metadata: ProviderMetadata) -> TokenVerifier:
        """The platform's token verifier for this provider's issuer and keys."""
        verifier = self._verifiers.get(region_id)
        if verifier is None:
            settings = self._settings.model_copy(
                update={"jwt_issuer": metadata.issuer, "jwt_jwks_url": metadata.jwks_uri}
            )
            verifier = self._verifiers[region_id] = TokenVerifier(settings)
        return verifier

    async def _check_id_token(
        self, region_id: str, metadata: ProviderMetadata, id_token: str, nonce: str
    ) -> None:
        keys = self._id_token_keys.get(region_id)
        if keys is None:
            keys = self._id_token_keys[region_id] = jwt.PyJWKClient(metadata.jwks_uri, cache_keys=True)

        def decode() -> dict[str, Any]:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=keys.get_signing_key_from_jwt(id_token).key,
                algorithms=["RS256", "ES256"],
                audience=self.provider(region_id).client_id,
                issuer=metadata.issuer,
                leeway=self._settings.jwt_leeway_seconds,
            )
            return claims

        try:
            claims = await asyncio.to_thread(decode)
        except jwt.PyJWTError as exc:
            raise SignInFailed(f"id_token refused: {exc!r}") from exc
        if claims.get("nonce") != nonce:
            raise SignInFailed("id_token nonce does not match this sign-in")

    async def _token_set(self, region_id: str, token: dict[str, Any]) -> TokenSet:
        metadata = await self.metadata(region_id)
        access_token = str(token["access_token"])
        try:
            principal = await self.verifier(region_id, metadata).verify_async(access_token)
        except Exception as exc:
            raise SignInFailed(f"access token refused: {exc!r}") from exc
        expires_at = float(token.get("expires_at") or time.time() + float(token.get("expires_in") or 300))
        return TokenSet(
            principal=principal,
            access_token=access_token,
            access_expires_at=expires_at,
            refresh_token=token.get("refresh_token"),
            id_token=token.get("id_token"),
        )
