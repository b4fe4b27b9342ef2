"""Scoring reads: an employee's scorecard, a unit's and a region's dashboard, at the scale of a province.

Target (issue #6): p99 at most 50 ms for any read, with views over 100,000 employees and
10 million activities; issue #18 asks the dashboards for 0.3 of the baseline's throughput and p99
at most 10 ms at half of it. The scoring service runs as its own process (API only, one uvicorn
worker); its view tables are filled directly the way the consumer would leave them
(bench/scoring_reads_fill.py).

Measured with a lean keep-alive HTTP client (region-admin tokens, so the dashboard carries the
unit's full ranking), for random employees/units/regions and periods:
- throughput with many connections (closed loop);
- p50/p99 at a fixed request rate (open loop, latency from each request's scheduled start), half
  the service's measured throughput, so the figure is latency rather than queueing;
each beside a baseline measured in the same run: a bare FastAPI app (one worker, same uvicorn
settings) answering the same routes with the same response models, filled from responses the
service gave (so the JSON is the same size), without token, database or queries.

    .venv/bin/python -m bench.scoring_reads --quick          # 10,000 employees, 1M activities
    .venv/bin/python -m bench.scoring_reads                  # 100,000 employees, 10M activities
    .venv/bin/python -m bench.scoring_reads --quick --explain  # also EXPLAIN ANALYZE the reads' SQL

To measure the full size more than once without filling it each time (about 5 minutes), keep the
infrastructure running yourself, point ``KINERJA_DATABASE_URL``, ``KINERJA_DATABASE_ADMIN_URL``,
``KINERJA_KAFKA_BOOTSTRAP_SERVERS`` and ``KINERJA_REDIS_URL`` at it and pass ``--reuse-views``: the
first run fills, later runs find the views filled at that scale. ``--seed`` picks other employees
(rows no earlier run read, so not warm in any cache); ``--scorecard-only`` skips the dashboards.
"""

from __future__ import annotations

import argparse
import json
import pstats
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import make_url

from bench._cpu import CpuMeter
from bench._platform import (
    BenchPlatform,
    figure,
    machine_line,
    parse_sized_options,
    process_ids,
    run_on_platform,
    stage,
    start_baseline,
)
from bench._read_loops import Phase, closed_loop, open_loop
from bench.scoring_reads_bare import Request, collect_samples
from bench.scoring_reads_fill import EMPLOYEES_PER_UNIT, Scale, fill_views, filled_counts
from kinerja.simulate import TokenMint
from services.scoring.adapters.tables import WHOLE_UNIT
from services.scoring.service_layer.queries import dashboards, region_dashboards, scorecard_rows
from shared.auth import Role
from shared.region_reads import RegionCall
from shared.region_time import region_now

P99_TARGET_MS = 50.0

# --- reads ---------------------------------------------------------------------------------------


def request_makers(scale: Scale, mint: TokenMint, seed: int) -> dict[str, Callable[[], Request]]:
    """Random scorecard, unit and region dashboard requests, each as the region's HR administrator."""
    chooser = random.Random(seed)
    admins = {f"bench-r{r}": mint.headers([Role.REGION_ADMIN], f"bench-r{r}") for r in range(scale.regions)}
    periods = [*scale.quarters, str(scale.year)]

    def scorecard() -> Request:
        employee = chooser.randrange(scale.employees)
        region = scale.region_of_unit(scale.unit_of_employee(employee))
        period = chooser.choice(periods)
        return f"/v1/employees/e{employee}/scorecard?period={period}", admins[region]

    def dashboard() -> Request:
        unit = chooser.randrange(scale.units)
        period = chooser.choice(scale.quarters)
        return f"/v1/units/u{unit}/dashboard?period={period}", admins[scale.region_of_unit(unit)]

    def region_dashboard() -> Request:
        period = chooser.choice(scale.quarters)
        return f"/v1/region/dashboard?period={period}", admins[f"bench-r{chooser.randrange(scale.regions)}"]

    return {"scorecard": scorecard, "unit dashboard": dashboard, "region dashboard": region_dashboard}


