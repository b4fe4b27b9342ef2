"""Stopping one of several processes serving one listening socket fails no request (shared.serving).

Servers here run in the test's event loop on duplicates of one socket, as the processes of a
service each hold the one ``kinerja up`` bound; the test keeps the original open, as it does.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from services.web.settings import WebSettings
from shared.serving import GracefulServer, listening_socket, server_config
from shared.settings import ServiceSettings
from tests.conftest import wait_until


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def serving(
    listening: socket.socket, drain_seconds: float = 2.0
) -> tuple[GracefulServer, asyncio.Task[None]]:
    """A server in this loop on its own copy of the listening socket, once it accepts."""
    config = uvicorn.Config(hello, loop="none", log_config=None, lifespan="off", access_log=False)
    server = GracefulServer(config, drain_seconds=drain_seconds, handle_signals=False)
    task = asyncio.create_task(server.serve(sockets=[listening.dup()]))
    await wait_until(lambda: asyncio.sleep(0, server.started), interval=0.01)
    return server, task


@pytest.fixture
async def shared_socket() -> AsyncIterator[socket.socket]:
    listening = listening_socket("127.0.0.1", 0)
    try:
        yield listening
    finally:
        listening.close()


async def test_a_stopping_server_answers_on_an_idle_connection_and_closes_it(
    shared_socket: socket.socket,
) -> None:
    server, task = await serving(shared_socket)
    url = f"http://127.0.0.1:{shared_socket.getsockname()[1]}/"
    async with httpx.AsyncClient(timeout=5) as http:
        assert (await http.get(url)).headers.get("connection") != "close"  # kept alive, now idle
        server.should_exit = True
        await asyncio.sleep(0.3)  # it no longer accepts: only the idle connection reaches it
        last = await http.get(url)
    assert last.status_code == 200
    assert last.headers["connection"] == "close"
    await asyncio.wait_for(task, timeout=5)


async def test_what_waits_on_the_socket_is_served_by_the_other_server(shared_socket: socket.socket) -> None:
    first, first_task = await serving(shared_socket, drain_seconds=0.5)
    second, second_task = await serving(shared_socket, drain_seconds=0.5)
    url = f"http://127.0.0.1:{shared_socket.getsockname()[1]}/"
    async with httpx.AsyncClient(timeout=5, limits=httpx.Limits(max_keepalive_connections=0)) as http:
        # New connections all the while the first server stops, each on its own connection.
        sent = [asyncio.create_task(http.get(url)) for _ in range(50)]
        first.should_exit = True
        sent += [asyncio.create_task(http.get(url)) for _ in range(50)]
        answers = await asyncio.gather(*sent)
        await asyncio.wait_for(first_task, timeout=5)
        answers += [await http.get(url) for _ in range(10)]
    assert [answer.status_code for answer in answers] == [200] * 110
    second.should_exit = True
    await asyncio.wait_for(second_task, timeout=5)


@pytest.mark.parametrize("settings_class", [ServiceSettings, WebSettings])
def test_a_process_believes_forwarded_addresses_only_from_its_configured_proxies(
    settings_class: type[ServiceSettings],
) -> None:
    """The services and the web process serve with one configuration (``server_config``)."""
    alone = server_config(hello, settings_class(trusted_proxy_addresses=[]))
    assert (alone.proxy_headers, alone.access_log, alone.lifespan) == (False, False, "off")
    behind = server_config(hello, settings_class(trusted_proxy_addresses=["10.0.0.5"], http_port=8123))
    assert behind.proxy_headers is True
    assert behind.forwarded_allow_ips == ["10.0.0.5"]
    assert behind.port == 8123
