"""Traffic to all four services at once: activities single and batched, raters' verifications,
citizens' surveys and complaints, and scorecard reads, at a chosen rate of requests.

Clients behave as real ones do when the platform misbehaves: a field app keeps an activity (or its
offline batch) it got no answer for and sends it again later with the same id, a rater presses
"verify" again, a citizen resubmits a survey with the same ticket. Every write answered 2xx goes into
the ledger by its id, so a fault campaign can check that the platform kept each one exactly once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from kinerja.simulate.activities import ActivityFactory, Submitter, error_code, json_request
from kinerja.simulate.ledger import AnsweredSurvey, Ledger
from kinerja.simulate.outcome import Outcome
from kinerja.simulate.pacing import open_loop
from kinerja.simulate.population import Population, SimulatedEmployee, SimulatedUnit
from kinerja.simulate.progress import NoProgress, Progress
from services.feedback.domain.satisfaction import ServiceItem
from shared.region_time import region_now

#: Share of each kind of request in the mix (normalised); the rest of a phone's life is reads.
DEFAULT_MIX: dict[str, float] = {
    "activity": 0.50,
    "activity batch": 0.08,
    "verification": 0.17,
    "survey": 0.14,
    "complaint": 0.06,
    "scorecard read": 0.05,
}
#: A request that got no answer is tried again this many times at most (then the client gives up).
RETRIES = 5
SURVEY_ITEMS = tuple(item.value for item in ServiceItem)
COMPLAINTS = (
    "Antrean loket sangat panjang dan petugas tidak ada di tempat",
    "Berkas saya belum selesai padahal sudah lewat dari waktu yang dijanjikan",
    "Petugas meminta biaya tambahan yang tidak ada dalam ketentuan",
)


@dataclass
class MixedOutcome:
    """Per kind of request: answered 2xx, refused (4xx, by code), unanswered (transport or 5xx)."""

    answered: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)
    given_up: Counter[str] = field(default_factory=Counter)
    activities: Outcome = field(default_factory=Outcome)
    elapsed: float = 0.0

    def summary(self) -> str:
        kinds = sorted(set(self.answered) | set(self.unanswered) | set(self.refused))
        lines = [f"{'request':16} {'2xx':>7} {'4xx':>7} {'no answer':>10} {'given up':>9}"]
        for kind in kinds:
            refused = sum(n for key, n in self.refused.items() if key.startswith(f"{kind}:"))
            lines.append(
                f"{kind:16} {self.answered[kind]:>7} {refused:>7} {self.unanswered[kind]:>10} "
                f"{self.given_up[kind]:>9}"
            )
        if self.refused:
            lines.append("refusals: " + ", ".join(f"{k}={v}" for k, v in self.refused.most_common(8)))
        lines.append(self.activities.summary())
        return "\n".join(lines)


@dataclass
class Clients:
    """One HTTP client per service."""

    planning: httpx.AsyncClient
    reporting: httpx.AsyncClient
    scoring: httpx.AsyncClient
    feedback: httpx.AsyncClient


class MixedLoad:
    """Chooses each next request by the mix (seeded) and sends it; keeps what must be sent again."""

    def __init__(
        self,
        clients: Clients,
        population: Population,
        ledger: Ledger,
        *,
        mix: dict[str, float] | None = None,
        batch_size: tuple[int, int] = (5, 20),
        seed: int | None = None,
    ) -> None:
        self.clients = clients
        self.population = population
        self.ledger = ledger
        self.outcome = MixedOutcome()
        self.random = random.Random(seed)
        self.factory = ActivityFactory(population, duplicate_ratio=0.02, seed=seed)
        self.submitter = Submitter(clients.reporting, self.outcome.activities, ledger)
        chosen = mix or DEFAULT_MIX
        self.kinds = list(chosen)
        self.weights = [chosen[kind] for kind in self.kinds]
        self.batch_size = batch_size
        #: Activities accepted and not yet verified, oldest first, with who reported them.
        self.to_verify: deque[tuple[SimulatedEmployee, str]] = deque()
        #: Requests that got no answer, to send again: (kind, tries so far, what to send).
        self.resend: deque[tuple[str, int, Any]] = deque()

    def next_request(self) -> tuple[str, int, Any]:
        """A request to resend if one waits, else a new one of a kind drawn from the mix."""
        if self.resend:
            return self.resend.popleft()
        kind = self.random.choices(self.kinds, self.weights)[0]
        if kind == "verification" and not self.to_verify:
            kind = "activity"
        if kind == "survey" and not any(unit.tickets for unit in self.population.units):
            kind = "complaint"
        if kind in ("survey", "complaint") and not self.population.units:
            kind = "activity"
        if kind == "activity":
            return kind, 0, self.factory.next_single()
        if kind == "activity batch":
            return kind, 0, self.factory.next_batch(self.random.randint(*self.batch_size))
        if kind == "verification":
            return kind, 0, self.to_verify.popleft()
        if kind == "survey":
            unit = self.random.choice([unit for unit in self.population.units if unit.tickets])
            return kind, 0, (unit, unit.tickets.pop(), self._citizen())
        if kind == "complaint":
            return kind, 0, (self.random.choice(self.population.units), self._citizen())
        return kind, 0, self.random.choice(self.population.employees)

    def _citizen(self) -> dict[str, str]:
        """A citizen's phone: its own address (behind the web process, which forwards it) and device."""
        address = (
            f"10.{self.random.randrange(256)}.{self.random.randrange(256)}.{self.random.randrange(1, 255)}"
        )
        return {"X-Forwarded-For": address, "X-Device-Token": f"sim{self.random.getrandbits(64):016x}"}

    async def send(self, request: tuple[str, int, Any], scheduled: float) -> None:
        """Send one request; one that got no answer is queued again (up to RETRIES times)."""
        kind, tries, what = request
        answered_before = self.ledger.answered[kind]
        if kind == "activity":
            employee, body = what
            unanswered = await self.submitter.single(employee, body, scheduled)
            if not unanswered and body["activity_id"] in self.ledger.activities:
                self._may_verify(employee, body["activity_id"])
        elif kind == "activity batch":
            employee, items = what
            unanswered = await self.submitter.batch(employee, items, scheduled)
        elif kind == "verification":
            unanswered = await self._verify(*what)
        elif kind == "survey":
            unanswered = await self._survey(*what)
        elif kind == "complaint":
            unanswered = await self._complain(*what)
        else:
            unanswered = await self._read_scorecard(what)
        if unanswered:
            self.outcome.unanswered[kind] += 1
            if kind == "complaint" or kind == "scorecard read":
                return  # a citizen who saw an error files again as a new complaint; reads need no resend
            if tries + 1 < RETRIES:
                self.resend.append((kind, tries + 1, what))
            else:
                self.outcome.given_up[kind] += 1
        elif kind.startswith("activity") and self.ledger.answered[kind] > answered_before:
            self.outcome.answered[kind] += 1  # their refusals are counted by code in their Outcome

    def _may_verify(self, employee: SimulatedEmployee, activity_id: str) -> None:
        if activity_id not in self.ledger.verifications and self.random.random() < 0.5:
            self.to_verify.append((employee, activity_id))

    async def _call(
        self, kind: str, http: httpx.AsyncClient, method: str, path: str, **options: Any
    ) -> httpx.Response | None:
        """One request; None when it got no answer (transport error or 5xx)."""
        try:
            response = await http.request(method, path, **options)
        except httpx.HTTPError:
            return None
        if response.status_code >= 500:
            return None
        if response.status_code >= 300:
            self.outcome.refused[f"{kind}:{error_code(response)}"] += 1
        else:
            self.outcome.answered[kind] += 1
            self.ledger.answered[kind] += 1
        return response

    async def _verify(self, employee: SimulatedEmployee, activity_id: str) -> bool:
        response = await self._call(
            "verification",
            self.clients.reporting,
            "POST",
            f"/v1/activities/{activity_id}/verify",
            headers=employee.rater_headers,
        )
        if response is None:
            return True
        if response.is_success:
            self.ledger.verifications[activity_id] = employee.region_id
        return False

    async def _survey(self, unit: SimulatedUnit, ticket: str, citizen: dict[str, str]) -> bool:
        body = {
            "scores": {item: self.random.choice((2, 3, 3, 4, 4)) for item in SURVEY_ITEMS},
            "service_id": "loket-terpadu",
            "ticket": ticket,
        }
        response = await self._call(
            "survey",
            self.clients.feedback,
            "POST",
            f"/v1/public/regions/{unit.region_id}/units/{unit.unit_id}/survey-responses",
            **json_request(body, citizen),
        )
        if response is None:
            return True
        if response.is_success:
            receipt = response.json()
            self.ledger.surveys[receipt["response_id"]] = AnsweredSurvey(
                unit.region_id, unit.unit_id, receipt["period"]
            )
        return False

    async def _complain(self, unit: SimulatedUnit, citizen: dict[str, str]) -> bool:
        body = {"unit_id": unit.unit_id, "description": self.random.choice(COMPLAINTS)}
        response = await self._call(
            "complaint",
            self.clients.feedback,
            "POST",
            f"/v1/public/regions/{unit.region_id}/complaints",
            **json_request(body, citizen),
        )
        if response is None:
            return True
        if response.is_success:
            self.ledger.complaints[response.json()["tracking_code"]] = unit.region_id
        return False

    async def _read_scorecard(self, employee: SimulatedEmployee) -> bool:
        response = await self._call(
            "scorecard read",
            self.clients.scoring,
            "GET",
            f"/v1/employees/{employee.employee_id}/scorecard",
            params={"period": str(region_now(employee.timezone).year)},
            headers=employee.headers,
        )
        return response is None


async def stream_mixed(
    load: MixedLoad,
    *,
    rate: float,
    duration: float,
    concurrency: int = 32,
    progress: Progress | None = None,
) -> MixedOutcome:
    """Send ``rate`` requests per second for ``duration`` seconds, each drawn by ``load``."""
    progress = progress or NoProgress()
    total = max(1, round(rate * duration))
    progress.start("requests, all services", total)
    started = time.perf_counter()

    def one_request(scheduled: float) -> Any:
        return load.send(load.next_request(), scheduled)

    await open_loop(
        one_request,
        interval=1 / rate,
        total_requests=total,
        concurrency=concurrency,
        outcome=load.outcome.activities,
        progress=progress,
        per_request=1,
    )
    load.outcome.elapsed = load.outcome.activities.elapsed = time.perf_counter() - started
    progress.finish()
    return load.outcome


async def send_what_is_left(load: MixedLoad, *, timeout: float = 60.0) -> None:
    """After the stream: clients resend what got no answer until it does (or the timeout)."""
    deadline = time.monotonic() + timeout
    while load.resend and time.monotonic() < deadline:
        await load.send(load.resend.popleft(), time.perf_counter())
        await asyncio.sleep(0.05)