# --- EXPLAIN ---------------------------------------------------------------------------------------


async def explain(platform: BenchPlatform, scale: Scale) -> list[str]:
    """The plans of the reads' statements, as the service runs them (analyzed), under row-level security."""
    region, quarter, year = "bench-r1", scale.quarters[1], scale.year
    employee, unit = f"e{EMPLOYEES_PER_UNIT + 5}", "u1"
    person = {"region_id": region, "employee_id": employee}
    reads: list[tuple[str, Any, dict[str, Any]]] = [
        (
            "scorecard of a quarter: summary, closed period, supervisor, assessment, latest decision, "
            "field visits, indicators with their progress, activities",
            scorecard_rows.scorecard_summary_statement(False),
            person | {"period": quarter, "year_key": str(year)},
        ),
        (
            "scorecard of the year: the same with the year's activities",
            scorecard_rows.scorecard_summary_statement(True),
            person | {"period": str(year), "year_key": str(year), "pattern": f"{year}%", "year": year},
        ),
        (
            "unit dashboard: the unit, its rollups of the year, satisfaction, breaches and rule sets",
            dashboards._UNIT_DASHBOARD,
            {
                "region_id": region,
                "unit_id": unit,
                "period": quarter,
                "year_keys": dashboards.keys_of_year(year),
                "year_pattern": f"{year}%",
                "everyone": True,  # an administrator's, as the benchmark reads it
                "rater_id": None,
            },
        ),
        (
            "region dashboard: units, their rollups, breaches, indices, rule sets and the trend",
            region_dashboards._REGION_DASHBOARD,
            {
                "region_id": region,
                "period": quarter,
                "year_pattern": f"{year}%",
                "whole_unit": WHOLE_UNIT,
                "year_keys": dashboards.keys_of_year(year),
            },
        ),
    ]
    # auto_explain (loaded by the administrator, then run as the service's role, so that row-level
    # security applies) shows each statement's plan as a notice, a dashboard function's own too.
    connection = await asyncpg.connect(
        make_url(platform.admin_database_url).set(drivername="postgresql").render_as_string(False),
        server_settings={"search_path": "scoring"},
    )
    notices: list[str] = []
    connection.add_log_listener(lambda _connection, message: notices.append(message.message))
    role = make_url(platform.endpoints.database_url).username or "postgres"
    lines: list[str] = []
    try:
        await connection.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;"
            " SET auto_explain.log_buffers = on; SET auto_explain.log_nested_statements = on;"
            " SET auto_explain.log_level = notice; SET ROLE " + '"' + role.replace('"', '""') + '"'
        )
        for what, statement, parameters in reads:
            inner = statement.statement if isinstance(statement, RegionCall) else statement
            sql = str(
                inner.params(parameters).compile(
                    # asyncpg's dialect, as the text runs on it: the default one (pyformat)
                    # would double every % ("smallint %% integer").
                    dialect=asyncpg_dialect.dialect(),  # type: ignore[no-untyped-call]
                    compile_kwargs={"literal_binds": True},
                )
            )
            async with connection.transaction(readonly=True):
                await connection.execute(f"SET LOCAL app.region_id = '{region}'")
                notices.clear()
                await connection.execute(sql)  # simple protocol: no row decoded, no type looked up
            lines.append(f"-- {what}")
            lines.extend(f"   {line}" for notice in notices for line in notice.splitlines())
    finally:
        await connection.close()
    return lines


# --- the run -------------------------------------------------------------------------------------


