"""Soak: the whole platform as ``make up`` runs it, under a steady stream of activities for minutes.

It starts a platform of its own as ``kinerja up`` does (``kinerja.isolated``: embedded PostgreSQL
with ``make up``'s durable settings, Redis and the broker on free ports in a temporary directory,
the four services and the web process, the demo regions loaded), builds a population with
``kinerja simulate``'s set-up, waits until every service has applied it, then reports activities
through reporting's API at ``--rate`` per second for ``--minutes``: a share one per request, as a
connected field app sends them, the rest in offline-sync batches, with a field app's retries mixed
in (``kinerja.simulate``'s activity stream, on the benchmarks' lean HTTP client).

Per window (a minute; ``--window``) it prints requests and activities sent, failed and refused,
latency p50/p99 of single and batch requests, freshness p50/p99 (scoring's event-to-effect
histogram: reporting's acceptance to scoring's commit), each service's backlog (consumer group lag
plus outbox rows not yet published), every process's memory and the cores each used. At the end
it checks that every activity answered 2xx is in reporting and in scoring exactly once, and judges
issue 18's targets with the first window as the baseline (``bench._soak_report``).

    .venv/bin/python -m bench.soak --quick                  # about 20 s of stream, a smoke test
    nice -n 19 .venv/bin/python -m bench.soak --rate 1000 --minutes 10 --broker kafka
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
import tempfile
import time
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench._cpu import CpuMeter
from bench._platform import machine_line, parse_sized_options, stage, write_log_tails
from bench._soak_postgres import PostgresProcesses, process_kinds
from bench._soak_report import SoakReport, Window, judge, render
from bench._soak_statements import (
    read_statements,
    reset_statements,
    sessions_so_far,
    statement_times,
    upkeep_between,
    upkeep_totals,
)
from bench._soak_stream import Stream, drive
from bench._soak_wal import checkpoint_lines, server_counters
from bench._soak_watch import (
    GcPauses,
    Parts,
    Scrape,
    dead_process,
    freshness_between,
    memory_mb,
    metrics_parser,
    process_ids,
    scrape,
)
from kinerja.chaos.checks import Verdict, check_databases, settle
from kinerja.demo import load_demo
from kinerja.isolated import IsolatedPlatform, remove_data
from kinerja.processes import exit_on_sigterm
from kinerja.services import PROCESS_NAMES, SERVICE_NAMES
from kinerja.simulate import (
    Ledger,
    TokenMint,
    percentiles,
    service_clients,
    set_up,
)
from shared.auth import ensure_dev_signing_key
from shared.messaging.kafka import ensure_topics

#: Seconds between two scrapes of the services' /metrics (their consumer lag refreshes every 5 s).
SAMPLE_SECONDS = 5.0
#: The stream is cut this long after its schedule's end (requests unanswered, or not yet sent).
STRAGGLER_SECONDS = 120.0


def _latency_ms(latencies: list[float]) -> tuple[float, float]:
    p50, p99 = percentiles(latencies, (0.5, 0.99))
    return p50 * 1000, p99 * 1000


async def watch(
    platform: IsolatedPlatform,
    urls: dict[str, str],
    stream: Stream,
    started: Scrape,
    windows: list[Window],
    args: argparse.Namespace,
    engine: AsyncEngine,
    report: SoakReport,
    tracking_statements: bool,
    parser: Executor,
) -> str | None:
    """Record each window as it ends; returns what stopped the soak early (a process died), if anything."""
    pids = process_ids(platform)
    postgres = PostgresProcesses(pids["postgres"])
    origin = time.perf_counter()
    previous_scrape, previous_counts = started, stream.counts()
    previous_server = await server_counters(engine)
    async with httpx.AsyncClient(timeout=10.0) as http:
        for number in range(1, round(args.minutes * 60 / args.window) + 1):
            window_end = origin + number * args.window
            largest: dict[str, int] = {}
            unanswered: dict[str, list[str]] = {}
            sampled, scrapes = previous_scrape, 0
            with CpuMeter(pids) as meter:
                while (left := window_end - time.perf_counter()) > 0:
                    await asyncio.sleep(min(args.sample, left))
                    if (died := dead_process(platform)) is not None:
                        return died
                    answer = await scrape(http, urls, parser)
                    scrapes += 1
                    sampled = sampled.updated_by(answer)
                    for service, failure in answer.unanswered.items():
                        unanswered.setdefault(service, []).append(failure)
                    for service, backlog in answer.backlog.items():
                        if backlog is not None:
                            largest[service] = max(largest.get(service, 0), backlog)
            postgres_kinds = await process_kinds(engine)
            server = await server_counters(engine)
            counts = stream.counts()
            done = {key: counts[key] - previous_counts[key] for key in counts}
            p50, p99, events = freshness_between(previous_scrape.freshness, sampled.freshness)
            windows.append(
                Window(
                    number=number,
                    seconds=args.window,
                    load_average=os.getloadavg()[0],
                    requests=done["requests"],
                    activities=done["activities"],
                    accepted=done["accepted"],
                    failed=done["failed"],
                    refused=done["refused"],
                    behind_schedule=done["behind_schedule"],
                    single_ms=_latency_ms(
                        stream.single.latencies[
                            previous_counts["single_latencies"] : counts["single_latencies"]
                        ]
                    ),
                    batch_ms=_latency_ms(
                        stream.batch.latencies[previous_counts["batch_latencies"] : counts["batch_latencies"]]
                    ),
                    freshness_ms=(p50, p99),
                    freshness_events=events,
                    backlog={service: largest.get(service, -1) for service in SERVICE_NAMES},
                    memory_mb=await asyncio.to_thread(memory_mb, pids),
                    cores=meter.cores,
                    postgres=await asyncio.to_thread(postgres.window, postgres_kinds, args.window),
                    parts=Parts.between(previous_scrape, sampled),
                    server=server.since(previous_server),
                    gc={
                        name: GcPauses.between(previous_scrape.gc_pauses.get(name, {}), pauses)
                        for name, pauses in sampled.gc_pauses.items()
                    },
                    unanswered=unanswered,
                    scrapes=scrapes,
                )
            )
            previous_server = server
            if tracking_statements:
                report.statement_windows.append((number, done["activities"], await statement_times(engine)))
            stage(f"window {number}: {done['activities']:,} activities, freshness p99 {p99:,.0f} ms")
            previous_scrape, previous_counts = sampled, counts
    return None


async def soak(platform: IsolatedPlatform, args: argparse.Namespace, report: SoakReport) -> None:
    """Set up a population, stream for the soak's length while watching, then drain and check."""
    urls = {name: platform.url(name) for name in SERVICE_NAMES}
    ledger = Ledger()
    engine = create_async_engine(
        platform.endpoints.database_admin_url or platform.endpoints.database_url,
        connect_args={"server_settings": {"application_name": "bench.soak"}},
    )
    bootstrap = platform.endpoints.kafka_bootstrap_servers
    parser = metrics_parser()
    try:
        async with service_clients(urls, connections=24, timeout=90.0) as clients:
            population = await set_up(
                clients,
                TokenMint(platform.settings),
                ledger,
                employees=args.employees,
                regions=args.regions,
                tickets=1,
                prefix="soak",
            )
        stage(f"{len(population.employees)} employees known to reporting; waiting until all is applied")
        if await settle(engine, bootstrap, timeout=args.settle_timeout) is None:
            report.violations.append("the set-up's events were not applied before the stream")
        async with httpx.AsyncClient(timeout=10.0) as http:
            started = await scrape(http, urls, parser)
        tracking_statements = await reset_statements(engine)
        upkeep_before = await upkeep_totals(engine)
        sessions_before = await sessions_so_far(engine)
        stream = Stream()
        stage(f"streaming {args.rate:,.0f} activities/s for {args.minutes:g} min")
        stream_started = time.perf_counter()
        stream_started_at = datetime.now(UTC)
        driving = asyncio.create_task(
            asyncio.wait_for(
                drive(urls["reporting"], population, ledger, stream, args),
                args.minutes * 60 + STRAGGLER_SECONDS,
            )
        )
        died = await watch(
            platform, urls, stream, started, report.windows, args, engine, report, tracking_statements, parser
        )
        if died is not None:
            driving.cancel()
            report.violations.append(f"stopped early: {died}")
        try:
            await driving
        except (TimeoutError, asyncio.CancelledError):
            if died is None:
                report.violations.append(
                    f"the stream was cut {STRAGGLER_SECONDS:.0f} s after its schedule's end "
                    "(requests not yet answered, or not yet sent: the client had fallen behind)"
                )
        report.stream_seconds = time.perf_counter() - stream_started
        if tracking_statements:
            report.statements = await read_statements(engine)
        report.upkeep = upkeep_between(upkeep_before, await upkeep_totals(engine))
        report.sessions = await sessions_so_far(engine) - sessions_before
        report.checkpoints = checkpoint_lines(
            platform.infrastructure.data_dir / "logs" / "postgres.log", stream_started_at
        )
        sent = stream.counts()["activities"]
        report.activities_after_windows = sent - sum(w.activities for w in report.windows)
        stage("stream over; waiting until every outbox is drained and every group's lag is zero")
        report.drained_in = await settle(engine, bootstrap, timeout=args.settle_timeout)
        async with httpx.AsyncClient(timeout=10.0) as http:
            ended = await scrape(http, urls, parser)
        p50, p99, _ = freshness_between(started.freshness, ended.freshness)
        report.freshness_ms = (p50, p99)
        stage(f"checking {len(ledger.activities):,} activities answered 2xx in reporting and scoring")
        verdict = Verdict()
        async with engine.connect() as connection:
            await check_databases(connection, ledger, verdict)
        report.checked = len(ledger.activities)
        report.lost, report.counted_twice = verdict.lost, verdict.counted_twice
        report.violations += verdict.violations
    finally:
        parser.shutdown()
        await engine.dispose()


