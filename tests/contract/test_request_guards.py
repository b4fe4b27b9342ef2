"""Every route refuses before it reads: a caller without a token gets 401 before the body is read,
and no body gets past its limit whatever its framing (chunked, without ``Content-Length``).

Each service's application is served by uvicorn on a socket and spoken to in raw HTTP/1.1, so a
body can be sent in chunks and left unfinished: an answer that comes while the client is still
"sending" proves the server did not wait for (or read) the rest. These refusals happen before any
database access, so no infrastructure is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import params
from fastapi.routing import APIRoute

from kinerja.services import SERVICE_NAMES, definition
from services.feedback.settings import FeedbackSettings
from shared.audit_api import router as audit_router
from shared.runtime import build_app
from shared.wiring import build_context
from tests.conftest import wait_until
from tests.contract.test_access_policies import ALL_ENDPOINTS, Endpoint, signing_key, token

__all__ = ["signing_key"]  # the module's development key, a fixture shared with the access tests


def content_type_of(route: APIRoute) -> str | None:
    """What a route reads its body as, or None when it takes no body."""
    if any(isinstance(param.field_info, params.Form) for param in route.dependant.body_params):
        return "multipart/form-data; boundary=kinerja"
    if route.body_field is not None:
        return "application/json"
    declared = (route.openapi_extra or {}).get("requestBody", {}).get("content", {})
    return next(iter(declared), None)


def routes_reading_a_body() -> dict[tuple[str, str, str], str]:
    """The content type of every (service, method, path) that takes a body."""
    reading = {}
    for name in SERVICE_NAMES:
        for router in (*definition(name).routers(), audit_router):
            for route in router.routes:
                if isinstance(route, APIRoute) and (content_type := content_type_of(route)):
                    reading.update(
                        {(name, method, route.path): content_type for method in route.methods or ()}
                    )
    return reading


READING = routes_reading_a_body()
WITH_BODY = [e for e in ALL_ENDPOINTS if (e.service, e.method, e.path) in READING]
PROTECTED_WITH_BODY = [endpoint for endpoint in WITH_BODY if not endpoint.public]
ANSWER_WITHIN_SECONDS = 5.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
async def ports(signing_key: Path) -> AsyncIterator[dict[str, int]]:
    """Each service's API behind uvicorn on a port of its own."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    ports: dict[str, int] = {}
    for name in SERVICE_NAMES:
        service_definition = definition(name)
        app = build_app(service_definition, build_context(service_definition))
        ports[name] = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=ports[name], lifespan="off", log_config=None)
        server = uvicorn.Server(config)
        servers.append((server, asyncio.create_task(server.serve())))
    for server, _ in servers:

        async def started(server: uvicorn.Server = server) -> bool:
            return bool(server.started)

        await wait_until(started, timeout=10, interval=0.02)
    yield ports
    for server, task in servers:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task


#: Citizens' routes whose body is a file, with their own (larger) limit.
FILE_LIMITS = {
    ("feedback", "PUT", "/v1/public/regions/{region_id}/complaints/{tracking_code}/photo"): (
        FeedbackSettings().complaint_photo_max_bytes
    ),
}


def body_limit(endpoint: Endpoint) -> int:
    """The limit the route declares: citizens' routes their own, every other one the service's."""
    if (endpoint.service, endpoint.method, endpoint.path) in FILE_LIMITS:
        return FILE_LIMITS[(endpoint.service, endpoint.method, endpoint.path)]
    if endpoint.public:
        return FeedbackSettings().public_max_body_bytes
    return definition(endpoint.service).max_body_bytes


async def send_unfinished(
    port: int, endpoint: Endpoint, *, headers: dict[str, str], chunks: list[bytes]
) -> Answer:
    """Send the chunks of a chunked body without its last (empty) chunk, then read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = [f"{endpoint.method} {endpoint.sample_path} HTTP/1.1", "Host: test"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        content_type = READING[(endpoint.service, endpoint.method, endpoint.path)]
        head += [f"Content-Type: {content_type}", "Transfer-Encoding: chunked", "", ""]
        writer.write("\r\n".join(head).encode())
        for chunk in chunks:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
        return await asyncio.wait_for(_read_answer(reader), timeout=ANSWER_WITHIN_SECONDS)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    status_line = await reader.readline()
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(int(status_line.split()[1]), json.loads(body) if body else None)


def in_one_shape(answer: Answer) -> dict[str, Any]:
    """The platform's error body, with both languages."""
    error = answer.body["error"]
    assert set(error) >= {"code", "field", "message", "message_id"}, answer.body
    assert error["message"]
    assert error["message_id"]
    return dict(error)


def allowed_token(signing_key: Path, endpoint: Endpoint) -> dict[str, str]:
    if endpoint.public:
        return {}
    assert endpoint.roles is not None
    roles = sorted(role.value for role in endpoint.roles)
    return {"Authorization": f"Bearer {token(signing_key, roles=roles)}"}


@pytest.mark.parametrize("endpoint", PROTECTED_WITH_BODY, ids=str)
async def test_a_caller_without_a_token_is_refused_before_the_body_is_read(
    ports: dict[str, int], endpoint: Endpoint
) -> None:
    # Malformed and unfinished: the answer must not wait for the rest, nor judge the JSON.
    answer = await send_unfinished(ports[endpoint.service], endpoint, headers={}, chunks=[b'{"no": json'])
    assert answer.status == 401, answer.body
    assert in_one_shape(answer)["code"] == "missing_token"


@pytest.mark.parametrize("endpoint", WITH_BODY, ids=str)
async def test_a_chunked_body_over_the_limit_is_refused_as_soon_as_it_is_over(
    ports: dict[str, int], signing_key: Path, endpoint: Endpoint
) -> None:
    limit = body_limit(endpoint)
    piece = 64 * 1024
    sizes = [piece] * (limit // piece) + [limit % piece + 1]
    chunks = [b" " * size for size in sizes if size]
    if READING[(endpoint.service, endpoint.method, endpoint.path)].startswith("multipart/"):
        # A well-formed start, so that the parser goes on reading the file's bytes.
        part = b'--kinerja\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        chunks[0] = part + chunks[0][len(part) :]
    answer = await send_unfinished(
        ports[endpoint.service], endpoint, headers=allowed_token(signing_key, endpoint), chunks=chunks
    )
    assert answer.status == 413, answer.body
    assert in_one_shape(answer)["code"] == "too_large"