async def measure_route(
    route: str,
    make: Callable[[], Request],
    real_url: str,
    bare_url: str,
    args: argparse.Namespace,
    real_pids: dict[str, int],
    bare_pids: dict[str, int],
) -> list[str]:
    """Throughput and latency at a fixed rate for one route, service beside baseline."""

    async def metered(pids: dict[str, int], run: Callable[[], Awaitable[Phase]]) -> tuple[Phase, CpuMeter]:
        with CpuMeter(pids) as meter:
            phase = await run()
        return phase, meter

    stage(f"{route}: throughput with {args.connections} connections")
    bare_max, bare_max_cpu = await metered(
        bare_pids,
        lambda: closed_loop(bare_url, make, connections=args.connections, duration=args.duration),
    )
    real_max, real_max_cpu = await metered(
        real_pids,
        lambda: closed_loop(real_url, make, connections=args.connections, duration=args.duration),
    )
    rate = args.rate or max(1.0, round(0.5 * real_max.throughput))
    stage(f"{route}: latency at {rate:,.0f}/s")
    bare_lat, _ = await metered(
        bare_pids,
        lambda: open_loop(bare_url, make, rate=rate, duration=args.duration, connections=args.connections),
    )
    real_lat, real_lat_cpu = await metered(
        real_pids,
        lambda: open_loop(real_url, make, rate=rate, duration=args.duration, connections=args.connections),
    )
    size = sum(real_max.sizes) / max(1, len(real_max.sizes))
    bare_size = sum(bare_max.sizes) / max(1, len(bare_max.sizes))
    lines = [
        f"{route}: mean response {size / 1024:,.1f} KiB (baseline {bare_size / 1024:,.1f} KiB)",
        figure(
            f"{route}: throughput, {args.connections} connections",
            real_max.throughput,
            "reads/s",
            baseline=bare_max.throughput,
        ),
        figure(
            f"{route}: p50 at {args.connections} connections",
            real_max.percentile(0.5) * 1000,
            "ms",
            baseline=bare_max.percentile(0.5) * 1000,
        ),
        figure(
            f"{route}: p99 at {args.connections} connections",
            real_max.percentile(0.99) * 1000,
            "ms",
            baseline=bare_max.percentile(0.99) * 1000,
        ),
        f"    scoring: {real_max_cpu.line()}",
        f"    baseline: {bare_max_cpu.line()}",
        figure(
            f"{route}: p50 at {rate:,.0f}/s",
            real_lat.percentile(0.5) * 1000,
            "ms",
            baseline=bare_lat.percentile(0.5) * 1000,
        ),
        figure(
            f"{route}: p99 at {rate:,.0f}/s",
            real_lat.percentile(0.99) * 1000,
            "ms",
            target=f"<= {P99_TARGET_MS:.0f}",
            baseline=bare_lat.percentile(0.99) * 1000,
        ),
        f"    {real_lat.tail()} over {len(real_lat.latencies):,} reads (baseline {bare_lat.tail()})",
        f"    achieved {real_lat.throughput:,.0f}/s (baseline {bare_lat.throughput:,.0f}/s); "
        f"{real_lat_cpu.line()}",
    ]
    for name, phase in (("scoring", real_max), ("scoring", real_lat), ("baseline", bare_max)):
        if phase.errors:
            lines.append(f"    {name} errors: {phase.errors}; first: {phase.first_error}")
    return lines


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    scale = scale_of(args)
    profile = {"scoring"} if args.profile else set()
    services = platform.start_services({"scoring": "api"}, profile)
    stage(f"filling the views: {scale.employees:,} employees, {scale.units} units, {scale.regions} regions")
    started = time.perf_counter()
    counts = await filled_counts(platform) if args.reuse_views else {}
    if counts.get("employees") not in (None, 0, scale.employees):
        raise SystemExit(f"the views hold {counts['employees']:,} employees, not {scale.employees:,}")
    if counts.get("employees") != scale.employees:
        counts = await fill_views(platform, scale)
    else:
        stage("  reusing the views already filled (external database, --reuse-views)")
    fill_seconds = time.perf_counter() - started
    explained = await explain(platform, scale) if args.explain else []
    mint = TokenMint(platform.settings)
    makers = request_makers(scale, mint, seed=args.seed)
    real_url = services.url("scoring")
    stage("collecting sample responses for the baseline")
    samples = await collect_samples(real_url, request_makers(scale, mint, seed=args.seed - 4), 50)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as samples_file:
        json.dump(samples, samples_file)
    bare, bare_url = start_baseline("bench.scoring_reads_bare", samples_file.name)
    pids = process_ids(platform, services)
    real_pids = {name: pid for name, pid in pids.items() if name not in ("redis", "broker")}
    bare_pids = {"bench client": pids["bench client"], "bare api": bare.pid}
    lines: list[str] = []
    try:
        for route, make in makers.items():
            if route.split()[0] not in (["scorecard"] if args.scorecard_only else args.reads):
                continue
            lines += await measure_route(route, make, real_url, bare_url, args, real_pids, bare_pids)
    finally:
        bare.terminate()
        bare.wait(timeout=10)
        Path(samples_file.name).unlink(missing_ok=True)  # noqa: ASYNC240 - once, after measuring
    print()
    print(f"scoring reads benchmark — {machine_line()}")
    print(
        f"views: {counts['employees']:,} employees in {counts['units']:,} units of {scale.regions} regions, "
        f"{counts['contributions']:,} activities, {counts['indicator_progress']:,} progress rows, "
        f"{counts['employee_scores']:,} employee summaries (filled in {fill_seconds:.0f}s); "
        f"{args.duration:.0f}s per phase; one uvicorn worker each"
    )
    for line in lines:
        print(line)
    if explained:
        print()
        for line in explained:
            print(line)
    if args.profile:
        services.stop("scoring")
        print("\nscoring service, top functions by internal time:")
        pstats.Stats(str(services.profile_path("scoring"))).sort_stats("tottime").print_stats(25)
        print("\nscoring service, the project's own functions by cumulative time:")
        pstats.Stats(str(services.profile_path("scoring"))).sort_stats("cumtime").print_stats(
            r"/(services|shared)/", 25
        )


