"""A consumer or relay scaled on its own still answers probes and metrics, and is ready without an API."""

from __future__ import annotations

import httpx
import pytest

from kinerja.services import definition
from shared.runtime import build_app
from shared.service_definition import Component
from shared.wiring import build_context

OPERATIONS = {"/healthz", "/readyz", "/metrics"}


async def readiness_checks(components: set[Component]) -> set[str]:
    service = definition("scoring")
    app = build_app(service, build_context(service), components)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        answer = (await http.get("/readyz")).json()
    return set(answer["checks"])


@pytest.mark.parametrize("components", [{Component.CONSUMER}, {Component.RELAY}])
async def test_a_process_without_the_api_serves_only_probes_and_metrics(components: set[Component]) -> None:
    service = definition("scoring")
    app = build_app(service, build_context(service), components)
    assert set(app.openapi()["paths"]) == OPERATIONS
    assert await readiness_checks(components) == {"database", "redis", "broker"}


async def test_an_api_process_is_ready_without_a_broker_client_of_its_own() -> None:
    # It writes events to its outbox; the relay, elsewhere, needs the broker.
    assert await readiness_checks({Component.API}) == {"database", "redis"}
    service = definition("scoring")
    paths = set(build_app(service, build_context(service), {Component.API}).openapi()["paths"])
    assert paths > OPERATIONS
