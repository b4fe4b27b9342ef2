"""``kinerja chaos``: runs of load with processes killed on a seeded schedule, then the checks.

Each run starts a platform of its own as ``kinerja up`` does (embedded PostgreSQL, Redis and broker
on free ports in a temporary directory, the four services and the web process), builds a
population with ``kinerja simulate``'s set-up, poisons a few events on purpose, drives every
service while faults are injected, lets the platform settle and checks it (``kinerja.chaos.checks``).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kinerja.chaos.backbone import poison
from kinerja.chaos.checks import Verdict, check_run
from kinerja.chaos.faults import TARGETS, InjectedFault, inject, restart_the_fallen, schedule
from kinerja.isolated import IsolatedPlatform, remove_data
from kinerja.processes import exit_on_sigterm, run_coroutine
from kinerja.services import PROCESS_NAMES, SERVICE_NAMES
from kinerja.simulate import (
    DEFAULT_MIX,
    Ledger,
    MixedLoad,
    MixedOutcome,
    TokenMint,
    send_what_is_left,
    service_clients,
    set_up,
    stream_mixed,
)
from shared.auth import ensure_dev_signing_key
from shared.messaging.kafka import ensure_topics

#: Seconds a client waits for an answer: during the set-up, and under load (then a field app gives
#: up and sends again later).
SET_UP_TIMEOUT = 90.0
REQUEST_TIMEOUT = 15.0


@dataclass
class CampaignOptions:
    """How many runs, how long and how hard each is, and which faults it injects."""

    runs: int = 1
    seed: int = 1
    duration: float = 75.0
    rate: float = 25.0
    faults: int = 4
    targets: tuple[str, ...] = TARGETS
    employees: int = 48
    regions: int = 2
    poison: int = 3
    replicas: int = 1
    concurrency: int = 32
    settle_timeout: float = 180.0
    keep_failed: bool = False


@dataclass
class RunReport:
    """One run: the faults as injected, what was answered, and the checks' verdict."""

    run: int
    faults: list[InjectedFault] = field(default_factory=list)
    answered: int = 0
    writes: int = 0
    verdict: Verdict = field(default_factory=Verdict)
    seconds: float = 0.0
    outcome: MixedOutcome | None = None

    @property
    def ok(self) -> bool:
        return not self.verdict.violations


async def _drive(
    platform: IsolatedPlatform, run: int, options: CampaignOptions, report: RunReport
) -> tuple[Ledger, set[str]]:
    """Set up a population, poison a few events, and load every service while faults are injected."""
    ledger = Ledger()
    urls = {name: platform.url(name) for name in SERVICE_NAMES}
    mint = TokenMint(platform.settings)
    # No fault is injected during the set-up, but a loaded machine may answer a fresh process's
    # first requests slowly: a timeout there would end the run before its load.
    async with service_clients(urls, connections=options.concurrency, timeout=SET_UP_TIMEOUT) as clients:
        population = await set_up(
            clients,
            mint,
            ledger,
            employees=options.employees,
            regions=options.regions,
            tickets=math.ceil(options.rate * options.duration * DEFAULT_MIX["survey"] * 1.5),
            prefix=f"chaos{run}",
        )
    async with service_clients(urls, connections=options.concurrency, timeout=REQUEST_TIMEOUT) as clients:
        poisoned = await poison(platform.endpoints.kafka_bootstrap_servers, options.poison)
        print(
            f"  run {run}: {len(population.employees)} employees known to every service; load starts",
            flush=True,
        )
        load = MixedLoad(clients, population, ledger, seed=options.seed * 1000 + run)
        plan = schedule(
            options.seed, run, faults=options.faults, duration=options.duration, targets=options.targets
        )
        started = time.monotonic()

        async def inject_in_turn() -> None:
            for fault in plan:
                await asyncio.sleep(max(0.0, started + fault.at - time.monotonic()))
                report.faults.append(await asyncio.to_thread(inject, platform, fault))
                print(
                    f"  run {run}: killed {fault.target} at {fault.at:.0f}s, ready again after "
                    f"{report.faults[-1].recovered_in:.1f}s",
                    flush=True,
                )

        outcome, _ = await asyncio.gather(
            stream_mixed(load, rate=options.rate, duration=options.duration, concurrency=options.concurrency),
            inject_in_turn(),
        )
        await send_what_is_left(load, timeout=120.0)
    report.outcome = outcome
    return ledger, poisoned