def scale_of(args: argparse.Namespace) -> Scale:
    """The views' size asked for (``add_scale_arguments``), in the regions' current year: the year
    scoring's pages default to, read in their zone (the fill registers them in WIB)."""
    return Scale(
        employees=args.employees,
        activities_per_employee=max(1, args.activities // args.employees),
        regions=args.regions,
        year=region_now("Asia/Jakarta").year,
    )


def add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    """The platform's size, the phases' length and the clients: shared by the reads' benches."""
    parser.add_argument("--quick", action="store_true", help="10,000 employees, 1M activities, 5 s phases")
    parser.add_argument("--employees", type=int, help="employees whose views are filled")
    parser.add_argument("--activities", type=int, help="activities in the views")
    parser.add_argument("--regions", type=int, default=5)
    parser.add_argument("--duration", type=float, help="seconds per phase")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients")


#: (full, --quick) of the scale options, for parse_sized_options.
SCALE_SIZES = {"employees": (100_000, 10_000), "activities": (10_000_000, 1_000_000), "duration": (20.0, 5.0)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_scale_arguments(parser)
    parser.add_argument("--rate", type=float, default=0.0, help="fixed rate (default: half the throughput)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the reads' SQL")
    parser.add_argument("--profile", action="store_true", help="run scoring under cProfile and print it")
    parser.add_argument(
        "--seed",
        type=int,
        default=7,
        help="picks the employees and units read (another seed reads other rows, cold with --reuse-views)",
    )
    parser.add_argument("--scorecard-only", action="store_true", help="measure the scorecard route only")
    parser.add_argument(
        "--reads",
        nargs="+",
        choices=["scorecard", "unit", "region"],
        default=["scorecard", "unit", "region"],
        help="which reads to measure (default: all three)",
    )
    parser.add_argument(
        "--reuse-views",
        action="store_true",
        help="with an external database (KINERJA_DATABASE_URL...), keep views already filled at this scale",
    )
    args = parse_sized_options(parser, SCALE_SIZES)
    run_on_platform(run, args)


if __name__ == "__main__":
    main()
