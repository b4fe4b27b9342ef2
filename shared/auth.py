"""Bearer-token identity: verify JWTs (RS256/ES256), derive the principal, enforce roles and regions."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute

from shared.errors import Forbidden, Unauthorized
from shared.settings import ServiceSettings

#: Only asymmetric algorithms: a verifier never holds a key that can mint tokens, and ``none`` is refused.
ALLOWED_ALGORITHMS = ("RS256", "ES256")

#: How many verified tokens a verifier remembers, and for how long at most (a rotated-out JWKS key
#: stops being honoured within this time even for tokens verified before).
VERIFIED_CACHE_SIZE = 10_000
VERIFIED_CACHE_SECONDS = 300.0


class Role(StrEnum):
    """What a user may do on the platform."""

    EMPLOYEE = "employee"  # ASN
    RATER = "rater"  # atasan / pejabat penilai kinerja
    REGION_ADMIN = "region_admin"  # BKPSDM
    AUDITOR = "auditor"  # inspektorat, read-only
    OPS = "ops"  # metrics and health, no personal data
    PLATFORM_ADMIN = "platform_admin"  # creates regions, sees no ratings


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller."""

    subject: str
    region_id: str | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    employee_id: str | None = None

    def has(self, *roles: Role) -> bool:
        """Whether the caller holds any of these roles."""
        return any(role in self.roles for role in roles)

    def require_region(self, region_id: str) -> None:
        """Refuse acting outside the caller's own region (as 404: other regions are invisible)."""
        if self.region_id != region_id:
            raise Forbidden("other_region", "This belongs to another region.", "Data ini milik daerah lain.")

    @property
    def region(self) -> str:
        """The caller's region, required for every region-scoped action."""
        if self.region_id is None:
            raise Forbidden("no_region", "Your token names no region.", "Token Anda tidak menyebut daerah.")
        return self.region_id


