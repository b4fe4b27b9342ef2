"""The rebuild benchmark's topics: a year of realistic events for four regions, written as relays would.

Each region's calendar, units, employees and approved plans (planning), then a year of activity
(reporting) in time order across the regions' employees: reports, most of them verified some hours
later, a few rejected and some of those corrected and verified again; a share carry evidence digests.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from bench._platform import stage
from bench.scoring_consumer_events import envelope_value
from shared.contracts import TOPICS, Event
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityCorrected, ActivityRejected, ActivityReported, ActivityVerified
from shared.outbox import new_event_id
from shared.region_time import region_now
from shared.time_ordered_ids import uuid7

REGIONS = (
    ("rb-medan", "Kota Medan", "Asia/Jakarta", "quarterly"),
    ("rb-makassar", "Kota Makassar", "Asia/Makassar", "quarterly"),
    ("rb-jayapura", "Kota Jayapura", "Asia/Jayapura", "monthly"),
    ("rb-palangkaraya", "Kota Palangka Raya", "Asia/Jakarta", "semester"),
)
#: Each region's zone: an activity's moments are sent in its offset (+07:00 to +09:00), as the
#: phones send them and reporting passes them on.
ZONES = {region_id: ZoneInfo(timezone) for region_id, _, timezone, _ in REGIONS}
#: The zone the stream's year is read in (``year_so_far``): WIB, the westernmost of the regions'.
YEAR_ZONE = "Asia/Jakarta"
UNITS_PER_REGION = 8
#: (aggregation, unit of measure, annual target, share of indicators)
INDICATOR_KINDS = (
    ("sum", "dokumen", Decimal(2400), 0.7),
    ("average", "menit", Decimal(15), 0.1),
    ("last", "persen", Decimal(95), 0.1),
    ("ratio", "persen", Decimal("0.9"), 0.1),
)


@dataclass
class Employee:
    region_id: str
    employee_id: str
    plan_id: str
    indicators: list[tuple[str, str, str]]  # (result id, indicator id, aggregation)


@dataclass(order=True)
class FollowUp:
    """A verification, rejection or correction due at ``at`` for an activity reported earlier."""

    at: datetime
    sequence: int
    event: Event = field(compare=False)
    then: list[tuple[timedelta, str]] = field(compare=False, default_factory=list)


def planning_events(
    employees_per_region: int, year: int, rng: random.Random
) -> tuple[list[Event], list[Employee]]:
    """Each region's calendar, units, heads and employees, and one approved plan per employee."""
    events: list[Event] = []
    people: list[Employee] = []
    aggregations = [kind for kind, *_ in INDICATOR_KINDS]
    weights = [share for *_, share in INDICATOR_KINDS]
    targets = {kind: (unit, target) for kind, unit, target, _ in INDICATOR_KINDS}
    for region_id, name, timezone, period_kind in REGIONS:
        events.append(
            RegionRegistered(region_id=region_id, name=name, timezone=timezone, period_kind=period_kind)
        )
        for u in range(UNITS_PER_REGION):
            unit_id = f"{region_id}-unit-{u}"
            events.append(
                UnitUpserted(
                    region_id=region_id, unit_id=unit_id, code=f"u{u}", name=f"Dinas {u}", kind="dinas"
                )
            )
            events.append(
                EmployeeUpserted(
                    region_id=region_id,
                    employee_id=f"{unit_id}-head",
                    nip=f"1970010119950310{u:02d}",
                    name=f"Kepala Dinas {u}",
                    unit_id=unit_id,
                    position="Kepala Dinas",
                    job_type="head",
                    effective_from=date(year, 1, 1),
                )
            )
        for number in range(employees_per_region):
            unit_id = f"{region_id}-unit-{number % UNITS_PER_REGION}"
            employee_id = f"{region_id}-{number}"
            plan_id = uuid.uuid4().hex
            events.append(
                EmployeeUpserted(
                    region_id=region_id,
                    employee_id=employee_id,
                    nip=f"19900101201503{1 + number % 2}{1 + number % 999:03d}",
                    name=f"Pegawai {number}",
                    unit_id=unit_id,
                    position="Pelaksana",
                    job_type="clerk",
                    supervisor_id=f"{unit_id}-head",
                    effective_from=date(year, 1, 1),
                )
            )
            results: list[PlannedResultSnapshot] = []
            indicators: list[tuple[str, str, str]] = []
            for r in range(rng.choice((1, 2, 2, 3))):
                result_id = f"{plan_id}-r{r}"
                aggregation = rng.choices(aggregations, weights)[0] if r else "sum"
                unit, target = targets[aggregation]
                indicator_id = f"{plan_id}-i{r}"
                split = aggregation == "sum"
                results.append(
                    PlannedResultSnapshot(
                        result_id=result_id,
                        kind="main" if r < 2 else "additional",
                        text=f"Hasil kerja {r + 1}",
                        indicators=[
                            IndicatorSnapshot(
                                indicator_id=indicator_id,
                                name=f"Indikator {r + 1}",
                                aspect="quantity" if split else "quality",
                                direction="higher_is_better"
                                if aggregation != "average"
                                else "lower_is_better",
                                aggregation=aggregation,
                                unit_of_measure=unit,
                                target=target,
                                period_targets={f"{year}-Q{q}": target / 4 for q in range(1, 5)}
                                if split
                                else {},
                            )
                        ],
                    )
                )
                indicators.append((result_id, indicator_id, aggregation))
            events.append(
                WorkPlanApproved(
                    region_id=region_id,
                    plan_id=plan_id,
                    employee_id=employee_id,
                    rater_id=f"{unit_id}-head",
                    unit_id=unit_id,
                    job_type="clerk",
                    year=year,
                    version=1,
                    results=results,
                )
            )
            people.append(Employee(region_id, employee_id, plan_id, indicators))
    return events, people


