"""Reporting ingest: activities through HTTP to the committed outbox, with ONE uvicorn worker.

Prints, each beside a bare FastAPI endpoint that only parses the same JSON (served the same way,
measured in the same run) and the ratio:
- single-submission throughput (target at least 1,500 activities/s);
- latency p50/p99 at 70% of that target load, 1,050 activities/s (target p99 at most 100 ms), and
  at 70% of the measured throughput when the target was not reached;
- batch-submission throughput (target at least 15,000 activities/s);
and, to show where the time goes, the cores each process used (Redis's too: the live feed's), the
machine's busy cores and, for batches, how long reporting's event loop ran and waited for a core.

The reporting service runs its API and consumer (it learns plans from planning's events) but not
its relay: the figure is to the committed outbox, which is counted at the end.

    .venv/bin/python -m bench.reporting_ingest --quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pstats
from collections import Counter
from types import TracebackType
from typing import cast

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench._cpu import CpuMeter
from bench._http import RawClient
from bench._platform import (
    BenchPlatform,
    figure,
    machine_line,
    parse_sized_options,
    process_ids,
    run_on_platform,
    start_baseline,
)
from kinerja.simulate import (
    Outcome,
    Population,
    TokenMint,
    build_population,
    client,
    stream_activity,
    wait_until_reporting_accepts,
)

SINGLE_TARGET = 1500.0
BATCH_TARGET = 15_000.0
P99_TARGET_MS = 100.0


async def measure(
    url: str,
    population: Population,
    *,
    rate: float,
    duration: float,
    batch: int,
    concurrency: int,
    meter_pids: dict[str, int],
    loop_of: int | None = None,
) -> tuple[Outcome, CpuMeter]:
    """One phase against one server, with the cores used by each process meanwhile (and, for
    ``loop_of``, how its event loop ran and waited for a core)."""
    async with RawClient(url, connections=concurrency) as raw:
        # The lean client offers the part of httpx's interface the simulator uses.
        http = cast(httpx.AsyncClient, raw)
        with CpuMeter(meter_pids, loop_of=loop_of) as meter:
            outcome = await stream_activity(
                http,
                population,
                rate=rate,
                duration=duration,
                batch=batch,
                concurrency=concurrency,
                duplicate_ratio=0.0,
                seed=7,
            )
    return outcome, meter


class ConnectionStates:
    """What reporting's PostgreSQL connections were doing through a phase (``--waits``), from
    ``pg_stat_activity`` every few milliseconds: running a statement (and what it waited on), or
    idle in a transaction, waiting for the service's next statement (its event loop's turn).

    The sampler's queries cost PostgreSQL and this process CPU the figures then share: a
    diagnosis, not a figure to compare.
    """

    def __init__(self, database_url: str, application_name: str, *, interval: float = 0.005) -> None:
        self._url = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        self._application_name = application_name
        self._interval = interval
        self._states: Counter[str] = Counter()
        self._samples = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ConnectionStates:
        connection = await asyncpg.connect(self._url)
        self._task = asyncio.create_task(self._sample(connection))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sample(self, connection: asyncpg.Connection) -> None:
        query = (
            "SELECT state, wait_event_type || ':' || wait_event FROM pg_stat_activity"
            " WHERE application_name = $1 AND state <> 'idle'"
        )
        try:
            while True:
                for state, waiting_on in await connection.fetch(query, self._application_name):
                    self._states[
                        f"{state} ({waiting_on})" if state == "active" and waiting_on else state
                    ] += 1
                self._samples += 1
                await asyncio.sleep(self._interval)
        finally:
            await connection.close()

    def line(self) -> str:
        """Connections in each state on average, e.g. ``active 0.33, idle in transaction 1.05``."""
        shares = ", ".join(
            f"{state} {count / max(self._samples, 1):.2f}" for state, count in self._states.most_common(6)
        )
        return f"{self._application_name}'s connections ({self._samples:,} samples): {shares or 'none busy'}"


async def committed_outbox_events(platform: BenchPlatform) -> int:
    """Activity events committed to reporting's outbox (a row holds an employee's events of one
    transaction, separated by newlines: ``shared.outbox.envelopes_of``)."""
    engine = create_async_engine(platform.admin_database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                text(
                    "SELECT sum(1 + length(envelopes) - length(replace(envelopes, chr(10), ''))) FROM ("
                    " SELECT convert_from(value, 'UTF8') AS envelopes FROM reporting.outbox"
                    " WHERE event_type = 'ActivityReported') AS activity_events"
                )
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    profile = {"reporting"} if args.profile else set()
    services = platform.start_services(
        {"planning": "api,consumer,relay", "reporting": "api,consumer"}, profile
    )
    mint = TokenMint(platform.settings)
    async with client(services.url("planning"), connections=24) as planning:
        population = await build_population(planning, mint, employees=args.employees, regions=args.regions)
    async with client(services.url("reporting"), connections=24) as reporting:
        warm = await wait_until_reporting_accepts(reporting, population)
    print(
        f"population: {len(population.employees)} employees in {len(population.regions)} regions; "
        f"reporting knew every plan after {warm.elapsed:.1f}s"
    )

    bare, bare_url = start_baseline("bench.bare_api")
    pids = process_ids(platform, services)
    bare_pids = {"bench client": pids["bench client"], "bare api": bare.pid}
    # Redis counts: the live feed appends an entry an accepted activity (~0.1 of a core in batches).
    service_pids = {name: pid for name, pid in pids.items() if name != "planning"}
    lines: list[str] = []
    accepted = warm.accepted
    try:
        single = {"duration": args.duration, "concurrency": args.concurrency, "batch": 0}
        base_max, base_cpu = await measure(bare_url, population, rate=0, meter_pids=bare_pids, **single)
        real_max, real_cpu = await measure(
            services.url("reporting"), population, rate=0, meter_pids=service_pids, **single
        )
        accepted += real_max.accepted
        lines.append(
            figure(
                "single submissions, max throughput",
                real_max.throughput,
                "activities/s",
                target=f">= {SINGLE_TARGET:,.0f}",
                baseline=base_max.throughput,
            )
        )
        lines.append(
            f"    reporting: {real_cpu.line()}; {real_cpu.per_item(real_max.activities, 'activity')}"
        )
        lines.append(
            f"    baseline:  {base_cpu.line()}; {base_cpu.per_item(base_max.activities, 'activity')}"
        )
        if real_max.rejected or real_max.failed:
            lines.append(f"    reporting outcomes: {real_max.summary()}")

        rates = [0.7 * SINGLE_TARGET]
        if real_max.throughput < SINGLE_TARGET:
            rates.append(0.7 * real_max.throughput)
        for rate in rates:
            base_lat, _ = await measure(bare_url, population, rate=rate, meter_pids=bare_pids, **single)
            real_lat, real_lat_cpu = await measure(
                services.url("reporting"), population, rate=rate, meter_pids=service_pids, **single
            )
            accepted += real_lat.accepted
            label = f"at {rate:,.0f}/s"
            for name, q in (("p50", 0.5), ("p99", 0.99)):
                lines.append(
                    figure(
                        f"single submissions, {name} latency {label}",
                        real_lat.percentile(q) * 1000,
                        "ms",
                        target=f"<= {P99_TARGET_MS:.0f}" if name == "p99" else "",
                        baseline=base_lat.percentile(q) * 1000,
                    )
                )
            lines.append(
                f"    achieved {real_lat.throughput:,.0f}/s (baseline {base_lat.throughput:,.0f}/s); "
                f"{real_lat.behind_schedule} requests behind schedule; {real_lat_cpu.line()}"
            )

        batch_phase = {
            "duration": args.duration,
            "concurrency": args.batch_concurrency,
            "batch": args.batch_size,
        }
        base_batch, base_batch_cpu = await measure(
            bare_url, population, rate=0, meter_pids=bare_pids, **batch_phase
        )
        states = ConnectionStates(platform.admin_database_url, "reporting") if args.waits else None
        async with states or contextlib.AsyncExitStack():
            real_batch, real_batch_cpu = await measure(
                services.url("reporting"),
                population,
                rate=0,
                meter_pids=service_pids,
                loop_of=pids["reporting"],
                **batch_phase,
            )
        accepted += real_batch.accepted
        lines.append(
            figure(
                f"batch submissions ({args.batch_size}/request), throughput",
                real_batch.throughput,
                "activities/s",
                target=f">= {BATCH_TARGET:,.0f}",
                baseline=base_batch.throughput,
            )
        )
        for name, meter, outcome in (
            ("reporting:", real_batch_cpu, real_batch),
            ("baseline: ", base_batch_cpu, base_batch),
        ):
            lines.append(f"    {name} {meter.line()}; {meter.per_item(outcome.activities, 'activity')}")
        if real_batch_cpu.loop is not None:
            lines.append(f"    {real_batch_cpu.loop.line('reporting')}")
        if states is not None:
            lines.append(f"    {states.line()}")
        if real_batch.rejected or real_batch.failed:
            lines.append(f"    reporting outcomes: {real_batch.summary()}")
    finally:
        bare.terminate()
        bare.wait(timeout=10)

    outbox = await committed_outbox_events(platform)
    print()
    print(f"reporting ingest benchmark — {machine_line()}")
    print(
        f"duration per phase {args.duration:.0f}s, {args.concurrency} connections (single), "
        f"{args.batch_concurrency} (batch); one uvicorn worker each"
    )
    for line in lines:
        print(line)
    print(
        f"committed ActivityReported events in reporting's outbox: {outbox:,} "
        f"(accepted answers: {accepted:,})"
    )
    if args.profile:
        services.stop("reporting")
        print("\nreporting service, top functions by internal time:")
        stats = pstats.Stats(str(services.profile_path("reporting")))
        stats.sort_stats("tottime").print_stats(25)
        print("\nreporting service, the project's own functions by cumulative time:")
        stats.sort_stats("cumulative").print_stats(r"/(services|shared)/", 30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--employees", type=int, help="employees submitting")
    parser.add_argument("--regions", type=int, help="regions they are spread over")
    parser.add_argument("--duration", type=float, help="seconds per phase")
    parser.add_argument("--concurrency", type=int, default=64, help="connections for single submissions")
    parser.add_argument("--batch-size", type=int, default=500, help="activities per batch request")
    # Enough syncs at once to keep the server busy: with 4, it waited on the database part of the time.
    parser.add_argument("--batch-concurrency", type=int, default=16, help="connections for batches")
    parser.add_argument("--profile", action="store_true", help="run reporting under cProfile and print it")
    parser.add_argument(
        "--waits",
        action="store_true",
        help="sample what reporting's database connections do in the batch phase (costs CPU: a diagnosis)",
    )
    sizes = {"employees": (2000, 200), "regions": (4, 2), "duration": (20.0, 4.0)}
    args = parse_sized_options(parser, sizes)
    run_on_platform(run, args)


if __name__ == "__main__":
    main()
