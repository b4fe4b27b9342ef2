"""The open loop leaves the generator's old generation uncollected while it runs, and gives it back."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable

from kinerja.simulate import NoProgress, Outcome
from kinerja.simulate.pacing import open_loop


class _Requests:
    """Requests that note the collector's old-generation threshold when each is made."""

    def __init__(self) -> None:
        self.thresholds: set[int] = set()

    async def __call__(self, scheduled: float) -> None:
        self.thresholds.add(gc.get_threshold()[2])
        await asyncio.sleep(0)


async def _loop(requests: Callable[[float], Awaitable[object]], total: int) -> Outcome:
    outcome = Outcome()
    await open_loop(
        requests,
        interval=0.001,
        total_requests=total,
        concurrency=4,
        outcome=outcome,
        progress=NoProgress(),
        per_request=1,
    )
    return outcome


async def test_no_full_collection_while_the_loop_runs_and_the_threshold_back_after() -> None:
    before = gc.get_threshold()
    requests = _Requests()
    await _loop(requests, 10)
    assert len(requests.thresholds) == 1
    assert requests.thresholds.pop() > 1_000_000
    assert gc.get_threshold() == before


async def test_loops_side_by_side_hold_it_until_the_last_ends() -> None:
    before = gc.get_threshold()
    short, long = _Requests(), _Requests()
    await asyncio.gather(_loop(short, 3), _loop(long, 30))
    assert short.thresholds == long.thresholds
    assert long.thresholds.pop() > 1_000_000
    assert gc.get_threshold() == before


async def test_young_collections_still_run_meanwhile() -> None:
    young = _Requests()
    collections: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collections.append(info["generation"])

    async def allocating(scheduled: float) -> None:
        await young(scheduled)
        for _ in range(2_000):
            cycle: list[object] = []
            cycle.append(cycle)

    gc.callbacks.append(note)
    try:
        await _loop(allocating, 5)
    finally:
        gc.callbacks.remove(note)
    meanwhile = collections[collections.index(2) + 1 :]  # after the one before the loop measures
    assert 0 in meanwhile
    assert 2 not in meanwhile