def year_so_far() -> tuple[datetime, datetime]:
    """When the stream's year began and when it ends, as the regions' clocks read them (``region_now``,
    the platform's clock): from 1 January 00.00 in WIB, the regions' westernmost zone and so the last
    to begin a year, to an hour ago, but not into the year WIT (two hours ahead of WIB) begins first.
    Every activity then falls in the plans' year in every region's zone; UTC's year did not from
    17.00 UTC on 31 December, when it is already the next year in all four regions."""
    now = region_now(YEAR_ZONE) - timedelta(hours=1)
    start = now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, min(now, *(datetime(start.year + 1, 1, 1, tzinfo=zone) for zone in ZONES.values()))


def activity_stream(
    people: list[Employee], count: int, rng: random.Random, window: tuple[datetime, datetime]
) -> Any:
    """``count`` reporting events over the year so far (``year_so_far``), in the order they happened
    (a generator)."""
    start, now = window
    # Reports are about 60% of the events: each has on average ~0.67 follow-ups.
    reports = max(1, int(count / 1.67))
    step = (now - start) / reports
    due: list[FollowUp] = []
    sequence = 0
    emitted = 0
    clock = start
    while emitted < count:
        clock += step
        while due and due[0].at <= clock and emitted < count:
            follow = heapq.heappop(due)
            yield follow.event, follow.at
            emitted += 1
            if follow.then:
                delay, kind = follow.then[0]
                sequence += 1
                at = follow.at + delay
                then = _follow_up(kind, follow.event, rng, at, start)
                heapq.heappush(due, FollowUp(at, sequence, then, follow.then[1:]))
        if emitted >= count:
            break
        person = rng.choice(people)
        result_id, indicator_id, aggregation = rng.choice(person.indicators)
        # Minted as every client of ours mints an activity's id (field app, web form, simulator:
        # ``uuid7().hex``, time-ordered): random ones landed all over scoring's primary key.
        activity_id = uuid7().hex
        quantity = (
            Decimal(rng.randint(1, 30)) if aggregation in ("sum", "ratio") else Decimal(rng.randint(50, 100))
        )
        report = ActivityReported(
            region_id=person.region_id,
            activity_id=activity_id,
            employee_id=person.employee_id,
            plan_id=person.plan_id,
            result_id=result_id,
            indicator_id=indicator_id,
            # Never before the year began: the first hours' reports would fall in the year before.
            occurred_at=max(clock - timedelta(minutes=rng.randint(1, 180)), start).astimezone(
                ZONES[person.region_id]
            ),
            quantity=quantity,
            denominator=quantity + rng.randint(0, 5) if aggregation == "ratio" else None,
            description="Perekaman dan penerbitan KTP-el di loket 3",
            evidence_sha256=[f"{rng.getrandbits(256):064x}"] if rng.random() < EVIDENCE_SHARE else [],
        )
        yield report, clock
        emitted += 1
        fate = rng.random()
        plan: list[tuple[timedelta, str]]
        if fate < 0.60:
            plan = [(timedelta(hours=rng.randint(1, 72)), "verified")]
        elif fate < 0.64:
            plan = [(timedelta(hours=rng.randint(1, 72)), "rejected")]
        elif fate < 0.67:
            plan = [
                (timedelta(hours=rng.randint(1, 72)), "rejected"),
                (timedelta(hours=rng.randint(1, 48)), "corrected"),
                (timedelta(hours=rng.randint(1, 48)), "verified"),
            ]
        else:
            plan = []
        if plan:
            sequence += 1
            delay, kind = plan[0]
            at = clock + delay
            heapq.heappush(due, FollowUp(at, sequence, _follow_up(kind, report, rng, at, start), plan[1:]))