#: What a region id looks like (planning creates them as lowercase slugs).
REGION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class TokenVerifier:
    """Verifies tokens against a configured public key or a JWKS endpoint (e.g. Keycloak)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._jwks = (
            jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None
        )
        self._key_path: Path = settings.resolved_public_key_path
        self._static_key: Any = None
        # A field app sends the same token with every request; verifying its signature each time
        # cost more CPU than the rest of a submission. A verified token maps to its principal until
        # it expires (or the cache time ends, whichever is first); the signature of the same bytes
        # cannot change in between.
        self._verified: dict[str, tuple[Principal, float]] = {}

    def _key_for(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if self._static_key is None:
            try:
                self._static_key = serialization.load_pem_public_key(self._key_path.read_bytes())
            except FileNotFoundError as exc:
                raise Unauthorized(
                    "no_verification_key",
                    "The service has no token verification key.",
                    "Layanan tidak memiliki kunci untuk memeriksa token.",
                ) from exc
        return self._static_key

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token; raise ``Unauthorized`` otherwise."""
        cached = self._verified.get(token)
        if cached is not None:
            principal, valid_until = cached
            if time.time() < valid_until:
                return principal
            self._verified.pop(token, None)
        principal, expires_at = self._verify_uncached(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            # Dicts keep insertion order: drop the oldest entry.
            self._verified.pop(next(iter(self._verified)), None)
        self._verified[token] = (
            principal,
            min(expires_at + self._leeway, time.time() + VERIFIED_CACHE_SECONDS),
        )
        return principal

    def _verify_uncached(self, token: str) -> tuple[Principal, float]:
        """Check signature and claims; the principal and the token's expiry (epoch seconds)."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALLOWED_ALGORITHMS:
                algorithm = header.get("alg")
                raise Unauthorized(
                    "bad_algorithm",
                    f"Token algorithm {algorithm!r} is not accepted.",
                    f"Algoritme token {algorithm!r} tidak diterima.",
                )
            claims = jwt.decode(
                token,
                key=self._key_for(token),
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            # TypeError/ValueError: an algorithm that does not fit the key (e.g. RS256 against EC).
            raise Unauthorized(
                "invalid_token", f"The token is not valid: {exc}.", "Token tidak sah."
            ) from exc
        try:
            roles = frozenset(Role(role) for role in claims.get("roles", []))
        except ValueError as exc:
            unknown = ", ".join(repr(r) for r in claims.get("roles", []) if r not in set(Role))
            raise Unauthorized(
                "invalid_token",
                f"The token names an unknown role: {unknown}.",
                f"Token menyebut peran yang tidak dikenal: {unknown}.",
            ) from exc
        region = claims.get("region")
        if region is not None and not (isinstance(region, str) and REGION_ID.fullmatch(region)):
            # A region id reaches SQL and channel names: only a slug, as planning creates them.
            raise Unauthorized(
                "invalid_token", "The token's region is not a region id.", "Daerah pada token tidak sah."
            )
        principal = Principal(
            subject=str(claims["sub"]),
            region_id=region,
            roles=roles,
            employee_id=claims.get("employee_id"),
        )
        return principal, float(claims["exp"])

    async def verify_async(self, token: str) -> Principal:
        """Verify without blocking the event loop when a JWKS fetch may be needed."""
        if self._jwks is not None and token not in self._verified:
            return await asyncio.to_thread(self.verify, token)
        return self.verify(token)


bearer_scheme = HTTPBearer(auto_error=False, description="A JWT from the region's identity provider.")


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The verified caller of a request, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing_token", "A bearer token is required.", "Token bearer diperlukan.")
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify_async(credentials.credentials)


def require_roles(*roles: Role) -> Any:
    """A dependency that admits only callers holding one of ``roles``.

    Every route that needs a token declares its roles this way: the access-control tests read
    ``allowed_roles`` from the route table, so an endpoint without a declared policy fails the
    suite. The token is read and checked here directly (the bearer scheme stays a dependency, for
    the OpenAPI document): every level of dependencies costs each request its resolution.
    """

    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
    ) -> Principal:
        return await admit(request, credentials, frozenset(roles))

    check.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
    return Depends(check)


async def admit(
    request: Request, credentials: HTTPAuthorizationCredentials | None, roles: frozenset[Role]
) -> Principal:
    """The verified caller if it holds one of ``roles``; 401 without a valid token, 403 without the role."""
    principal = await authenticate(request, credentials)
    if not principal.has(*roles):
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(
            "wrong_role",
            f"This action needs one of the roles: {allowed}.",
            f"Tindakan ini memerlukan salah satu peran: {allowed}.",
        )
    return principal


async def _caller(request: Request) -> Principal:
    # Read directly, not through ``Depends(bearer_scheme)``: the route's ``require_roles`` already
    # states the security requirement in the OpenAPI document (and a verified token is cached).
    return await authenticate(request, await bearer_scheme(request))


#: The verified caller whatever their roles, for dependencies that need who and where (the route's
#: ``require_roles`` is what admits the caller: a route needing a token declares its roles).
Caller = Annotated[Principal, Depends(_caller)]


#: Who reads the data of every unit of their region (dashboards, satisfaction, SKM reports).
UNIT_WIDE_READERS: tuple[Role, ...] = (Role.REGION_ADMIN, Role.AUDITOR)


async def ensure_may_read_unit(
    principal: Principal, unit_id: str, *, unit_of: Callable[[str], Awaitable[str | None]]
) -> None:
    """One rule for every read of a unit's data, in every service: region administrators and auditors
    read any unit of their region; anyone else (a rater) only the unit they work in (403 otherwise).

    ``unit_of`` finds an employee's unit in the calling service's own read model.
    """
    if principal.has(*UNIT_WIDE_READERS):
        return
    own_unit = await unit_of(principal.employee_id) if principal.employee_id else None
    if own_unit != unit_id:
        raise Forbidden(
            "not_your_unit",
            "Raters see only their own unit's data; region administrators and auditors see every unit.",
            "Penilai hanya dapat melihat data unitnya sendiri; admin daerah dan auditor melihat semua unit.",
            field="unit_id",
        )


def allowed_roles_of(dependency: Any) -> frozenset[Role] | None:
    """The roles a ``require_roles`` dependency admits, or None for any other callable."""
    roles: frozenset[Role] | None = getattr(dependency, "allowed_roles", None)
    return roles


def declared_roles(dependant: Dependant) -> frozenset[Role] | None:
    """The roles of the first ``require_roles`` dependency anywhere in a route's dependency tree."""
    for dependency in dependant.dependencies:
        roles = allowed_roles_of(dependency.call)
        if roles is not None:
            return roles
        nested = declared_roles(dependency)
        if nested is not None:
            return nested
    return None


def document_roles(routes: Iterable[BaseRoute]) -> None:
    """Name in each operation of the OpenAPI document the roles it admits, from its ``require_roles``:
    an ``x-roles`` list for tools and a line of its description for people."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        roles = declared_roles(route.dependant)
        if roles is None:
            continue
        names = sorted(role.value for role in roles)
        route.openapi_extra = (route.openapi_extra or {}) | {"x-roles": names}
        line = f"Roles: {', '.join(names)}."
        if line not in (route.description or ""):
            route.description = f"{route.description or ''}\n\n{line}".lstrip()


def ensure_dev_signing_key(private_key_path: Path) -> ec.EllipticCurvePrivateKey:
    """Create (once) and load the development ES256 key pair under the data directory."""
    public_path = private_key_path.with_name("public.pem")
    if not private_key_path.exists():
        private_key_path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        private_key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        private_key_path.chmod(0o600)
        public_path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    loaded = serialization.load_pem_private_key(private_key_path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise TypeError("the development signing key must be an EC key")
    return loaded


def mint_dev_token(
    settings: ServiceSettings,
    *,
    subject: str,
    roles: list[Role],
    region_id: str | None,
    employee_id: str | None = None,
    ttl_seconds: int = 8 * 3600,
) -> str:
    """Sign a development token for a demo user (refused in production)."""
    if settings.environment == "production":
        raise RuntimeError("development tokens cannot be minted in production")
    key = ensure_dev_signing_key(settings.dev_signing_key_path)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "roles": [role.value for role in roles],
    }
    if region_id is not None:
        claims["region"] = region_id
    if employee_id is not None:
        claims["employee_id"] = employee_id
    return jwt.encode(claims, key, algorithm="ES256")
