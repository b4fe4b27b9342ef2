"""A request's token is verified once: the route's dependencies take the caller its GuardedRoute admitted.

Each role dependency still checks its own roles, and the OpenAPI document still names the bearer
scheme on every operation that needs a token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends

from shared.auth import Principal, Role, TokenVerifier, ensure_dev_signing_key, mint_dev_token
from shared.guarded_route import GuardedRoute
from shared.http import create_app
from shared.route_roles import Caller, document_roles, require_roles
from shared.settings import ServiceSettings


class CountingVerifier(TokenVerifier):
    """The platform's verifier, counting the tokens it is asked about."""

    calls = 0

    async def verify_async(self, token: str) -> Principal:
        self.calls += 1
        return await super().verify_async(token)


router = APIRouter(route_class=GuardedRoute)
AsWorker = require_roles(Role.EMPLOYEE, Role.RATER)
AsRater = require_roles(Role.RATER)


@router.get("/v1/unit-test-own")
async def own(caller: Caller, principal: Principal = AsWorker) -> dict[str, str]:
    return {"subject": principal.subject, "caller": caller.subject}


async def _raters_only(principal: Principal = AsRater) -> str:
    return principal.subject


@router.get("/v1/unit-test-narrowed")
async def narrowed(
    rater: Annotated[str, Depends(_raters_only)],
    principal: Principal = AsWorker,
) -> dict[str, str]:
    return {"rater": rater}


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[ServiceSettings]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KINERJA_DATA_DIR", str(tmp_path))
        ensure_dev_signing_key(tmp_path / "dev-jwt" / "private.pem")
        yield ServiceSettings()


def _token(settings: ServiceSettings, role: Role) -> str:
    return mint_dev_token(settings, subject=f"{role.value}-1", roles=[role], region_id="r-unit")


async def test_a_request_verifies_its_token_once(settings: ServiceSettings) -> None:
    app = create_app(title="t", description="t", routers=[router], readiness_checks={})
    verifier = app.state.token_verifier = CountingVerifier(settings)
    headers = {"Authorization": f"Bearer {_token(settings, Role.EMPLOYEE)}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/v1/unit-test-own", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "employee-1", "caller": "employee-1"}
    assert verifier.calls == 1


async def test_a_nested_role_dependency_still_refuses_a_caller_without_its_role(
    settings: ServiceSettings,
) -> None:
    app = create_app(title="t", description="t", routers=[router], readiness_checks={})
    app.state.token_verifier = CountingVerifier(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        employee = await http.get(
            "/v1/unit-test-narrowed", headers={"Authorization": f"Bearer {_token(settings, Role.EMPLOYEE)}"}
        )
        rater = await http.get(
            "/v1/unit-test-narrowed", headers={"Authorization": f"Bearer {_token(settings, Role.RATER)}"}
        )
        anonymous = await http.get("/v1/unit-test-narrowed")
    assert employee.status_code == 403, employee.text
    assert employee.json()["error"]["code"] == "wrong_role"
    assert rater.status_code == 200
    assert rater.json() == {"rater": "rater-1"}
    assert anonymous.status_code == 401


def test_the_openapi_document_names_the_bearer_scheme_of_each_operation_needing_a_token() -> None:
    app = create_app(title="t", description="t", routers=[router], readiness_checks={})
    document_roles(router.routes)
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A JWT from the region's identity provider.",
    }
    for path in ("/v1/unit-test-own", "/v1/unit-test-narrowed"):
        assert schema["paths"][path]["get"]["security"] == [{"HTTPBearer": []}], path
    assert schema["paths"]["/healthz"]["get"].get("security", []) == []
