"""More than one process of each service: two of each API (one listening socket), relay, consumer
(one consumer group) and deadline scheduler, beside one web process.

- Two scoring processes share the partitions; one is killed with SIGKILL in the middle of a stream
  and is not restarted: the other takes its partitions over, and every activity counts exactly
  once, the views equal to a recomputation from the raw events.
- Every process is replaced in turn (a rolling restart) while all four services and the web
  process are under load: no request fails, and every write answered 2xx is kept exactly once
  and reaches scoring.
- Two deadline schedulers emit each breach once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja.services import PROCESS_NAMES, SERVICE_NAMES
from kinerja.simulate import Ledger, MixedLoad, TokenMint, service_clients, set_up
from services.feedback.domain.tracking_code import normalise_tracking_code
from services.reporting.domain.activity import ActivityStatus as ReportedStatus
from services.scoring.domain.activity import ActivityStatus as ScoredStatus
from shared.db import ALL_REGIONS_SETTING
from tests.conftest import auth, new_region_id, wait_until
from tests.e2e.platform_support import (
    ActivityStream,
    IsolatedPlatform,
    group_members,
    groups_caught_up,
    isolated_platform,
    read_topic,
    send_all,
)
from tests.region_clock import year_in

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

#: Each service spells an activity's verified status its own way.
REPORTED_VERIFIED = f"WHERE activity_id = ANY(:keys) AND status = '{ReportedStatus.VERIFIED.value}'"
SCORED_VERIFIED = f"WHERE activity_id = ANY(:keys) AND status = '{ScoredStatus.VERIFIED.value}'"


@pytest.fixture(scope="module")
def two_of_each(tmp_path_factory: pytest.TempPathFactory, infrastructure: Any) -> Iterator[IsolatedPlatform]:
    with pytest.MonkeyPatch.context() as environment:
        # Feedback's deadline schedulers scan often, so that both race for each overdue complaint.
        environment.setenv("KINERJA_COMPLAINT_SCAN_INTERVAL_SECONDS", "0.5")
        with isolated_platform(tmp_path_factory, infrastructure, PROCESS_NAMES, replicas=2) as platform:
            yield platform


async def test_two_scoring_processes_share_the_partitions_and_one_takes_over_from_a_killed_one(
    two_of_each: IsolatedPlatform,
) -> None:
    platform = two_of_each
    platform.start("scoring", "scoring.2")
    bootstrap = platform.endpoints.kafka_bootstrap_servers

    async def both_hold_partitions() -> dict[str, int] | None:
        members = await group_members(bootstrap, "kinerja-scoring")
        return members if len(members) == 2 and all(members.values()) else None

    assert await wait_until(both_hold_partitions, timeout=90, interval=0.5)
    async with httpx.AsyncClient(timeout=5) as http:  # one port, whichever process answers
        for _ in range(4):
            assert (await http.get(platform.url("scoring", "/readyz"))).status_code == 200

    stream = ActivityStream.build(employees=8, activities=800)
    engine = create_async_engine(platform.settings.migration_database_url)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await send_all(producer, stream.plans)
        await send_all(producer, stream.activities[:400])

        async def partly_applied() -> bool:
            return bool(await stream.counted(engine))

        await wait_until(partly_applied, timeout=60, interval=0.02)
        platform.services.stop("scoring.2", kill=True)
        # What the killed process had fetched but not committed comes again, and so does the rest.
        await send_all(producer, stream.activities[400:])
        await send_all(producer, stream.activities[:400])

        async def settled() -> dict[str, tuple[Decimal, int]] | None:
            current = await stream.counted(engine)
            return current if current == stream.expected else None

        assert await wait_until(settled, timeout=150, interval=0.5) == stream.expected

        async def one_member_holds_all() -> dict[str, int] | None:
            members = await group_members(bootstrap, "kinerja-scoring")
            return members if len(members) == 1 else None

        assert await wait_until(one_member_holds_all, timeout=60, interval=0.5)
    finally:
        await producer.stop()
        await engine.dispose()


@dataclass
class BesideTheMix:
    """Requests the simulator's mix does not send, kept flowing until told to stop: planning's
    writes (regions, whose events every other service consumes) and the web process's pages."""

    platform: IsolatedPlatform
    until: asyncio.Event = field(default_factory=asyncio.Event)
    failures: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    front_pages: int = 0

    async def register_regions(self) -> None:
        admin = auth(self.platform.token("platform_admin"))
        async with httpx.AsyncClient(timeout=30) as http:
            while not self.until.is_set():
                region = new_region_id()
                body = {"region_id": region, "name": "Bergulir"}
                if await self._answered(
                    http.post(self.platform.url("planning", "/v1/regions"), json=body, headers=admin), 201
                ):
                    self.regions.append(region)

    async def read_front_page(self) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            while not self.until.is_set():
                if await self._answered(http.get(self.platform.url("web", "/")), 200):
                    self.front_pages += 1

    async def _answered(self, sending: Awaitable[httpx.Response], expected: int) -> bool:
        try:
            response = await sending
        except httpx.HTTPError as error:
            self.failures.append(repr(error))
            return False
        if response.status_code != expected:
            self.failures.append(f"{response.request.url}: {response.status_code} {response.text[:200]}")
        return response.status_code == expected


