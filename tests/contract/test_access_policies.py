"""Every endpoint of every service, read from the route tables: who may call it, and who is refused.

A new endpoint is covered the moment it is added: it either declares its roles with
``require_roles`` (and then a caller without a token gets 401 and a caller with any other role gets
403, before any data is touched) or it is deliberately public (``openapi_extra=PUBLIC``).
Region and ownership refusals, which need real objects, live in
``tests/integration/test_object_access.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.routing import APIRoute

from kinerja.services import SERVICE_NAMES, definition
from shared.audit_api import router as audit_router
from shared.auth import Role, ensure_dev_signing_key
from shared.route_roles import declared_roles
from shared.runtime import build_app
from shared.settings import ServiceSettings
from shared.wiring import build_context


@dataclass(frozen=True)
class Endpoint:
    service: str
    method: str
    path: str
    public: bool
    roles: frozenset[Role] | None

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def sample_path(self) -> str:
        """The path with every parameter filled in (ids that exist nowhere)."""
        return re.sub(r"\{[^}]+\}", "nothing-here", self.path)


def endpoints_of(service: str) -> Iterator[Endpoint]:
    service_definition = definition(service)
    app = build_app(service_definition, build_context(service_definition))
    # The application's own routes (health, metrics) plus every router it includes.
    routes = [
        *app.routes,
        *(route for router in (*service_definition.routers(), audit_router) for route in router.routes),
    ]
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        public = (route.openapi_extra or {}).get("security") == []
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Endpoint(service, method, route.path, public, declared_roles(route.dependant))


@pytest.fixture(scope="module", autouse=True)
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A development key of this module's own; the settings read it from KINERJA_DATA_DIR."""
    data_dir = tmp_path_factory.mktemp("access")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KINERJA_DATA_DIR", str(data_dir))
        ensure_dev_signing_key(data_dir / "dev-jwt" / "private.pem")
        yield data_dir


ALL_ENDPOINTS = [endpoint for name in SERVICE_NAMES for endpoint in endpoints_of(name)]
PROTECTED = [endpoint for endpoint in ALL_ENDPOINTS if not endpoint.public]


def test_the_route_tables_are_not_empty() -> None:
    for name in SERVICE_NAMES:
        assert any(e.service == name and not e.public for e in ALL_ENDPOINTS), f"{name} has no endpoints"


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=str)
def test_every_endpoint_declares_its_roles_or_is_deliberately_public(endpoint: Endpoint) -> None:
    if endpoint.public:
        assert endpoint.roles is None, f"{endpoint} is public yet declares roles"
    else:
        assert endpoint.roles, f"{endpoint} needs a token but declares no roles: use require_roles(...)"


def test_citizen_endpoints_are_the_only_public_business_endpoints() -> None:
    for endpoint in ALL_ENDPOINTS:
        if endpoint.public and endpoint.path not in {"/healthz", "/readyz", "/metrics"}:
            assert "/public/" in endpoint.path, f"{endpoint} is public but not under /v1/public/"


def test_platform_administrators_and_ops_see_no_ratings_or_personal_data() -> None:
    for endpoint in PROTECTED:
        if endpoint.roles is None:
            continue  # reported by the test above
        if Role.OPS in endpoint.roles:
            pytest.fail(f"{endpoint} admits ops, who may see metrics and health only")
        if endpoint.service == "scoring" and Role.PLATFORM_ADMIN in endpoint.roles:
            pytest.fail(f"{endpoint} shows ratings to platform administrators")


