"""How load generators pace requests: at a fixed rate (open loop) or as fast as answers come (closed loop).

The open loop counts a request that had to wait for a free connection as behind schedule in the
``Outcome``, so a missed target rate is visible rather than hidden in the latencies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from kinerja.simulate.outcome import Outcome
from kinerja.simulate.progress import Progress


async def open_loop(
    one_request: Callable[[float], Awaitable[object]],
    *,
    interval: float,
    total_requests: int,
    concurrency: int,
    outcome: Outcome,
    progress: Progress,
    per_request: int,
) -> None:
    gate = asyncio.Semaphore(concurrency)
    in_flight: set[asyncio.Task[None]] = set()
    start = time.perf_counter()

    async def run(scheduled: float) -> None:
        try:
            await one_request(scheduled)
        finally:
            gate.release()
            progress.advance(per_request)

    for number in range(total_requests):
        scheduled = start + number * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if gate.locked():
            outcome.behind_schedule += 1
        await gate.acquire()
        task = asyncio.create_task(run(scheduled))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)


async def closed_loop(
    one_request: Callable[[float], Awaitable[object]],
    *,
    duration: float,
    concurrency: int,
    progress: Progress,
) -> None:
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while (now := time.perf_counter()) < deadline:
            await one_request(now)

    async def tick() -> None:
        for _ in range(int(duration)):
            await asyncio.sleep(1)
            progress.advance()

    ticker = asyncio.create_task(tick())
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    ticker.cancel()
