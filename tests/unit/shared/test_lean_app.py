"""The platform's applications leave out FastAPI's telemetry and body-limit layers only while they
would do nothing (shared/lean_app.py), and answer as FastAPI's stack does."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware

from shared.http import NATIVE_TELEMETRY_OFF, create_app
from shared.lean_app import LeanApp


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
