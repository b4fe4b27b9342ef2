"""How load generators pace requests: at a fixed rate (open loop) or as fast as answers come (closed loop).

The open loop counts a request that had to wait for a free connection as behind schedule in the
``Outcome``, so a missed target rate is visible rather than hidden in the latencies.

While an open loop runs, the generator's garbage collector leaves its old generation alone
(``old_generation_left_alone``, which the reads' load loops in ``bench/`` use too): a latency counts
from the request's scheduled start, so a pause of the generator's event loop counts for every
request due meanwhile as if the service were slow.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable, Iterator

from kinerja.simulate.outcome import Outcome
from kinerja.simulate.progress import Progress

#: A count of young collections no loop reaches: the old generation is not collected meanwhile.
_NEVER = 2**31 - 1


class _OldGeneration:
    """The collector's old generation left alone while any load loop runs (loops may run side by
    side, as the soak's singles and batches do: the first to start holds it, the last to end gives
    it back)."""

    def __init__(self) -> None:
        self._loops = 0
        self._threshold = 0

    @contextlib.contextmanager
    def left_alone(self) -> Iterator[None]:
        if self._loops == 0:
            gc.collect()
            young, middle, self._threshold = gc.get_threshold()
            gc.set_threshold(young, middle, _NEVER)
        self._loops += 1
        try:
            yield
        finally:
            self._loops -= 1
            if self._loops == 0:
                young, middle, _ = gc.get_threshold()
                gc.set_threshold(young, middle, self._threshold)


_old_generation = _OldGeneration()


def old_generation_left_alone() -> contextlib.AbstractContextManager[None]:
    """No full collection meanwhile (one first, before the loop measures); young ones still run.

    A full collection walks every object the generator holds: its population, its imports and what
    it keeps of each answer (the soak's ledger, an object an activity): 150,000 objects at the
    soak's start, 330,000 three minutes on, and 240-410 ms a collection on the shared 2-core machine,
    one about every minute, each growing with the ledger. The young collections find what
    cyclic garbage the loop makes (3,300 objects in three minutes of the soak at 1,000/s) in a few
    milliseconds; what reaches the old generation waits for the loop's end.
    """
    return _old_generation.left_alone()


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

    async def run(scheduled: float) -> None:
        try:
            await one_request(scheduled)
        finally:
            gate.release()
            progress.advance(per_request)

    with old_generation_left_alone():
        start = time.perf_counter()
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
