"""The platform's applications leave out FastAPI's telemetry and body-limit layers only while they
would do nothing (shared/lean_app.py), and answer as FastAPI's stack does."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware

from shared.auth import Role, TokenVerifier, mint_dev_token
from shared.http import NATIVE_TELEMETRY_OFF, create_app
from shared.lean_app import LeanApp
from shared.settings import ServiceSettings
from tests.unit.shared.test_hot_route import GOOD, JSON, hot, settings

__all__ = ["settings"]  # the admission tests' fixture: a signing key and the settings that read it


def _layers(app: FastAPI) -> list[type]:
    layers: list[type] = []
    layer = app.build_middleware_stack()
    while layer is not app.router:
        layers.append(type(layer))
        layer = layer.app  # type: ignore[attr-defined]
    return layers


def test_the_platform_stack_has_no_idle_layers() -> None:
    layers = _layers(create_app(title="t", description="t", routers=[], readiness_checks={}))
    assert ExceptionTelemetryMiddleware not in layers
    assert AppBodyLimitMiddleware not in layers
    assert [layer.__name__ for layer in layers] == [
        "ServerErrorMiddleware",
        "ObservabilityMiddleware",
        "ExceptionMiddleware",
        "AsyncExitStackMiddleware",
    ]
    full = _layers(FastAPI(telemetry=NATIVE_TELEMETRY_OFF))
    assert ExceptionTelemetryMiddleware in full
    assert AppBodyLimitMiddleware in full


def test_layers_that_would_act_stay() -> None:
    layers = _layers(LeanApp(telemetry={"tracing": True}, max_body_size=1000))
    assert ExceptionTelemetryMiddleware in layers
    assert AppBodyLimitMiddleware in layers


async def test_an_answer_and_a_failure_are_as_before() -> None:
    app = create_app(title="t", description="t", routers=[], readiness_checks={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        ok = await http.get("/healthz", headers={"X-Correlation-Id": "abcdefgh-1"})
        missing = await http.get("/nowhere")
    assert ok.status_code == 200
    assert ok.json() == {"status": "ok"}
    assert ok.headers["x-correlation-id"] == "abcdefgh-1"
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "no_such_route"
    assert len(missing.headers["x-correlation-id"]) == 32


async def test_hot_routes_are_found_ahead_of_the_router(settings: ServiceSettings) -> None:
    app = create_app(title="t", description="t", routers=[hot], readiness_checks={})
    app.state.token_verifier = TokenVerifier(settings)
    assert [layer.__name__ for layer in _layers(app)] == [
        "ServerErrorMiddleware",
        "ObservabilityMiddleware",
        "ExceptionMiddleware",
        "_HotPathsFirst",
        "AsyncExitStackMiddleware",
    ]
    token = mint_dev_token(settings, subject="e-1", roles=[Role.EMPLOYEE], region_id="r-unit")
    bearer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        taken = await http.post("/v1/things/x1", content=GOOD, headers=bearer | JSON)
        # Not JSON: left to FastAPI's own handling, which needs the exit stack the router opened.
        left = await http.post("/v1/things/x1", content=GOOD, headers=bearer | {"Content-Type": "text/plain"})
    assert taken.status_code == 201
    assert taken.json()["caller"] == "e-1"
    assert left.status_code == 415