async def test_a_rolling_restart_under_load_loses_no_accepted_request_and_fails_none(
    two_of_each: IsolatedPlatform,
) -> None:
    """A process of every service (API, relay, consumer, deadline scheduler) and the web process
    is replaced, one at a time, while all of them keep receiving requests: the new process starts
    on the service's listening socket, then the old one stops (SIGTERM). It stops accepting,
    answers what it took, commits its offsets and sends its outbox's last events."""
    platform = two_of_each
    services = platform.services
    everything = [name for service in services.names for name in services.process_names(service)]
    platform.start(*everything)
    # One process of each service is replaced while its replica serves beside it: replacing the
    # second as well repeats the same hand-over and cost the suite about a minute on two cores.
    replaced = [services.process_names(service)[0] for service in services.names]
    ledger = Ledger()
    urls = {name: platform.url(name, "") for name in SERVICE_NAMES}
    async with service_clients(urls, connections=16) as clients:
        mint = TokenMint(platform.settings)
        population = await set_up(
            clients, mint, ledger, employees=8, regions=1, tickets=400, prefix="bergulir"
        )

        async def scoring_has_every_scorecard() -> bool:
            # Scoring learns the employees from events, a moment after set_up: a read before would
            # be a 404 that has nothing to do with the restarts.
            for employee in population.employees:
                path = f"/v1/employees/{employee.employee_id}/scorecard"
                year = {"period": str(year_in(employee.timezone))}  # as the mix reads it
                answer = await clients.scoring.get(path, params=year, headers=employee.headers)
                if answer.status_code != 200:
                    return False
            return True

        await wait_until(scoring_has_every_scorecard, timeout=120, interval=1)
        load = MixedLoad(clients, population, ledger, seed=15)
        beside = BesideTheMix(platform)

        async def keep_sending() -> None:
            while not beside.until.is_set():
                await load.send(load.next_request(), time.perf_counter())

        async def restart_one_at_a_time() -> None:
            try:
                for name in replaced:
                    await asyncio.sleep(0.5)
                    await asyncio.to_thread(services.restart, name)
                await asyncio.sleep(0.5)
            finally:
                beside.until.set()

        await asyncio.gather(
            restart_one_at_a_time(),
            beside.register_regions(),
            beside.read_front_page(),
            *(keep_sending() for _ in range(8)),
        )
    outcome = load.outcome
    regions = beside.regions
    log.info(
        "under load: %s\nregions %d, front pages %d", outcome.summary(), len(regions), beside.front_pages
    )
    # Every request answered, as it would have been without the restarts.
    assert not outcome.unanswered, outcome.summary()
    # The one refusal the mix provokes itself: a retried report queued for verification twice.
    assert set(outcome.refused) <= {"verification:cannot_verify"}, outcome.summary()
    assert not beside.failures, beside.failures[:5]
    assert min(len(regions), beside.front_pages, len(ledger.complaints), len(ledger.surveys)) > 5, (
        outcome.summary()
    )
    assert outcome.answered["scorecard read"] > 5, outcome.summary()

    engine = create_async_engine(platform.settings.migration_database_url)

    async def rows(query: str, keys: list[str]) -> Counter[str]:
        """How many rows hold each of ``keys`` (every region's rows are visible to this query)."""
        async with engine.begin() as connection:
            await connection.execute(text(f"SELECT set_config('{ALL_REGIONS_SETTING}', 'on', true)"))
            return Counter(row[0] for row in await connection.execute(text(query), {"keys": keys}))

    def once_each(keys: list[str]) -> Counter[str]:
        return Counter(dict.fromkeys(keys, 1))

    activities = list(ledger.activities)
    verified = list(ledger.verifications)

    async def not_yet_in_scoring() -> dict[str, int]:
        """How many regions, activities and verifications scoring lacks (or holds twice)."""
        counted = {
            "regions": (
                await rows(
                    "SELECT region_id FROM scoring.region_settings WHERE region_id = ANY(:keys)", regions
                ),
                regions,
            ),
            "activities": (
                await rows(
                    "SELECT activity_id FROM scoring.contributions WHERE activity_id = ANY(:keys)", activities
                ),
                activities,
            ),
            "verifications": (
                await rows(f"SELECT activity_id FROM scoring.contributions {SCORED_VERIFIED}", verified),
                verified,
            ),
        }
        return {
            name: len(keys) - sum(found.values())
            for name, (found, keys) in counted.items()
            if found != once_each(keys)
        }

    async def scoring_has_every_event() -> bool:
        return not await not_yet_in_scoring()

    async def every_outbox_sent() -> bool:
        async with engine.begin() as connection:
            return not any(
                [
                    await connection.scalar(
                        text(f"SELECT count(*) FROM {name}.outbox WHERE published_at IS NULL")
                    )
                    for name in SERVICE_NAMES
                ]
            )

    try:
        # Every write answered 2xx is in its service's database exactly once ...
        assert await rows(
            "SELECT region_id FROM planning.regions WHERE region_id = ANY(:keys)", regions
        ) == once_each(regions)
        assert await rows(
            "SELECT activity_id FROM reporting.activities WHERE activity_id = ANY(:keys)", activities
        ) == once_each(activities)
        assert await rows(f"SELECT activity_id FROM reporting.activities {REPORTED_VERIFIED}", verified) == (
            once_each(verified)
        )
        complaints = [normalise_tracking_code(code) for code in ledger.complaints]
        assert await rows(
            "SELECT tracking_code FROM feedback.complaints WHERE tracking_code = ANY(:keys)", complaints
        ) == once_each(complaints)
        surveys = list(ledger.surveys)
        assert await rows(
            "SELECT response_id FROM feedback.survey_responses WHERE response_id = ANY(:keys)", surveys
        ) == once_each(surveys)
        # ... its events left the outboxes and reached scoring, each counted once ...
        await wait_until(every_outbox_sent, timeout=60, interval=0.5)
        with contextlib.suppress(AssertionError):
            await wait_until(scoring_has_every_event, timeout=180, interval=1)
        assert await not_yet_in_scoring() == {}
        # ... and every consumer group committed what it applied.
        assert await wait_until(
            lambda: groups_caught_up(platform.endpoints.kafka_bootstrap_servers), timeout=60, interval=1
        )
    finally:
        await engine.dispose()