EVIDENCE_SHARE = 0.1


def _follow_up(kind: str, about: Event, rng: random.Random, at: datetime, start: datetime) -> Event:
    """The follow-up of ``kind`` sent at ``at``; a correction dates its activity up to 20 days before,
    but not before the stream's year began (``start``): by the stream's clock, not the real one,
    which in January put corrections in the year before, and beside a stopped region clock in
    another year altogether."""
    assert isinstance(about, ActivityReported | ActivityVerified | ActivityRejected | ActivityCorrected)
    common = {
        "region_id": about.region_id,
        "activity_id": about.activity_id,
        "employee_id": about.employee_id,
    }
    verifier = f"{about.employee_id.rsplit('-', 1)[0]}-head"
    if kind == "verified":
        return ActivityVerified(**common, verifier_id=verifier)
    if kind == "rejected":
        return ActivityRejected(**common, verifier_id=verifier, note="Bukti dukung kurang jelas")
    assert isinstance(about, ActivityRejected)
    return ActivityCorrected(
        **common,
        occurred_at=max(at - timedelta(days=rng.randint(1, 20)), start).astimezone(ZONES[about.region_id]),
        quantity=Decimal(rng.randint(1, 30)),
        description="Diperbaiki sesuai catatan",
    )


class BatchProducer:
    """Writes enveloped events many at a time: one record batch per partition, sent when full."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._partitioner = DefaultPartitioner()
        self._batches: dict[tuple[str, int], Any] = {}
        self._in_flight: list[asyncio.Future[Any]] = []
        self.sent = 0

    async def add(self, event: Event, at: datetime, producer_name: str) -> None:
        key = event.partition_key().encode()
        partitions = list(range(TOPICS[event.topic]))
        partition = self._partitioner(key, partitions, partitions)
        # Ids drawn as the services' outboxes draw them (time-ordered, version 7), in the order written:
        # random ones would land all over the inbox's index, as no relay's do. The stream's moment
        # (in WIB) goes in UTC, as the outboxes stamp it (``envelope_value``).
        value = envelope_value(event, producer_name, event_id=new_event_id(), occurred_at=at)
        batch = self._batches.get((event.topic, partition))
        if batch is None:
            batch = self._batches[(event.topic, partition)] = self._producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:
            await self._send(event.topic, partition)
            batch = self._batches[(event.topic, partition)] = self._producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)
        self.sent += 1

    async def _send(self, topic: str, partition: int) -> None:
        batch = self._batches.pop((topic, partition))
        batch.close()
        self._in_flight.append(await self._producer.send_batch(batch, topic, partition=partition))
        if len(self._in_flight) >= 64:
            await asyncio.gather(*self._in_flight)
            self._in_flight.clear()

    async def flush(self) -> None:
        for topic, partition in list(self._batches):
            await self._send(topic, partition)
        await asyncio.gather(*self._in_flight)
        self._in_flight.clear()


async def produce(bootstrap: str, args: argparse.Namespace) -> tuple[int, int, int]:
    """Fill the topics; returns (planning events, reporting events, employees)."""
    rng = random.Random(7)
    window = year_so_far()
    employees_per_region = max(1, args.employees // len(REGIONS))
    setup, people = planning_events(employees_per_region, window[0].year, rng)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, max_batch_size=1024 * 1024
    )
    await producer.start()
    try:
        writer = BatchProducer(producer)
        for event in setup:
            await writer.add(event, window[0], "planning")
        activity = args.events - len(setup)
        for event, at in activity_stream(people, activity, rng, window):
            await writer.add(event, at, "reporting")
            if writer.sent % 100_000 == 0:
                stage(f"  {writer.sent:,} events written")
        await writer.flush()
    finally:
        await producer.stop()
    return len(setup), activity, len(people)
