"""``kinerja simulate``: a load generator streaming realistic activity reports into the reporting API.

It builds its own population through the planning API (regions, units, heads as raters, employees
with approved work plans, as the demo loader does), waits until reporting has learned every plan
from planning's events, then reports activities at a chosen rate, one by one as a connected field
app does, or in offline-sync batches. Field apps retry on bad signal, so a share of the requests
repeat an activity already sent (the API answers them as duplicates). At the end it prints the
accepted, duplicate, rejected and failed counts and the latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import sys
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import orjson

from kinerja import infra
from kinerja.demo import REGIONS, UNITS
from kinerja.services import DEFAULT_PORTS
from shared.auth import Role, ensure_dev_signing_key, mint_dev_token
from shared.settings import ServiceSettings

#: What people of each job type report in a day: (description templates, typical quantity range, obstacles).
ACTIVITY_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[int, int], tuple[str, ...]]] = {
    "school_supervisor": (
        (
            "Supervisi akademik di SD Negeri {n}: observasi kelas dan pembinaan guru",
            "Pendampingan penyusunan kurikulum operasional di SMP Negeri {n}",
            "Monitoring asesmen nasional di SD Negeri {n}",
        ),
        (1, 2),
        ("Jalan menuju sekolah rusak setelah hujan", "Kepala sekolah sedang dinas luar"),
    ),
    "id_card_registrar": (
        (
            "Perekaman dan penerbitan KTP-el di loket {n}",
            "Pelayanan jemput bola perekaman KTP-el di kelurahan {n}",
            "Pencetakan KTP-el yang sudah direkam, antrean loket {n}",
        ),
        (5, 40),
        ("Blangko KTP-el habis", "Jaringan SIAK terputus", "Alat perekam sidik jari rusak"),
    ),
    "front_office_clerk": (
        (
            "Penyelesaian berkas layanan perizinan di loket {n}",
            "Verifikasi kelengkapan berkas pemohon di loket {n}",
            "Penanganan pengaduan langsung warga di loket {n}",
        ),
        (3, 25),
        ("Berkas pemohon tidak lengkap", "Aplikasi layanan lambat"),
    ),
}
#: Roughly where each demo region lies, so reports carry plausible coordinates.
REGION_CENTRES = {
    "belawan": (3.78, 98.69),
    "gerunggang": (-2.13, 106.09),
    "medan": (3.59, 98.67),
    "wanggar": (-3.37, 135.50),
}
SETUP_CONCURRENCY = 24


@dataclass(frozen=True, slots=True)
class SimulatedEmployee:
    """One employee of the simulated population, with the indicator they report against."""

    employee_id: str
    region_id: str
    region_key: str
    job_type: str
    indicator_id: str
    headers: dict[str, str]


@dataclass
class Population:
    """The regions and employees a simulation reports for."""

    regions: list[str]
    employees: list[SimulatedEmployee]


@dataclass
class Outcome:
    """What a stream of submissions produced."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed: int = 0
    requests: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    behind_schedule: int = 0
    elapsed: float = 0.0

    @property
    def activities(self) -> int:
        """Activities sent, whatever became of them."""
        return self.accepted + self.duplicates + self.rejected + self.failed

    @property
    def throughput(self) -> float:
        """Activities sent per second of the run."""
        return self.activities / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        """A latency percentile in seconds (nearest rank)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]

    def summary(self) -> str:
        """A few lines for people."""
        lines = [
            f"activities: {self.activities} in {self.elapsed:.1f}s ({self.throughput:,.0f}/s) "
            f"over {self.requests} requests",
            f"  accepted {self.accepted}, duplicate {self.duplicates}, rejected {self.rejected}, "
            f"failed {self.failed}",
        ]
        if self.rejections:
            lines.append("  rejections: " + ", ".join(f"{k}={v}" for k, v in self.rejections.most_common()))
        if self.latencies:
            lines.append(
                "  latency ms: "
                + ", ".join(f"p{int(q * 100)}={self.percentile(q) * 1000:.1f}" for q in (0.5, 0.9, 0.99))
                + f", max={max(self.latencies) * 1000:.1f}"
            )
        if self.behind_schedule:
            lines.append(
                f"  {self.behind_schedule} requests waited for a free connection "
                "(the target rate was not met)"
            )
        return "\n".join(lines)


class Progress(Protocol):
    """A progress display: rich's bar when installed, else one carriage-return line."""

    def start(self, label: str, total: int) -> None: ...
    def advance(self, amount: int = 1) -> None: ...
    def finish(self) -> None: ...


