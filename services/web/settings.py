"""Settings of the web process: where the four services and the identity providers are."""

from __future__ import annotations

import secrets

from pydantic import BaseModel, Field, model_validator

from shared.settings import Environment, ServiceSettings


class OidcProvider(BaseModel):
    """A region's OpenID Connect provider (Keycloak-compatible) and this app's client there."""

    issuer: str = Field(description="e.g. https://sso.wanggar.go.id/realms/asn")
    client_id: str
    client_secret: str | None = Field(default=None, description="None for a public client (PKCE alone).")
    scope: str = "openid profile"


class WebSettings(ServiceSettings):
    """The shared settings with the web process's name, port and the addresses it calls.

    The web process owns no data: it calls the services' public HTTP APIs with the signed-in
    person's token. Its only state is sessions in Redis.
    """

    service_name: str = "web"
    http_port: int = 8000

    #: The address citizens and staff type or scan (the QR codes lead here); also read by feedback.
    web_public_url: str = "http://127.0.0.1:8000"
    planning_url: str = "http://127.0.0.1:8001"
    reporting_url: str = "http://127.0.0.1:8002"
    scoring_url: str = "http://127.0.0.1:8003"
    feedback_url: str = "http://127.0.0.1:8004"
    api_timeout_seconds: float = Field(default=10.0, gt=0)
    api_max_connections: int = Field(default=100, ge=1)
    #: Raters' live feeds relayed at once (each holds a connection to reporting of its own).
    feed_max_relays: int = Field(default=500, ge=1)
    #: How long a relayed feed waits for a byte: past reporting's keep-alive (15 s), several times over.
    feed_read_timeout_seconds: float = Field(default=60.0, gt=0)
    #: Events held for one browser that is not reading; beyond that its stream ends and it resumes.
    feed_relay_queue: int = Field(default=64, ge=1)

    #: Each region's identity provider, by region id (JSON in KINERJA_OIDC_PROVIDERS).
    oidc_providers: dict[str, OidcProvider] = Field(default_factory=dict)
    #: Signs the per-visitor values derived from the visitor cookie (CSRF token, device id).
    web_secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32), min_length=32)
    session_idle_seconds: int = Field(default=8 * 3600, ge=60)
    #: A token is refreshed when it has less than this left.
    token_refresh_margin_seconds: int = Field(default=60, ge=5)
    #: How long a region's public profile (name, zone, units, services) is kept in the process.
    region_cache_seconds: float = Field(default=300.0, ge=0)
    #: The demo region whose users the development sign-in page lists first.
    default_region: str = "wanggar"

    @property
    def development_sign_in(self) -> bool:
        """The demo sign-in page (minted development tokens) exists only in development."""
        return self.environment is Environment.DEVELOPMENT

    @property
    def survey_url(self) -> str:
        """The survey form's public address (what a ticket's QR code holds)."""
        return f"{self.web_public_url.rstrip('/')}/skm"

    @model_validator(mode="after")
    def _production_needs_providers_and_a_fixed_key(self) -> WebSettings:
        if self.environment is Environment.PRODUCTION:
            if not self.oidc_providers:
                raise ValueError("production needs KINERJA_OIDC_PROVIDERS (the regions' identity providers)")
            if "web_secret_key" not in self.model_fields_set:
                raise ValueError("production needs KINERJA_WEB_SECRET_KEY (shared by every web instance)")
        return self
