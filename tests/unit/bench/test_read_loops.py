"""The reads' load loops measure with the load generator's garbage collector held off, and give it back."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest

from bench._read_loops import closed_loop, open_loop
from bench.scoring_reads_bare import Request


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await reader.readuntil(b"\r\n\r\n"):
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()


@pytest.fixture
async def server_url() -> AsyncIterator[str]:
    """A server answering every GET with a 200."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
        server.close()


class _Requests:
    """Requests that note whether the collector could run while each was made."""

    def __init__(self) -> None:
        self.collector_enabled: set[bool] = set()

    def __call__(self) -> Request:
        self.collector_enabled.add(gc.isenabled())
        return "/", {}


async def test_a_closed_loop_runs_without_the_collector_and_enables_it_after(server_url: str) -> None:
    requests = _Requests()
    phase = await closed_loop(server_url, requests, connections=2, duration=0.05)
    assert phase.latencies
    assert requests.collector_enabled == {False}
    assert gc.isenabled()


async def test_an_open_loop_runs_without_the_collector_and_enables_it_after(server_url: str) -> None:
    requests = _Requests()
    phase = await open_loop(server_url, requests, rate=200, duration=0.05, connections=2)
    assert len(phase.latencies) == 10
    assert requests.collector_enabled == {False}
    assert gc.isenabled()


async def test_a_collector_disabled_before_stays_disabled(server_url: str) -> None:
    gc.disable()
    try:
        await open_loop(server_url, _Requests(), rate=200, duration=0.02, connections=1)
        assert not gc.isenabled()
    finally:
        gc.enable()
