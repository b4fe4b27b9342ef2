"""The pool's waiting order alone: reads on a pool of a few connections, SQLAlchemy's queue against ours.

No database: each read takes a connection of a pool of driver stand-ins, keeps it for a statement's
time (a random sleep: the database works on another core, the loop serves others meanwhile), and
spends the event loop's time before and after as a route does (busy Python: parsing, building the
answer), at a fixed rate, open loop. Printed per queue: the wait for a connection (p50/p99/max), the
read's time from its scheduled start (p50/p99). Options alternate, so a loaded machine's moments
fall on both alike; the figures are the waiting order's, not the service's.

    .venv/bin/python -m bench.scoring_reads_pool --rate 700 --hold-ms 4 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import AsyncAdaptedQueuePool, QueuePool
from sqlalchemy.util import greenlet_spawn

from shared.db_pool import FairPool


class _Connection:
    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


def _busy(seconds: float) -> None:
    """The loop's own work for a while (a route's Python), not a sleep."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def measure(pool_class: type[QueuePool], args: argparse.Namespace, seed: int) -> str:
    creator = cast(Callable[[], DBAPIConnection], _Connection)
    pool: Any = pool_class(creator, pool_size=args.size, max_overflow=0, timeout=30, use_lifo=True)
    opened = [await greenlet_spawn(pool.connect) for _ in range(args.size)]
    for connection in opened:
        await greenlet_spawn(connection.close)
    chooser = random.Random(seed)
    waits: list[float] = []
    latencies: list[float] = []

    async def read(scheduled: float, hold: float) -> None:
        _busy(args.before_ms / 1000)
        asked = time.perf_counter()
        connection = await greenlet_spawn(pool.connect)
        waits.append(time.perf_counter() - asked)
        await asyncio.sleep(hold)
        await greenlet_spawn(connection.close)
        _busy(args.after_ms / 1000)
        latencies.append(time.perf_counter() - scheduled)

    tasks = []
    started = time.perf_counter()
    for number in range(int(args.rate * args.duration)):
        scheduled = started + number / args.rate
        if (wait := scheduled - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        hold = chooser.expovariate(1000 / args.hold_ms)  # a statement's time: mostly short, a few long
        tasks.append(asyncio.create_task(read(scheduled, hold)))
    await asyncio.gather(*tasks)

    def at(values: list[float], fraction: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    name = "fair" if pool_class is FairPool else "sqlalchemy"
    load = "/".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{name:<10} at {args.rate:,.0f}/s: wait p50 {at(waits, 0.5):6.2f} p99 {at(waits, 0.99):7.2f} "
        f"max {at(waits, 1.0):7.2f} ms; read p50 {at(latencies, 0.5):6.2f} p99 {at(latencies, 0.99):7.2f} "
        f"ms; load {load}"
    )


async def run(args: argparse.Namespace) -> None:
    classes: list[type[QueuePool]] = [AsyncAdaptedQueuePool, FairPool]
    for number in range(args.rounds):
        for pool_class in classes if number % 2 == 0 else classes[::-1]:
            print(await measure(pool_class, args, seed=number), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=4, help="connections in the pool")
    parser.add_argument("--rate", type=float, default=700.0, help="reads a second")
    parser.add_argument("--hold-ms", type=float, default=4.0, help="a statement's mean time")
    parser.add_argument("--before-ms", type=float, default=0.3, help="a read's Python before its statement")
    parser.add_argument("--after-ms", type=float, default=0.5, help="a read's Python after it")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