async def test_two_feedback_processes_emit_each_deadline_breach_once(two_of_each: IsolatedPlatform) -> None:
    """Both feedback processes run the deadline scheduler (scanning twice a second here): each
    complaint whose deadline passed is emitted once, reaches scoring once, and is on the topic once."""
    platform = two_of_each
    platform.start("planning", "feedback", "feedback.2", "scoring")
    ledger = Ledger()
    urls = {name: platform.url(name, "") for name in SERVICE_NAMES}
    async with service_clients(urls, connections=8) as clients:
        population = await set_up(
            clients, TokenMint(platform.settings), ledger, employees=1, regions=1, tickets=1, prefix="tenggat"
        )
        [unit] = population.units
        codes = []
        for n in range(30):
            filed = await clients.feedback.post(
                f"/v1/public/regions/{unit.region_id}/complaints",
                json={
                    "unit_id": unit.unit_id,
                    "description": "Berkas belum selesai padahal sudah lewat waktu.",
                },
                headers={"X-Forwarded-For": f"10.0.0.{n + 1}"},
            )
            assert filed.status_code == 201, filed.text
            codes.append(normalise_tracking_code(filed.json()["tracking_code"]))
    engine = create_async_engine(platform.settings.migration_database_url)

    async def all_regions(query: str, **values: Any) -> list[Any]:
        async with engine.begin() as connection:
            await connection.execute(text(f"SELECT set_config('{ALL_REGIONS_SETTING}', 'on', true)"))
            return list((await connection.execute(text(query), values)).scalars())

    try:
        complaint_ids = await all_regions(
            "UPDATE feedback.complaints SET due_at = now() - interval '1 minute' "
            "WHERE tracking_code = ANY(:codes) RETURNING complaint_id",
            codes=codes,
        )
        assert len(complaint_ids) == len(codes)

        async def scoring_counted_each_breach() -> list[Any] | None:
            breached = await all_regions(
                "SELECT complaint_id FROM scoring.complaint_breaches WHERE complaint_id = ANY(:ids)",
                ids=complaint_ids,
            )
            return breached if sorted(breached) == sorted(complaint_ids) else None

        await wait_until(scoring_counted_each_breach, timeout=90, interval=0.5)
        recorded = await all_regions(
            "SELECT complaint_id FROM feedback.complaint_breaches WHERE complaint_id = ANY(:ids)",
            ids=complaint_ids,
        )
        assert sorted(recorded) == sorted(complaint_ids)
    finally:
        await engine.dispose()
    events = await read_topic(
        platform.endpoints.kafka_bootstrap_servers, "feedback.complaint.v1", regions={unit.region_id}
    )
    emitted = Counter(
        event["payload"]["complaint_id"] for event in events if event["type"] == "ComplaintDeadlineBreached"
    )
    assert emitted == Counter(dict.fromkeys(complaint_ids, 1))