def run(args: argparse.Namespace) -> SoakReport:
    """The soak on a platform of its own, removed afterwards (on SIGTERM too)."""
    exit_on_sigterm()
    if args.broker:
        os.environ["KINERJA_EMBEDDED_BROKER"] = args.broker
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    data_dir = Path(tempfile.mkdtemp(prefix="kinerja-soak-"))
    ensure_dev_signing_key(data_dir / "dev-jwt" / "private.pem")
    platform: IsolatedPlatform | None = None
    try:
        stage("starting PostgreSQL, Redis and the broker")
        platform = IsolatedPlatform(data_dir, PROCESS_NAMES, durable=True, track_statements=True)
        asyncio.run(ensure_topics(platform.endpoints.kafka_bootstrap_servers))
        stage(
            f"broker: {platform.infrastructure.broker.kind.value}; starting the services and the web process"
        )
        platform.services.start_all()
        platform.services.wait_healthy(timeout=180)
        stage(load_demo(data_dir=data_dir, ports=platform.services.ports).summary.splitlines()[0])
        report = SoakReport(
            broker=platform.infrastructure.broker.kind.value,
            rate=args.rate,
            window_seconds=args.window,
            employees=args.employees,
            batch=args.batch,
            single_share=args.single_share,
            machine=machine_line(),
        )
        asyncio.run(soak(platform, args, report))
        report.machine += f"; load average at the end {os.getloadavg()[0]:.2f}"
        return report
    except BaseException:
        write_log_tails(data_dir)
        raise
    finally:
        if platform is not None:
            platform.stop()
        remove_data(data_dir)


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``--quick`` sets only the sizes not given."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run at a low rate (a smoke test)")
    # (full size, --quick size) of each sized option, for parse_sized_options.
    sizes: dict[str, tuple[Any, Any]] = {
        "rate": (1000.0, 40.0),
        "minutes": (10.0, 20 / 60),
        "window": (60.0, 10.0),
        "sample": (SAMPLE_SECONDS, 2.0),
        "employees": (1000, 40),
        "regions": (4, 2),
    }
    parser.add_argument("--rate", type=float, help="activities per second")
    parser.add_argument("--minutes", type=float, help="length of the stream")
    parser.add_argument("--window", type=float, help="seconds per reported window")
    parser.add_argument("--sample", type=float, help="seconds between scrapes of /metrics")
    parser.add_argument("--employees", type=int, help="employees reporting")
    parser.add_argument("--regions", type=int, help="regions they are spread over")
    parser.add_argument(
        "--broker",
        choices=("kafka", "tansu"),
        help="the embedded broker (default: as `make up` chooses, Apache Kafka where Java and Maven are)",
    )
    parser.add_argument("--batch", type=int, default=10, help="activities per batch request")
    parser.add_argument(
        "--single-share", type=float, default=0.5, help="share of the activities sent one per request"
    )
    parser.add_argument("--duplicates", type=float, default=0.02, help="share of field-app retries")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight, per kind")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--settle-timeout", type=float, default=300.0, help="bound on draining, seconds")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    args = parse_sized_options(parser, sizes, argv)
    if not 0 <= args.single_share <= 1 or args.batch < 1 or args.window <= 0:
        parser.error("--single-share must be within 0..1, --batch and --window positive")
    return args


def main() -> None:
    args = options()
    report = run(args)
    print()
    print(render(report))
    if args.json is not None:
        verdict = [dataclasses.asdict(judgement) for judgement in judge(report)]
        args.json.write_text(json.dumps(dataclasses.asdict(report) | {"verdict": verdict}, indent=2))
    broken = report.violations or report.lost or report.counted_twice or report.drained_in is None
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