class PlainProgress:
    """A single line rewritten in place (no dependency)."""

    def __init__(self) -> None:
        self._label, self._total, self._done, self._started, self._shown = "", 0, 0, 0.0, 0.0

    def start(self, label: str, total: int) -> None:
        self._label, self._total, self._done = label, total, 0
        self._started = self._shown = time.monotonic()

    def advance(self, amount: int = 1) -> None:
        self._done += amount
        now = time.monotonic()
        if now - self._shown >= 0.2 or self._done >= self._total:
            self._shown = now
            rate = self._done / max(now - self._started, 1e-9)
            share = self._done / self._total if self._total else 1.0
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self._label:<22} [{bar:<30}] {self._done}/{self._total} {rate:,.0f}/s ")
            sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


class RichProgress:
    """rich's progress bar, used when rich is installed in the environment."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            transient=False,
        )
        self._task: Any = None

    def start(self, label: str, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, amount: int = 1) -> None:
        self._bar.advance(self._task, amount)

    def finish(self) -> None:
        self._bar.stop()


class NoProgress:
    """No display at all (benchmarks print their own figures)."""

    def start(self, label: str, total: int) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None


def make_progress(enabled: bool = True) -> Progress:
    """The best progress display available."""
    if not enabled:
        return NoProgress()
    try:
        return RichProgress()
    except ImportError:
        return PlainProgress()


def nip_for(index: int) -> str:
    """A well-formed, per-region unique 18-digit NIP (birth date, appointment, sex, sequence)."""
    birth = date(1965, 1, 1) + timedelta(days=index // 999)
    appointment_year = birth.year + 22 + index % 10
    sex = 1 + index % 2
    return f"{birth:%Y%m%d}{appointment_year}{1 + index % 12:02d}{sex}{1 + index % 999:03d}"


def _split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as whole numbers allow."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class TokenMint:
    """Development tokens for the simulated users (signed with the platform's development key)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        ensure_dev_signing_key(settings.dev_signing_key_path)

    def headers(self, roles: list[Role], region: str | None, employee: str | None = None) -> dict[str, str]:
        """The Authorization header of a user."""
        token = mint_dev_token(
            self._settings,
            subject=employee or roles[0].value,
            roles=roles,
            region_id=region,
            employee_id=employee,
            ttl_seconds=12 * 3600,
        )
        return {"Authorization": f"Bearer {token}"}


async def _post(
    http: httpx.AsyncClient, path: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> Any:
    response = await http.post(path, json=body, headers=headers)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


async def build_population(
    planning: httpx.AsyncClient,
    mint: TokenMint,
    *,
    employees: int,
    regions: int,
    prefix: str = "sim",
    year: int | None = None,
    progress: Progress | None = None,
) -> Population:
    """Create regions, units, heads and employees with approved plans through the planning API."""
    year = year or datetime.now(UTC).year
    progress = progress or NoProgress()
    tag = uuid.uuid4().hex[:6]
    region_keys = list(REGIONS)
    people_per_region = _split(employees, regions)
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    population = Population(regions=[], employees=[])
    platform = mint.headers([Role.PLATFORM_ADMIN], None)
    progress.start("planning: people, plans", employees)

    async def onboard(
        region: str, key: str, unit_id: str, unit: tuple[Any, ...], head: str, index: int
    ) -> None:
        code, _, job_type, position, indicator, uom, target = unit
        employee_id = f"{region}-{code}-{index}"
        admin = mint.headers([Role.REGION_ADMIN], region)
        own = mint.headers([Role.EMPLOYEE], region, employee_id)
        quarters = _split(int(target), 4)
        async with gate:
            await _post(
                planning,
                "/v1/employees",
                {
                    "employee_id": employee_id,
                    "nip": nip_for(index),
                    "name": f"{position} {index}",
                    "unit_id": unit_id,
                    "position": position,
                    "job_type": job_type,
                    "supervisor_id": head,
                    "effective_from": f"{year}-01-01",
                },
                admin,
            )
            plan = await _post(
                planning,
                "/v1/work-plans",
                {
                    "year": year,
                    "results": [
                        {
                            "text": f"{indicator} sesuai standar pelayanan",
                            "indicators": [
                                {
                                    "name": indicator,
                                    "unit_of_measure": uom,
                                    "target": target,
                                    "period_targets": {f"{year}-Q{q + 1}": quarters[q] for q in range(4)},
                                }
                            ],
                        }
                    ],
                },
                own,
            )
            await _post(planning, f"/v1/work-plans/{plan['plan_id']}/submit", None, own)
            rater = mint.headers([Role.EMPLOYEE, Role.RATER], region, head)
            await _post(planning, f"/v1/work-plans/{plan['plan_id']}/approve", None, rater)
        population.employees.append(
            SimulatedEmployee(
                employee_id=employee_id,
                region_id=region,
                region_key=key,
                job_type=job_type,
                indicator_id=plan["results"][0]["indicators"][0]["indicator_id"],
                headers=own,
            )
        )
        progress.advance()

    jobs: list[Awaitable[None]] = []
    for number, people in enumerate(people_per_region):
        key = region_keys[number % len(region_keys)]
        region = f"{prefix}-{tag}-{key}" + (f"-{number}" if number >= len(region_keys) else "")
        name, timezone = REGIONS[key]
        await _post(
            planning, "/v1/regions", {"region_id": region, "name": name, "timezone": timezone}, platform
        )
        population.regions.append(region)
        admin = mint.headers([Role.REGION_ADMIN], region)
        index = 0
        for unit, staff in zip(UNITS, _split(people, len(UNITS)), strict=True):
            if staff == 0:
                continue
            code, unit_name = unit[0], unit[1]
            unit_id = (await _post(planning, "/v1/units", {"code": code, "name": unit_name}, admin))[
                "unit_id"
            ]
            head = f"{region}-{code}-kepala"
            index += 1
            await _post(
                planning,
                "/v1/employees",
                {
                    "employee_id": head,
                    "nip": nip_for(index),
                    "name": f"Kepala {unit_name}",
                    "unit_id": unit_id,
                    "position": f"Kepala {unit_name}",
                    "job_type": "head",
                    "effective_from": f"{year}-01-01",
                },
                admin,
            )
            for _ in range(staff):
                index += 1
                jobs.append(onboard(region, key, unit_id, unit, head, index))
    try:
        await asyncio.gather(*jobs)
    finally:
        progress.finish()
    return population


class ActivityFactory:
    """Realistic activity reports for a population, with field-app retries mixed in."""

    def __init__(self, population: Population, *, duplicate_ratio: float, seed: int | None = None) -> None:
        self._employees = population.employees
        self._random = random.Random(seed)
        self._duplicate_ratio = duplicate_ratio
        self._recent: deque[tuple[SimulatedEmployee, dict[str, Any]]] = deque(maxlen=500)

    def activity(self, employee: SimulatedEmployee, *, now: datetime | None = None) -> dict[str, Any]:
        """One new report of what this employee did earlier today."""
        pick = self._random
        templates, (low, high), obstacles = ACTIVITY_TEMPLATES.get(
            employee.job_type, ACTIVITY_TEMPLATES["front_office_clerk"]
        )
        now = now or datetime.now(UTC)
        start_of_year = datetime(now.year, 1, 1, tzinfo=UTC)
        occurred = max(now - timedelta(minutes=pick.randint(1, 8 * 60)), start_of_year)
        latitude, longitude = REGION_CENTRES.get(employee.region_key, (-6.2, 106.8))
        body: dict[str, Any] = {
            "activity_id": uuid.uuid4().hex,
            "indicator_id": employee.indicator_id,
            "occurred_at": occurred.isoformat(),
            "quantity": pick.randint(low, high),
            "description": pick.choice(templates).format(n=pick.randint(1, 60)),
            "latitude": round(latitude + pick.uniform(-0.05, 0.05), 5),
            "longitude": round(longitude + pick.uniform(-0.05, 0.05), 5),
        }
        if pick.random() < 0.15:
            body["obstacles"] = pick.choice(obstacles)
        return body

    def next_single(self) -> tuple[SimulatedEmployee, dict[str, Any]]:
        """The next single submission: usually new, sometimes a retry of one already sent."""
        if self._recent and self._random.random() < self._duplicate_ratio:
            return self._random.choice(self._recent)
        employee = self._random.choice(self._employees)
        sent = (employee, self.activity(employee))
        self._recent.append(sent)
        return sent

    def next_batch(self, size: int) -> tuple[SimulatedEmployee, list[dict[str, Any]]]:
        """One phone's offline queue: ``size`` activities of one employee, a few already sent."""
        employee = self._random.choice(self._employees)
        items = [self.activity(employee) for _ in range(size)]
        for index in range(size):
            if self._random.random() < self._duplicate_ratio and index > 0:
                items[index] = items[self._random.randrange(index)]
        return employee, items


class Submitter:
    """Sends activities to the reporting API and tallies what became of them."""

    def __init__(self, reporting: httpx.AsyncClient, outcome: Outcome) -> None:
        self._http = reporting
        self._outcome = outcome

    async def single(self, employee: SimulatedEmployee, body: dict[str, Any], scheduled: float) -> None:
        """Submit one activity; latency counts from when it was due, so queueing is not hidden."""
        outcome = self._outcome
        try:
            response = await self._http.post(
                "/v1/activities",
                content=orjson.dumps(body),
                headers=employee.headers | {"content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            outcome.failed += 1
            outcome.rejections[f"transport:{type(exc).__name__}"] += 1
            return
        finally:
            outcome.requests += 1
        outcome.latencies.append(time.perf_counter() - scheduled)
        if response.status_code == 201:
            outcome.accepted += 1
        elif response.status_code == 200:
            outcome.duplicates += 1
        elif response.status_code < 500:
            outcome.rejected += 1
            outcome.rejections[_error_code(response)] += 1
        else:
            outcome.failed += 1
            outcome.rejections[f"http_{response.status_code}"] += 1

    async def batch(self, employee: SimulatedEmployee, items: list[dict[str, Any]], scheduled: float) -> None:
        """Submit an offline queue in one request; each item has its own outcome."""
        outcome = self._outcome
        try:
            response = await self._http.post(
                "/v1/activities/batch",
                content=orjson.dumps({"items": items}),
                headers=employee.headers | {"content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            outcome.failed += len(items)
            outcome.rejections[f"transport:{type(exc).__name__}"] += 1
            return
        finally:
            outcome.requests += 1
        outcome.latencies.append(time.perf_counter() - scheduled)
        if response.status_code != 200:
            outcome.failed += len(items)
            outcome.rejections[f"http_{response.status_code}:{_error_code(response)}"] += 1
            return
        result = response.json()
        outcome.accepted += result["accepted"]
        outcome.duplicates += result["duplicates"]
        outcome.rejected += result["rejected"]
        for item in result["items"]:
            if item["outcome"] == "rejected":
                outcome.rejections[(item.get("error") or {}).get("code", "unknown")] += 1


def _error_code(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        return str(response.json()["error"]["code"])
    return f"http_{response.status_code}"


async def wait_until_reporting_accepts(
    reporting: httpx.AsyncClient,
    population: Population,
    *,
    timeout: float = 180.0,
    progress: Progress | None = None,
) -> Outcome:
    """Report one activity per employee until reporting knows every plan (it learns them from events).

    These first activities are real reports; they are counted apart from the measured stream.
    """
    progress = progress or NoProgress()
    factory = ActivityFactory(population, duplicate_ratio=0.0)
    outcome = Outcome()
    submitter = Submitter(reporting, outcome)
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    progress.start("reporting: plans known", len(population.employees))

    async def first_report(employee: SimulatedEmployee) -> None:
        while True:
            before = outcome.accepted
            async with gate:
                await submitter.single(employee, factory.activity(employee), time.perf_counter())
            if outcome.accepted > before:
                progress.advance()
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"reporting did not accept {employee.employee_id}'s activities within {timeout:.0f}s "
                    f"(rejections so far: {dict(outcome.rejections)})"
                )
            await asyncio.sleep(0.5)

    try:
        await asyncio.gather(*(first_report(e) for e in population.employees))
    finally:
        progress.finish()
    outcome.elapsed = time.perf_counter() - started
    return outcome


async def stream_activity(
    reporting: httpx.AsyncClient,
    population: Population,
    *,
    rate: float,
    duration: float,
    batch: int = 0,
    concurrency: int = 64,
    duplicate_ratio: float = 0.02,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Report activities at ``rate`` per second for ``duration`` seconds (``rate`` 0: as fast as possible).

    With ``batch`` > 0 each request carries that many activities of one employee (offline sync).
    At most ``concurrency`` requests are in flight; when all are busy the generator waits and
    counts the request as behind schedule, so a missed rate is visible rather than hidden.
    """
    progress = progress or NoProgress()
    factory = ActivityFactory(population, duplicate_ratio=duplicate_ratio, seed=seed)
    outcome = Outcome()
    submitter = Submitter(reporting, outcome)
    per_request = max(batch, 1)

    def one_request(scheduled: float) -> Awaitable[None]:
        if batch > 0:
            employee, items = factory.next_batch(batch)
            return submitter.batch(employee, items, scheduled)
        employee, body = factory.next_single()
        return submitter.single(employee, body, scheduled)

    started = time.perf_counter()
    if rate <= 0:
        progress.start("activities (max rate)", int(duration))
        await _closed_loop(one_request, duration=duration, concurrency=concurrency, progress=progress)
    else:
        total_requests = max(1, round(rate * duration / per_request))
        progress.start("activities", total_requests * per_request)
        await _open_loop(
            one_request,
            interval=per_request / rate,
            total_requests=total_requests,
            concurrency=concurrency,
            outcome=outcome,
            progress=progress,
            per_request=per_request,
        )
    outcome.elapsed = time.perf_counter() - started
    progress.finish()
    return outcome


async def _open_loop(
    one_request: Callable[[float], Awaitable[None]],
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
    start = time.perf_counter()

    async def run(scheduled: float) -> None:
        try:
            await one_request(scheduled)
        finally:
            gate.release()
            progress.advance(per_request)

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


async def _closed_loop(
    one_request: Callable[[float], Awaitable[None]], *, duration: float, concurrency: int, progress: Progress
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


def client(base_url: str, *, connections: int) -> httpx.AsyncClient:
    """An HTTP client with a keep-alive connection pool sized for the run."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def _default_url(service: str, data_dir: Path) -> str:
    state = infra.read_state(data_dir) or {}
    port = state.get("ports", {}).get(service, DEFAULT_PORTS[service])
    return f"http://127.0.0.1:{port}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kinerja simulate``."""
    parser.add_argument(
        "--rate", type=float, default=200.0, help="activities per second (0: as fast as possible)"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of streaming")
    parser.add_argument("--employees", type=int, default=2000, help="employees to create and report for")
    parser.add_argument("--regions", type=int, default=4, help="regions to spread them over")
    parser.add_argument(
        "--batch", type=int, default=0, help="activities per request, offline-sync style (0: one per request)"
    )
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight at most")
    parser.add_argument("--duplicates", type=float, default=0.02, help="share of retried (duplicate) reports")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable stream")
    parser.add_argument("--planning-url", help="default: the running platform's planning service")
    parser.add_argument("--reporting-url", help="default: the running platform's reporting service")
    parser.add_argument("--prefix", default="sim", help="prefix of the simulated regions' ids")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


async def simulate(args: argparse.Namespace, settings: ServiceSettings) -> Outcome:
    """Set up a population, wait for reporting to know it, then stream activity."""
    data_dir = settings.data_dir
    planning_url = args.planning_url or _default_url("planning", data_dir)
    reporting_url = args.reporting_url or _default_url("reporting", data_dir)
    mint = TokenMint(settings)
    show = not args.no_progress
    async with client(planning_url, connections=SETUP_CONCURRENCY) as planning:
        population = await build_population(
            planning,
            mint,
            employees=args.employees,
            regions=args.regions,
            prefix=args.prefix,
            progress=make_progress(show),
        )
    print(f"population: {len(population.employees)} employees in regions {', '.join(population.regions)}")
    async with client(reporting_url, connections=max(args.concurrency, SETUP_CONCURRENCY)) as reporting:
        warm_up = await wait_until_reporting_accepts(reporting, population, progress=make_progress(show))
        print(f"reporting knows every plan ({warm_up.accepted} first reports in {warm_up.elapsed:.1f}s)")
        outcome = await stream_activity(
            reporting,
            population,
            rate=args.rate,
            duration=args.duration,
            batch=args.batch,
            concurrency=args.concurrency,
            duplicate_ratio=args.duplicates,
            seed=args.seed,
            progress=make_progress(show),
        )
    print(outcome.summary())
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
    return 1 if outcome.failed else 0


def percentiles(values: list[float], fractions: Iterator[float] | tuple[float, ...]) -> list[float]:
    """Nearest-rank percentiles of a list of numbers (for callers outside an Outcome)."""
    probe = Outcome(latencies=values)
    return [probe.percentile(f) for f in fractions]