def campaign_platform(data_dir: Path, *, replicas: int) -> IsolatedPlatform:
    """The platform of one run: its servers started, the service processes not yet.

    PostgreSQL keeps ``kinerja up``'s durable settings: the tests' fast ones (no fsync, asynchronous
    commits) acknowledge a commit before its WAL is written, and a SIGKILL then loses it.
    """
    return IsolatedPlatform(data_dir, PROCESS_NAMES, replicas=replicas, durable=True)


def run_once(run: int, options: CampaignOptions) -> RunReport:
    """One run on a platform of its own, from its start to its checks; the platform is removed after."""
    report = RunReport(run)
    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix=f"kinerja-chaos-{run}-"))
    ensure_dev_signing_key(data_dir / "dev-jwt" / "private.pem")
    platform: IsolatedPlatform | None = None
    try:
        platform = campaign_platform(data_dir, replicas=options.replicas)
        run_coroutine(ensure_topics(platform.endpoints.kafka_bootstrap_servers))
        platform.services.start_all()
        platform.services.wait_healthy(timeout=180)
        print(f"  run {run}: platform ready after {time.monotonic() - started:.0f}s", flush=True)
        ledger, poisoned = asyncio.run(_drive(platform, run, options, report))
        report.answered = sum(ledger.answered.values())
        report.writes = ledger.writes
        for injected in report.faults:
            if injected.casualties:
                report.verdict.violations.append(
                    f"killing {injected.fault.target} also ended {', '.join(injected.casualties)}"
                )
        fallen = restart_the_fallen(platform)
        if fallen:
            report.verdict.violations.append(
                f"ended after the load without being killed: {', '.join(fallen)}"
            )
        print(
            f"  run {run}: load over after {time.monotonic() - started:.0f}s; settling and checking",
            flush=True,
        )
        checked = asyncio.run(
            check_run(platform.endpoints, ledger, poisoned, settle_timeout=options.settle_timeout)
        )
        report.verdict.violations += checked.violations
        report.verdict.lost, report.verdict.counted_twice = checked.lost, checked.counted_twice
        report.verdict.settled_in = checked.settled_in
    except Exception as error:
        report.verdict.violations.append(f"run {run} broke: {error!r}\n{traceback.format_exc(limit=4)}")
    finally:
        if platform is not None:
            platform.stop()
        if report.ok or not options.keep_failed:
            remove_data(data_dir)
        else:
            print(f"  run {run}: its data and logs are kept in {data_dir}")
    report.seconds = time.monotonic() - started
    return report