@pytest.fixture(scope="module")
async def clients(signing_key: Path) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Each service's API in process; the refusals and errors tested with it come before any database
    access (the error shape tests use it too)."""
    clients: dict[str, httpx.AsyncClient] = {}
    for name in SERVICE_NAMES:
        service_definition = definition(name)
        app = build_app(service_definition, build_context(service_definition))
        clients[name] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    yield clients
    for client in clients.values():
        await client.aclose()


def token(signing_key: Path, *, roles: list[str], **overrides: Any) -> str:
    settings = ServiceSettings()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "someone",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": roles,
        "region": "r-access",
        "employee_id": "e-access",
    }
    claims.update(overrides)
    key = ensure_dev_signing_key(signing_key / "dev-jwt" / "private.pem")
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="ES256")


async def call(client: httpx.AsyncClient, endpoint: Endpoint, headers: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] | None = {} if endpoint.method in {"POST", "PUT", "PATCH"} else None
    return await client.request(endpoint.method, endpoint.sample_path, json=body, headers=headers)


@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
async def test_no_token_is_refused_with_401(
    clients: dict[str, httpx.AsyncClient], endpoint: Endpoint
) -> None:
    response = await call(clients[endpoint.service], endpoint, {})
    assert response.status_code == 401, response.text
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
async def test_every_other_role_is_refused_with_403(
    clients: dict[str, httpx.AsyncClient], signing_key: Path, endpoint: Endpoint
) -> None:
    assert endpoint.roles is not None
    others = [role.value for role in Role if role not in endpoint.roles]
    if not others:
        pytest.fail(f"{endpoint} admits every role; say why it should, or narrow it")
    headers = {"Authorization": f"Bearer {token(signing_key, roles=others)}"}
    response = await call(clients[endpoint.service], endpoint, headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "wrong_role"


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any]) -> str:
    """The classic ``alg: none`` token: no signature at all."""
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."


def _hmac_signed(claims: dict[str, Any], public_key_path: Path) -> str:
    """Algorithm confusion: HS256 keyed with the verifier's *public* key, which anyone can read."""
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    digest = hmac.new(public_key_path.read_bytes(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def _forged_tokens(signing_key: Path) -> dict[str, str]:
    now = int(time.time())
    good = token(signing_key, roles=["region_admin", "auditor"])
    header, payload, signature = good.split(".")
    other_payload = _segment({"sub": "admin", "roles": ["region_admin"], "region": "r-other"})
    foreign_ec = ec.generate_private_key(ec.SECP256R1())
    foreign_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    base = {
        "iss": ServiceSettings().jwt_issuer,
        "aud": ServiceSettings().jwt_audience,
        "sub": "x",
        "exp": now + 600,
        "roles": ["region_admin"],
        "region": "r-access",
    }
    return {
        "tampered payload": f"{header}.{other_payload}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "expired": token(signing_key, roles=["region_admin"], exp=now - 3600, nbf=now - 7200, iat=now - 7200),
        "not yet valid": token(signing_key, roles=["region_admin"], nbf=now + 3600),
        "wrong audience": token(signing_key, roles=["region_admin"], aud="someone-else"),
        "wrong issuer": token(signing_key, roles=["region_admin"], iss="https://evil.example"),
        "no expiry": token(signing_key, roles=["region_admin"], exp=None),
        "signed by another key": jwt.encode(base, foreign_ec, algorithm="ES256"),
        "signed by another RSA key": jwt.encode(base, foreign_rsa, algorithm="RS256"),
        "HS256 with the public key as secret": _hmac_signed(base, (signing_key / "dev-jwt" / "public.pem")),
        "alg none": _unsigned(base),
        "unknown role": token(signing_key, roles=["region_admin", "emperor"]),
        "region that is no region id": token(signing_key, roles=["region_admin"], region="x'; DROP TABLE"),
        "not a token": "hello",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "tampered payload",
        "tampered signature",
        "expired",
        "not yet valid",
        "wrong audience",
        "wrong issuer",
        "no expiry",
        "alg none",
        "signed by another key",
        "signed by another RSA key",
        "HS256 with the public key as secret",
        "unknown role",
        "not a token",
    ],
)
async def test_forged_or_stale_tokens_are_refused_by_every_service(
    clients: dict[str, httpx.AsyncClient], signing_key: Path, kind: str
) -> None:
    forged = _forged_tokens(signing_key)[kind]
    for name in SERVICE_NAMES:
        endpoint = next(
            e for e in PROTECTED if e.service == name and e.roles and Role.REGION_ADMIN in e.roles
        )
        response = await call(clients[name], endpoint, {"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401, f"{name} {kind}: {response.status_code} {response.text}"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_openapi_document_names_the_roles_of_every_operation(service: str) -> None:
    service_definition = definition(service)
    operations = build_app(service_definition, build_context(service_definition)).openapi()["paths"]
    for endpoint in (e for e in ALL_ENDPOINTS if e.service == service):
        operation = operations[endpoint.path][endpoint.method.lower()]
        if endpoint.public:
            assert "x-roles" not in operation, endpoint
            continue
        assert endpoint.roles is not None
        names = sorted(role.value for role in endpoint.roles)
        assert operation["x-roles"] == names, endpoint
        assert f"Roles: {', '.join(names)}." in operation["description"], endpoint
