"""Read load with the lean keep-alive client: closed loop (back to back) or open loop (on a schedule).

Each returns a ``Phase``: the latencies and sizes of the 200 answers, the other statuses counted,
and the first error's body. The reads and web-page benchmarks measure with them.

While a phase measures, the load generator's collector leaves its old generation alone
(``kinerja.simulate.pacing.old_generation_left_alone``, as the simulator's open loops do):
the benchmark's process holds ~160,000 objects (it imports the service's modules), and a full
collection walking them all (44-177 ms on the shared 2-core machine) counted as the service's time
for every request due meanwhile (session 23's unit dashboard p99 of 36-71 ms).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench._http import RawClient
from bench.scoring_reads_bare import Request
from kinerja.simulate.pacing import old_generation_left_alone


@dataclass
class Phase:
    """What one measured phase saw."""

    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    first_error: str = ""

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]

    def tail(self) -> str:
        """p90, p99.9 and the slowest, in ms."""
        p90, p999, slowest = (self.percentile(q) * 1000 for q in (0.9, 0.999, 1.0))
        return f"p90 {p90:,.1f} ms, p99.9 {p999:,.1f} ms, max {slowest:,.1f} ms"

    def record(self, started: float, status: int, body: bytes) -> None:
        if status == 200:
            self.latencies.append(time.perf_counter() - started)
            self.sizes.append(len(body))
        else:
            self.errors[status] = self.errors.get(status, 0) + 1
            self.first_error = self.first_error or body[:300].decode(errors="replace")


async def closed_loop(
    url: str, requests: Callable[[], Request], *, connections: int, duration: float
) -> Phase:
    """As many requests as ``connections`` clients send back to back for ``duration`` seconds."""
    phase = Phase()
    with old_generation_left_alone():
        async with RawClient(url, connections=connections) as http:
            deadline = time.perf_counter() + duration

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    path, headers = requests()
                    started = time.perf_counter()
                    response = await http.get(path, headers)
                    phase.record(started, response.status_code, response.content)

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            phase.seconds = time.perf_counter() - started
    return phase


async def open_loop(
    url: str, requests: Callable[[], Request], *, rate: float, duration: float, connections: int
) -> Phase:
    """Requests started on a fixed schedule; each latency counts from its scheduled start."""
    phase = Phase()
    with old_generation_left_alone():
        async with RawClient(url, connections=connections) as http:
            tasks: list[asyncio.Task[None]] = []

            async def one(scheduled: float, path: str, headers: dict[str, str]) -> None:
                response = await http.get(path, headers)
                phase.record(scheduled, response.status_code, response.content)

            started = time.perf_counter()
            for number in range(max(1, int(rate * duration))):
                scheduled = started + number / rate
                if (wait := scheduled - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                tasks.append(asyncio.create_task(one(scheduled, *requests())))
            await asyncio.gather(*tasks)
            phase.seconds = time.perf_counter() - started
    return phase
