"""Scoring reads, options alternated on one filled platform: which setting reads faster, and at what memory.

``bench.scoring_reads --quick`` fills the views anew each run (about three minutes), so two settings
compared run by run meet different moments of a shared machine. This fills once, then starts the
scoring API (one uvicorn worker, API only, as ``bench.scoring_reads`` runs it) once per option and
round, options in turn (the order reversed every other round), and measures each read the same way:

- reads a second with 32 connections (closed loop), and p50/p99 at half of that (open loop);
- p50/p99 at each ``--rate`` given for the read, the same offered rate for every option (the
  half-throughput rate differs between options, and a p99 depends first on the rate offered);
- the CPU a read cost the scoring process and PostgreSQL at the fixed rate, and the load average;
- scoring's PostgreSQL backends: how many, their private memory outside the shared segment.

An option is ``NAME:VAR=VALUE[,VAR=VALUE...]``, environment given to the scoring process only
(``pool4:KINERJA_DATABASE_POOL_SIZE=4``), and ``TREE=/a/worktree`` runs that tree's code:

    .venv/bin/python -m bench.scoring_reads_pairs --quick --rounds 3 --reads region \\
        --option pool4:KINERJA_DATABASE_POOL_SIZE=4 --option pool10:KINERJA_DATABASE_POOL_SIZE=10 \\
        --rate region=700
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench._cpu import CpuMeter
from bench._platform import (
    BenchPlatform,
    BenchServices,
    parse_sized_options,
    run_on_platform,
    stage,
)
from bench._read_loops import Phase, closed_loop, open_loop
from bench._soak_postgres import postgres_memory_split
from bench.scoring_reads import SCALE_SIZES, add_scale_arguments, request_makers, scale_of
from bench.scoring_reads_fill import fill_views
from kinerja.simulate import TokenMint

ROUTES = {"scorecard": "scorecard", "unit": "unit dashboard", "region": "region dashboard"}


@dataclass(frozen=True)
class Option:
    """A setting to compare: environment of the scoring process."""

    name: str
    environment: dict[str, str]

    @classmethod
    def parse(cls, spelt: str) -> Option:
        name, _, assignments = spelt.partition(":")
        pairs = (item.split("=", 1) for item in assignments.split(",") if item)
        return cls(name, dict(pairs))


class TreeServices(BenchServices):
    """Service processes run from another worktree's code: ``python -m`` puts the working
    directory first on the path, ahead of ``PYTHONPATH``, so the tree is the directory they start in."""

    def __init__(self, platform: BenchPlatform, components: dict[str, str], tree: Path) -> None:
        super().__init__(platform.endpoints, platform.data_dir, components)
        self.tree = tree

    def start(self, name: str) -> None:
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        environment = self.environment(name) | {"KINERJA_LOG_LEVEL": "WARNING", "PYTHONPATH": str(self.tree)}
        command = [sys.executable, "-m", "kinerja.cli", "serve", name, "--components", self.components[name]]
        with log_path.open("ab") as log_file:
            self.processes[name] = subprocess.Popen(
                command,
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.tree,
            )


def _start_scoring(platform: BenchPlatform, option: Option) -> BenchServices:
    """The scoring API with the option's environment (its ``TREE``: the code it runs)."""
    environment = dict(option.environment)
    tree = environment.pop("TREE", None)
    saved = {variable: os.environ.get(variable) for variable in environment}
    os.environ.update(environment)
    try:
        if tree is None:
            return platform.start_services({"scoring": "api"})
        services = TreeServices(platform, {"scoring": "api"}, Path(tree))
        platform.services.append(services)
        services.start_all()
        services.wait_alive()
        return services
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


async def _scoring_backends(platform: BenchPlatform) -> list[int]:
    engine = create_async_engine(platform.admin_database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = 'scoring'")
            )
            return [row.pid for row in found]
    finally:
        await engine.dispose()


def _latency(phase: Phase) -> str:
    return (
        f"p50 {phase.percentile(0.5) * 1000:6.1f} p99 {phase.percentile(0.99) * 1000:7.1f} "
        f"p99.9 {phase.percentile(0.999) * 1000:7.1f} max {phase.percentile(1.0) * 1000:7.1f} ms"
    )


