"""The ``kinerja simulate`` command: its options, the set-up of a population, and the run."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from kinerja import infra
from kinerja.services import DEFAULT_PORTS, SERVICE_NAMES
from kinerja.simulate.activities import stream_activity, wait_until_reporting_accepts
from kinerja.simulate.ledger import Ledger
from kinerja.simulate.mixed import (
    DEFAULT_MIX,
    Clients,
    MixedLoad,
    MixedOutcome,
    send_what_is_left,
    stream_mixed,
)
from kinerja.simulate.outcome import Outcome
from kinerja.simulate.population import (
    SETUP_CONCURRENCY,
    Population,
    TokenMint,
    build_population,
    prepare_feedback,
)
from kinerja.simulate.progress import make_progress
from shared.settings import ServiceSettings


def client(base_url: str, *, connections: int, timeout: float = 30.0) -> httpx.AsyncClient:
    """An HTTP client with a keep-alive connection pool sized for the run."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


@contextlib.asynccontextmanager
async def service_clients(
    urls: dict[str, str], *, connections: int, timeout: float = 30.0
) -> AsyncIterator[Clients]:
    """One client per service, closed together."""
    async with contextlib.AsyncExitStack() as stack:
        made = {
            name: await stack.enter_async_context(
                client(urls[name], connections=connections, timeout=timeout)
            )
            for name in SERVICE_NAMES
        }
        yield Clients(**made)


async def set_up(
    clients: Clients,
    mint: TokenMint,
    ledger: Ledger,
    *,
    employees: int,
    regions: int,
    tickets: int,
    prefix: str = "sim",
    show_progress: bool = False,
) -> Population:
    """A population every service knows: planning holds it, reporting takes its activities,
    feedback has its units' services and tickets. The employees and first activities go in the ledger."""
    population = await build_population(
        clients.planning,
        mint,
        employees=employees,
        regions=regions,
        prefix=prefix,
        progress=make_progress(show_progress),
    )
    ledger.employees.update({e.employee_id: e.region_id for e in population.employees})
    ledger.answered["employee"] += len(population.employees)
    await wait_until_reporting_accepts(
        clients.reporting, population, progress=make_progress(show_progress), ledger=ledger
    )
    per_unit = math.ceil(tickets / max(len(population.units), 1))
    await prepare_feedback(clients.feedback, population, tickets_per_unit=max(per_unit, 1))
    return population


def _default_url(service: str, data_dir: Path) -> str:
    state = infra.read_state(data_dir) or {}
    port = state.get("ports", {}).get(service, DEFAULT_PORTS[service])
    return f"http://127.0.0.1:{port}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kinerja simulate``."""
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="requests per second (0: as fast as possible, activities only)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of streaming")
    parser.add_argument("--employees", type=int, default=2000, help="employees to create and report for")
    parser.add_argument("--regions", type=int, default=4, help="regions to spread them over")
    parser.add_argument(
        "--activities-only",
        action="store_true",
        help="only activity reports to reporting (the ingest benchmark's load), not every service",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="with --activities-only: activities per request (0: one per request)",
    )
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight at most")
    parser.add_argument("--duplicates", type=float, default=0.02, help="share of retried (duplicate) reports")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable stream")
    for service in SERVICE_NAMES:
        parser.add_argument(f"--{service}-url", help=f"default: the running platform's {service} service")
    parser.add_argument("--prefix", default="sim", help="prefix of the simulated regions' ids")
    parser.add_argument(
        "--ledger", type=Path, help="write every write answered 2xx, by id, to this JSON file"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


async def simulate(args: argparse.Namespace, settings: ServiceSettings) -> Outcome | MixedOutcome:
    """Set up a population every service knows, then stream requests (all services, or activities)."""
    urls = {
        name: getattr(args, f"{name}_url") or _default_url(name, settings.data_dir) for name in SERVICE_NAMES
    }
    mint = TokenMint(settings)
    show = not args.no_progress
    ledger = Ledger()
    connections = max(args.concurrency, SETUP_CONCURRENCY)
    async with service_clients(urls, connections=connections) as clients:
        # Enough tickets for the surveys of the mix, with a margin for the draw.
        tickets = (
            1 if args.activities_only else math.ceil(args.rate * args.duration * DEFAULT_MIX["survey"] * 1.5)
        )
        population = await set_up(
            clients,
            mint,
            ledger,
            employees=args.employees,
            regions=args.regions,
            tickets=tickets,
            prefix=args.prefix,
            show_progress=show,
        )
        print(f"population: {len(population.employees)} employees in regions {', '.join(population.regions)}")
        outcome: Outcome | MixedOutcome
        if args.activities_only or args.rate <= 0:
            outcome = await stream_activity(
                clients.reporting,
                population,
                rate=args.rate,
                duration=args.duration,
                batch=args.batch,
                concurrency=args.concurrency,
                duplicate_ratio=args.duplicates,
                seed=args.seed,
                progress=make_progress(show),
            )
        else:
            load = MixedLoad(clients, population, ledger, seed=args.seed)
            outcome = await stream_mixed(
                load,
                rate=args.rate,
                duration=args.duration,
                concurrency=args.concurrency,
                progress=make_progress(show),
            )
            await send_what_is_left(load)
    print(outcome.summary())
    if args.ledger is not None:
        ledger.write(args.ledger)
        print(f"ledger: {ledger.writes} writes answered 2xx, by id, in {args.ledger}")
    return outcome


def run(args: argparse.Namespace) -> int:
    """Entry point of ``kinerja simulate``; non-zero when requests failed (5xx or transport)."""
    if args.employees < 1 or args.regions < 1 or args.regions > args.employees:
        raise SystemExit("need at least one employee per region")
    settings = ServiceSettings(data_dir=infra.default_data_dir())
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    try:
        outcome = asyncio.run(simulate(args, settings))
    except httpx.ConnectError as exc:
        raise SystemExit(f"cannot reach the services ({exc}); start them with `make up`") from exc
    if isinstance(outcome, MixedOutcome):
        return 1 if sum(outcome.unanswered.values()) else 0
    return 1 if outcome.failed else 0