def nearest_rank(values: list[float], fraction: float) -> float:
    """A percentile by nearest rank (nan for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def render(reports: list[RunReport]) -> str:
    """The campaign's table: a row per run, then the totals."""
    lines = [
        f"{'run':>4} {'faults injected':44} {'2xx':>6} {'writes':>6} {'lost':>5} {'twice':>5} "
        f"{'recover p50/max s':>18} {'settled s':>9} {'run s':>6}  verdict"
    ]
    for report in reports:
        recovered = [f.recovered_in for f in report.faults]
        lines.append(
            f"{report.run:>4} {', '.join(f.fault.target for f in report.faults):44} {report.answered:>6} "
            f"{report.writes:>6} {report.verdict.lost:>5} {report.verdict.counted_twice:>5} "
            f"{nearest_rank(recovered, 0.5):>8.1f}/{max(recovered, default=math.nan):<9.1f} "
            f"{report.verdict.settled_in or math.nan:>9.1f} {report.seconds:>6.0f}  "
            f"{'ok' if report.ok else 'VIOLATED'}"
        )
    kinds = Counter(f.fault.target for report in reports for f in report.faults)
    recovered = [f.recovered_in for report in reports for f in report.faults]
    lines += [
        "",
        f"runs: {len(reports)} ({sum(r.ok for r in reports)} without violation)",
        "faults injected per kind: " + ", ".join(f"{kind} {kinds[kind]}" for kind in TARGETS if kinds[kind]),
        f"requests answered 2xx: {sum(r.answered for r in reports)} "
        f"(distinct writes checked: {sum(r.writes for r in reports)})",
        f"lost: {sum(r.verdict.lost for r in reports)}",
        f"counted twice: {sum(r.verdict.counted_twice for r in reports)}",
        f"time to recover: p50 {nearest_rank(recovered, 0.5):.1f}s, p99 {nearest_rank(recovered, 0.99):.1f}s "
        f"over {len(recovered)} faults",
    ]
    for report in reports:
        for violation in report.verdict.violations:
            lines.append(f"run {report.run}: {violation}")
    return "\n".join(lines)


def run_campaign(options: CampaignOptions) -> list[RunReport]:
    """Every run in turn, each printed as it ends (its platform stopped on SIGTERM too)."""
    exit_on_sigterm()
    reports: list[RunReport] = []
    for run in range(1, options.runs + 1):
        print(f"run {run}/{options.runs} (seed {options.seed})", flush=True)
        reports.append(run_once(run, options))
        print(render(reports[-1:]).split("\n\n")[0], flush=True)
        for violation in reports[-1].verdict.violations:  # at once: a long campaign may be cut short
            print(f"  run {run}: {violation}", flush=True)
    return reports


def _targets(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in chosen if name not in TARGETS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown target {', '.join(unknown)}; choose from {', '.join(TARGETS)}"
        )
    return chosen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kinerja chaos``."""
    defaults = CampaignOptions()
    parser.add_argument("--runs", type=int, default=defaults.runs, help="runs, each on a platform of its own")
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="seed of the fault schedule and the load"
    )
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds of load per run")
    parser.add_argument("--rate", type=float, default=defaults.rate, help="requests per second")
    parser.add_argument("--faults", type=int, default=defaults.faults, help="processes killed per run")
    parser.add_argument(
        "--targets",
        type=_targets,
        default=defaults.targets,
        help=f"comma-separated, of {', '.join(TARGETS)}; drawn at random (in turn when --faults of them)",
    )
    parser.add_argument("--employees", type=int, default=defaults.employees)
    parser.add_argument("--regions", type=int, default=defaults.regions)
    parser.add_argument(
        "--poison", type=int, default=defaults.poison, help="undecodable events published on purpose"
    )
    parser.add_argument("--replicas", type=int, default=defaults.replicas, help="processes of each service")
    parser.add_argument(
        "--settle-timeout", type=float, default=defaults.settle_timeout, help="bound on lag's return to zero"
    )
    parser.add_argument(
        "--keep-failed", action="store_true", help="keep the data and logs of a run with violations"
    )


def run(args: argparse.Namespace) -> int:
    """Entry point of ``kinerja chaos``: the table, and non-zero on any violation."""
    options = CampaignOptions(
        runs=args.runs,
        seed=args.seed,
        duration=args.duration,
        rate=args.rate,
        faults=args.faults,
        targets=args.targets,
        employees=args.employees,
        regions=args.regions,
        poison=args.poison,
        replicas=args.replicas,
        settle_timeout=args.settle_timeout,
        keep_failed=args.keep_failed,
    )
    started = time.monotonic()
    reports = run_campaign(options)
    print()
    print(render(reports))
    print(f"campaign: {time.monotonic() - started:.0f}s")
    return 0 if all(report.ok for report in reports) else 1