def _per_read(meter: CpuMeter, reads: int) -> str:
    scoring = meter.cpu_seconds.get("scoring", 0.0) / max(reads, 1) * 1000
    postgres = meter.cpu_seconds.get("postgres", 0.0) / max(reads, 1) * 1000
    return f"CPU a read: scoring {scoring:.2f} ms, postgres {postgres:.2f} ms"


async def measure_option(
    platform: BenchPlatform, option: Option, routes: list[str], rates: dict[str, list[float]], args: Any
) -> list[str]:
    """One start of the scoring API with the option's environment, every chosen read measured."""
    services = _start_scoring(platform, option)
    lines: list[str] = []
    try:
        url = services.url("scoring")
        pids = {"scoring": services.processes["scoring"].pid}
        if platform.embedded is not None:
            pids["postgres"] = platform.embedded.processes["postgres"].pid
        makers = request_makers(args.scale, args.mint, seed=args.seed)
        for route in routes:
            make = makers[ROUTES[route]]
            await closed_loop(url, make, connections=args.connections, duration=1.0)  # warm
            with CpuMeter(pids) as meter:
                most = await closed_loop(url, make, connections=args.connections, duration=args.duration)
            lines.append(
                f"  {option.name:<8} {ROUTES[route]:<17} {most.throughput:7,.0f} reads/s at "
                f"{args.connections} connections; {_per_read(meter, len(most.latencies))}; load {_load()}"
            )
            for rate in [round(0.5 * most.throughput), *rates.get(route, [])]:
                began = time.time()
                with CpuMeter(pids) as meter:
                    phase = await open_loop(
                        url, make, rate=rate, duration=args.duration, connections=args.connections
                    )
                errors = f"; errors {phase.errors}" if phase.errors else ""
                lines.append(
                    f"  {option.name:<8} {ROUTES[route]:<17} at {rate:5,.0f}/s "
                    f"(got {phase.throughput:5,.0f}): {_latency(phase)}; "
                    f"{_per_read(meter, len(phase.latencies))}; load {_load()}{errors} "
                    f"[{began:.1f}-{time.time():.1f}]"
                )
        backends = await _scoring_backends(platform)
        if platform.embedded is not None:
            split = postgres_memory_split(psutil.Process(platform.embedded.processes["postgres"].pid))
            sizes = sorted((split.private.get(pid, 0) / 2**20 for pid in backends), reverse=True)
            lines.append(
                f"  {option.name:<8} scoring's backends: {len(backends)}, private "
                f"{sum(sizes):.1f} MB ({', '.join(f'{size:.1f}' for size in sizes)})"
            )
    finally:
        services.stop_all()
        platform.services.remove(services)
    for line in lines:
        print(line, flush=True)
    return lines


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    args.scale = scale_of(args)
    args.mint = TokenMint(platform.settings)
    options = [Option.parse(spelt) for spelt in args.option]
    rates: dict[str, list[float]] = {}
    for spelt in args.rate:
        route, _, rate = spelt.partition("=")
        rates.setdefault(route, []).append(float(rate))
    # Migrations run at the first start: the views are filled after it.
    first = platform.start_services({"scoring": "api"})
    first.stop_all()
    platform.services.remove(first)
    stage(f"filling the views: {args.scale.employees:,} employees")
    await fill_views(platform, args.scale)
    everything: list[str] = []
    for number in range(args.rounds):
        order = options if number % 2 == 0 else options[::-1]
        for option in order:
            stage(f"round {number + 1}: {option.name}")
            print(f"round {number + 1}, {option.name}, {datetime.now(UTC):%H:%M:%S} UTC, load {_load()}")
            everything += await measure_option(platform, option, args.reads, rates, args)
            await asyncio.sleep(args.pause)
    print(f"\nscoring reads, options alternated — ended {time.strftime('%H:%M:%S', time.gmtime())} UTC")
    for line in everything:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_scale_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between starts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--option", action="append", required=True, help="NAME:VAR=VALUE[,VAR=VALUE]")
    parser.add_argument(
        "--rate", action="append", default=[], help="READ=RATE: also measure at this rate (repeatable)"
    )
    parser.add_argument("--reads", nargs="+", choices=sorted(ROUTES), default=["scorecard", "unit", "region"])
    args = parse_sized_options(parser, SCALE_SIZES)
    run_on_platform(run, args)


if __name__ == "__main__":
    main()
