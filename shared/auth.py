"""Bearer-token identity: verify JWTs (RS256/ES256), derive the principal, its roles and region.

No web framework here: adapters and use cases take a ``Principal``; the routes' side (the bearer
scheme, ``require_roles``) is ``shared.route_roles``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.refusals import Refusal, RefusalKind
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
            raise Refusal("other_region", "This belongs to another region.", kind=RefusalKind.FORBIDDEN)

    @property
    def region(self) -> str:
        """The caller's region, required for every region-scoped action."""
        if self.region_id is None:
            raise Refusal("no_region", "Your token names no region.", kind=RefusalKind.FORBIDDEN)
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
                raise Refusal(
                    "no_verification_key",
                    "The service has no token verification key.",
                    kind=RefusalKind.UNAUTHENTICATED,
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
                raise Refusal(
                    "bad_algorithm",
                    "Token algorithm %(algorithm)s is not accepted.",
                    kind=RefusalKind.UNAUTHENTICATED,
                    params={"algorithm": repr(algorithm)},
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
            raise Refusal(
                "invalid_token",
                "The token is not valid: %(exc)s.",
                kind=RefusalKind.UNAUTHENTICATED,
                params={"exc": exc},
            ) from exc
        try:
            roles = frozenset(Role(role) for role in claims.get("roles", []))
        except ValueError as exc:
            unknown = ", ".join(repr(r) for r in claims.get("roles", []) if r not in set(Role))
            raise Refusal(
                "invalid_token",
                "The token names an unknown role: %(unknown)s.",
                kind=RefusalKind.UNAUTHENTICATED,
                params={"unknown": unknown},
            ) from exc
        region = claims.get("region")
        if region is not None and not (isinstance(region, str) and REGION_ID.fullmatch(region)):
            # A region id reaches SQL and channel names: only a slug, as planning creates them.
            raise Refusal(
                "invalid_token", "The token's region is not a region id.", kind=RefusalKind.UNAUTHENTICATED
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
        raise Refusal(
            "not_your_unit",
            "Raters see only their own unit's data; region administrators and auditors see every unit.",
            field="unit_id",
            kind=RefusalKind.FORBIDDEN,
        )


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
