"""What the HTTP shell records: probes, scrapes and streams stay out of the latency histogram."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from prometheus_client import REGISTRY

from shared.guarded_route import GuardedRoute
from shared.http import create_app

router = APIRouter(route_class=GuardedRoute)


@router.get("/v1/unit-test-stream", response_class=StreamingResponse)
async def stream() -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        yield b"data: one\n\n"

    return StreamingResponse(lines(), media_type="text/event-stream")


@router.get("/v1/unit-test-plain")
async def plain() -> dict[str, str]:
    return {"ok": "yes"}


async def healthy() -> str | None:
    return None


async def broken() -> str | None:
    raise ConnectionError("redis is down")


def sample(name: str, **labels: str) -> float | None:
    value: float | None = REGISTRY.get_sample_value(name, labels)
    return value


async def test_probes_scrapes_and_streams_are_counted_but_not_timed() -> None:
    app = create_app(title="t", description="t", routers=[router], readiness_checks={"database": healthy})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        for path in ("/healthz", "/readyz", "/metrics", "/v1/unit-test-stream", "/v1/unit-test-plain"):
            assert (await http.get(path)).status_code == 200

    for route in ("/healthz", "/readyz", "/metrics", "/v1/unit-test-stream"):
        assert sample("kinerja_http_requests_total", method="GET", route=route, status="200"), route
        assert sample("kinerja_http_request_duration_seconds_count", method="GET", route=route) is None, route
    assert sample("kinerja_http_request_duration_seconds_count", method="GET", route="/v1/unit-test-plain")


async def test_readiness_is_exported_on_every_scrape() -> None:
    app = create_app(
        title="t", description="t", routers=[], readiness_checks={"database": healthy, "redis": broken}
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        text = (await http.get("/metrics")).text
    assert 'kinerja_dependency_up{dependency="database"} 1.0' in text
    assert 'kinerja_dependency_up{dependency="redis"} 0.0' in text
    assert "kinerja_ready 0.0" in text


def test_every_event_stream_of_the_services_is_kept_out_of_the_latency_histogram() -> None:
    from fastapi.routing import APIRoute

    from kinerja.services import SERVICE_NAMES, definition
    from shared.http import is_timed

    streams = []
    for name in SERVICE_NAMES:
        for router in definition(name).routers():
            for route in router.routes:
                if not isinstance(route, APIRoute):
                    continue
                media = {kind for answer in route.responses.values() for kind in answer.get("content", {})}
                if "text/event-stream" in media:
                    streams.append(route.path)
                    assert not is_timed(route), f"{name} {route.path} streams but would be timed"
    assert streams == ["/v1/feed"]
