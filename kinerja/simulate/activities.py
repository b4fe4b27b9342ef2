"""Activity reports: what field apps send, one by one or as offline batches, and what became of them.

Field apps retry on bad signal, so a share of the requests repeat an activity already sent (the API
answers them as duplicates). ``stream_activity`` sends only activities (the benchmarks measure
ingest with it); ``kinerja.simulate.mixed`` mixes them with the other services' traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Awaitable, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from kinerja.simulate.ledger import Ledger
from kinerja.simulate.outcome import Outcome
from kinerja.simulate.pacing import closed_loop, open_loop
from kinerja.simulate.population import SETUP_CONCURRENCY, Population, SimulatedEmployee
from kinerja.simulate.progress import NoProgress, Progress
from shared.region_time import region_now
from shared.time_ordered_ids import uuid7

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
        # The region's own clock: reporting reads the plan's year in the offset the moment is sent with.
        now = now or region_now(employee.timezone)
        start_of_year = datetime(now.year, 1, 1, tzinfo=now.tzinfo)
        occurred = max(now - timedelta(minutes=pick.randint(1, 8 * 60)), start_of_year)
        latitude, longitude = REGION_CENTRES.get(employee.region_key, (-6.2, 106.8))
        body: dict[str, Any] = {
            "activity_id": uuid7().hex,
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
        # The queue's moment, read once: a zone's clock costs ~1 µs a read more than UTC's did.
        now = region_now(employee.timezone)
        items = [self.activity(employee, now=now) for _ in range(size)]
        for index in range(size):
            if self._random.random() < self._duplicate_ratio and index > 0:
                items[index] = items[self._random.randrange(index)]
        return employee, items


class Submitter:
    """Sends activities to the reporting API and tallies what became of them.

    With a ledger, every activity answered 2xx is recorded in it by id. Each call returns whether
    the request went unanswered (a transport error or a 5xx), so a field app's queue can resend it.
    """

    def __init__(self, reporting: httpx.AsyncClient, outcome: Outcome, ledger: Ledger | None = None) -> None:
        self._http = reporting
        self._outcome = outcome
        self._ledger = ledger

    async def single(self, employee: SimulatedEmployee, body: dict[str, Any], scheduled: float) -> bool:
        """Submit one activity; latency counts from when it was due, so queueing is not hidden."""
        outcome = self._outcome
        try:
            response = await self._http.post(
                "/v1/activities",
                **json_request(body, employee.headers),
            )
        except httpx.HTTPError as exc:
            outcome.failed += 1
            outcome.rejections[f"transport:{type(exc).__name__}"] += 1
            return True
        finally:
            outcome.requests += 1
        outcome.latencies.append(time.perf_counter() - scheduled)
        if response.status_code in (200, 201):
            if response.status_code == 201:
                outcome.accepted += 1
            else:
                outcome.duplicates += 1
            self._record(employee, body, "activity")
        elif response.status_code < 500:
            outcome.rejected += 1
            outcome.rejections[error_code(response)] += 1
        else:
            outcome.failed += 1
            outcome.rejections[f"http_{response.status_code}"] += 1
            return True
        return False

    async def batch(self, employee: SimulatedEmployee, items: list[dict[str, Any]], scheduled: float) -> bool:
        """Submit an offline queue in one request; each item has its own outcome."""
        outcome = self._outcome
        try:
            response = await self._http.post(
                "/v1/activities/batch",
                **json_request({"items": items}, employee.headers),
            )
        except httpx.HTTPError as exc:
            outcome.failed += len(items)
            outcome.rejections[f"transport:{type(exc).__name__}"] += 1
            return True
        finally:
            outcome.requests += 1
        outcome.latencies.append(time.perf_counter() - scheduled)
        if response.status_code != 200:
            outcome.failed += len(items)
            outcome.rejections[f"http_{response.status_code}:{error_code(response)}"] += 1
            return response.status_code >= 500
        result = response.json()
        outcome.accepted += result["accepted"]
        outcome.duplicates += result["duplicates"]
        outcome.rejected += result["rejected"]
        for item in result["items"]:
            if item["outcome"] == "rejected":
                outcome.rejections[(item.get("error") or {}).get("code", "unknown")] += 1
            else:
                self._record(employee, items[item["index"]], None)
        if self._ledger is not None:
            self._ledger.answered["activity batch"] += 1
        return False

    def _record(self, employee: SimulatedEmployee, body: dict[str, Any], kind: str | None) -> None:
        if self._ledger is None:
            return
        self._ledger.activity(body["activity_id"], employee.region_id, employee.employee_id, body["quantity"])
        if kind is not None:
            self._ledger.answered[kind] += 1


def json_request(body: Any, headers: Mapping[str, str]) -> dict[str, Any]:
    """A JSON request's options for httpx: the body encoded by orjson and labelled as JSON."""
    return {"content": orjson.dumps(body), "headers": {**headers, "content-type": "application/json"}}


def error_code(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        return str(response.json()["error"]["code"])
    return f"http_{response.status_code}"


async def wait_until_reporting_accepts(
    reporting: httpx.AsyncClient,
    population: Population,
    *,
    timeout: float = 180.0,
    progress: Progress | None = None,
    ledger: Ledger | None = None,
) -> Outcome:
    """Report one activity per employee until reporting knows every plan (it learns them from events).

    These first activities are real reports; they are counted apart from the measured stream.
    """
    progress = progress or NoProgress()
    factory = ActivityFactory(population, duplicate_ratio=0.0)
    outcome = Outcome()
    submitter = Submitter(reporting, outcome, ledger)
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

    def one_request(scheduled: float) -> Awaitable[object]:
        if batch > 0:
            employee, items = factory.next_batch(batch)
            return submitter.batch(employee, items, scheduled)
        employee, body = factory.next_single()
        return submitter.single(employee, body, scheduled)

    started = time.perf_counter()
    if rate <= 0:
        progress.start("activities (max rate)", int(duration))
        await closed_loop(one_request, duration=duration, concurrency=concurrency, progress=progress)
    else:
        total_requests = max(1, round(rate * duration / per_request))
        progress.start("activities", total_requests * per_request)
        await open_loop(
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
