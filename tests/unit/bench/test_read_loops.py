"""The reads' load loops measure with the load generator's old generation left alone, and give it back."""

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
    """Requests that note the collector's old-generation threshold when each is made."""

    def __init__(self) -> None:
        self.old_thresholds: set[int] = set()

    def __call__(self) -> Request:
        self.old_thresholds.add(gc.get_threshold()[2])
        return "/", {}


async def test_a_closed_loop_runs_without_full_collections_and_gives_the_threshold_back(
    server_url: str,
) -> None:
    before = gc.get_threshold()
    requests = _Requests()
    phase = await closed_loop(server_url, requests, connections=2, duration=0.05)
    assert phase.latencies
    assert len(requests.old_thresholds) == 1
    assert requests.old_thresholds.pop() > 1_000_000
    assert gc.get_threshold() == before


async def test_an_open_loop_runs_without_full_collections_and_gives_the_threshold_back(
    server_url: str,
) -> None:
    before = gc.get_threshold()
    requests = _Requests()
    phase = await open_loop(server_url, requests, rate=200, duration=0.05, connections=2)
    assert len(phase.latencies) == 10
    assert len(requests.old_thresholds) == 1
    assert requests.old_thresholds.pop() > 1_000_000
    assert gc.get_threshold() == before


async def test_young_collections_still_run_in_a_phase(server_url: str) -> None:
    """Only the old generation waits: the collector stays on, so a phase's cycles are found."""
    requests = _Requests()
    enabled: set[bool] = set()

    def noting() -> Request:
        enabled.add(gc.isenabled())
        return requests()

    await open_loop(server_url, noting, rate=200, duration=0.02, connections=1)
    assert enabled == {True}
