"""Rebuilding scoring's views from the topics: ``kinerja replay scoring`` over a year of events.

Target: one million events rebuilt in at most 2 minutes. The topics are filled first (not timed)
with realistic contract events, enveloped as the services' relays would: each region's calendar,
units, employees and approved plans (planning), then a year of activity (reporting) in time order
across the regions' employees: reports, most of them verified some hours later, a few rejected
and some of those corrected and verified again; a share carry evidence digests. Then the
rebuild that ``kinerja replay scoring`` runs (``kinerja.replay.rebuild``: a fresh
``scoring_rebuild`` schema, the service's own consumer runner and handlers, partitions assigned
directly) is timed from start to the last offset committed. Beside it, in the same run, a bare
aiokafka loop reads and JSON-decodes the same messages.

    .venv/bin/python -m bench.scoring_rebuild --quick      # 100,000 events
    .venv/bin/python -m bench.scoring_rebuild              # 1,000,000 events
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import heapq
import os
import pstats
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench._platform import (
    BenchPlatform,
    CpuMeter,
    figure,
    machine_line,
    run_on_platform,
    stage,
)
from kinerja.replay import rebuild, scratch_definition
from kinerja.services import definition
from shared.contracts import TOPICS, Envelope, Event
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityCorrected, ActivityRejected, ActivityReported, ActivityVerified
from shared.db import ALL_REGIONS_SETTING
from shared.migrations import upgrade_to_head_async
from shared.observability import CONSUMER_BATCH_SIZE

TARGET_SECONDS_PER_MILLION = 120.0
REGIONS = (
    ("rb-medan", "Kota Medan", "Asia/Jakarta", "quarterly"),
    ("rb-makassar", "Kota Makassar", "Asia/Makassar", "quarterly"),
    ("rb-jayapura", "Kota Jayapura", "Asia/Jayapura", "monthly"),
    ("rb-palangkaraya", "Kota Palangka Raya", "Asia/Jakarta", "semester"),
)
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


def activity_stream(people: list[Employee], count: int, rng: random.Random) -> Any:
    """``count`` reporting events over the year so far, in the order they happened (a generator)."""
    now = datetime.now(UTC) - timedelta(hours=1)
    start = datetime(now.year, 1, 1, tzinfo=UTC)
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
                heapq.heappush(
                    due,
                    FollowUp(
                        follow.at + delay, sequence, _follow_up(kind, follow.event, rng), follow.then[1:]
                    ),
                )
        if emitted >= count:
            break
        person = rng.choice(people)
        result_id, indicator_id, aggregation = rng.choice(person.indicators)
        activity_id = uuid.uuid4().hex
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
            occurred_at=clock - timedelta(minutes=rng.randint(1, 180)),
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
            heapq.heappush(due, FollowUp(clock + delay, sequence, _follow_up(kind, report, rng), plan[1:]))


EVIDENCE_SHARE = 0.1


def _follow_up(kind: str, about: Event, rng: random.Random) -> Event:
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
        occurred_at=datetime.now(UTC) - timedelta(days=rng.randint(1, 20)),
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
        value = orjson.dumps(
            Envelope.wrap(event, producer=producer_name, occurred_at=at).model_dump(mode="json")
        )
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
    year = datetime.now(UTC).year
    employees_per_region = max(1, args.employees // len(REGIONS))
    setup, people = planning_events(employees_per_region, year, rng)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, max_batch_size=1024 * 1024
    )
    await producer.start()
    try:
        writer = BatchProducer(producer)
        for event in setup:
            await writer.add(event, datetime(year, 1, 1, tzinfo=UTC), "planning")
        activity = args.events - len(setup)
        for event, at in activity_stream(people, activity, rng):
            await writer.add(event, at, "reporting")
            if writer.sent % 100_000 == 0:
                stage(f"  {writer.sent:,} events written")
        await writer.flush()
    finally:
        await producer.stop()
    return len(setup), activity, len(people)


async def bare_consume(bootstrap: str, topics: set[str], total: int) -> float:
    """Seconds a bare aiokafka loop takes to read and decode every message of the topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=2000)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in sorted(topics) for p in range(TOPICS[topic])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen, started = 0, time.perf_counter()
        while seen < total:
            for records in (await consumer.getmany(timeout_ms=200, max_records=2000)).values():
                for record in records:
                    orjson.loads(record.value or b"")
                seen += len(records)
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    live = definition("scoring")
    scratch = scratch_definition(live)
    bootstrap = platform.endpoints.kafka_bootstrap_servers
    await upgrade_to_head_async(live.settings, live.migrations_dir)  # the replay copies kept tables from it
    stage(f"writing {args.events:,} events to the topics")
    written_at = time.perf_counter()
    planning, reporting, people = await produce(bootstrap, args)
    write_seconds = time.perf_counter() - written_at
    stage("rebuilding (kinerja replay scoring's rebuild)")
    pids = {"bench (replay and its workers)": os.getpid()}
    if platform.embedded is not None:
        pids["postgres"] = platform.embedded.processes["postgres"].pid
    last_print = [0.0]

    def progress(done: int, total: int, what: str) -> None:
        phase_started.setdefault(what, time.perf_counter())
        if time.perf_counter() - last_print[0] > 10 or done >= total:
            last_print[0] = time.perf_counter()
            stage(f"  {done:,} of {total:,} {what} done")

    phase_started: dict[str, float] = {}
    batches_before = _batches_applied()
    profiler = cProfile.Profile() if args.profile else None
    with CpuMeter(pids) as meter:
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        await rebuild(scratch, live_schema=live.settings.database_schema, progress=progress)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
    assert scratch.handlers is not None
    topics = {cls.topic for cls in scratch.handlers(None)}  # type: ignore[arg-type]
    stage("timing a bare consume loop over the same topics")
    # Every message written: Tansu's end offsets undercount records written many to a
    # batch (it reports the last batch's first offset + 1), so the replay's own total is too small.
    written = planning + reporting
    bare_seconds = await bare_consume(bootstrap, topics, written)
    engine = create_async_engine(platform.admin_database_url)
    schema = scratch.settings.database_schema
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"SELECT set_config('{ALL_REGIONS_SETTING}', 'on', true)"))

            async def scalar(sql: str) -> int:
                return int((await connection.execute(text(sql))).scalar_one() or 0)

            processed = await scalar(f'SELECT count(*) FROM "{schema}".processed_events')
            activities = await scalar(f'SELECT count(*) FROM "{schema}".contributions')
            progress_rows = await scalar(f'SELECT count(*) FROM "{schema}".indicator_progress')
            summaries = await scalar(f'SELECT count(*) FROM "{schema}".employee_scores')
            # The year rows' counts must add up to the activities that count (not rejected).
            counted = await scalar(
                f"SELECT count(*) FROM \"{schema}\".contributions WHERE reported AND status <> 'REJECTED'"
                " AND year IS NOT NULL"
            )
            in_year_rows = await scalar(
                f'SELECT coalesce(sum(activity_count), 0) FROM "{schema}".indicator_progress'
                " WHERE length(period) = 4"
            )
    finally:
        await engine.dispose()
    if profiler is not None:
        print("\nrebuild (this process), top functions by internal time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        print("\nrebuild (this process), the project's own functions by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(r"/(services|shared|kinerja)/", 25)
    rate, bare_rate = processed / seconds, written / bare_seconds
    projected = TARGET_SECONDS_PER_MILLION * args.events / 1_000_000
    print()
    print(f"scoring rebuild benchmark — {machine_line()}")
    print(
        f"{written:,} events on the topics ({planning:,} planning, {reporting:,} reporting) for {people:,} "
        f"employees in {len(REGIONS)} regions; written in {write_seconds:.1f}s"
    )
    print(figure("rebuild: topics to committed views", rate, "events/s", baseline=bare_rate))
    print(figure("rebuild: total time", seconds, "s", target=f"<= {projected:.0f}"))
    print(
        figure(
            "rebuild: projected for 1,000,000 events", seconds * 1_000_000 / processed, "s", target="<= 120"
        )
    )
    print(f"    {meter.line()}")
    views_at = phase_started.get("employees' views")
    batches = _batches_applied() - batches_before
    if views_at is not None:
        # Batches applied in this process only: with worker processes, the workers applied them.
        in_batches = f" ({batches:,} batches, {processed / batches:,.0f} events each)" if batches else ""
        print(
            f"    applying the events {views_at - started:.1f} s{in_batches}, refreshing the views once "
            f"at the end {started + seconds - views_at:.1f} s"
        )
    print(
        f"    applied {processed:,} events; {activities:,} activities, {progress_rows:,} progress rows, "
        f"{summaries:,} employee summaries"
    )
    print(
        f"    year rows count {in_year_rows:,} activities, contributions that count: {counted:,} "
        f"({'equal' if in_year_rows == counted else 'DIFFERENT'})"
    )


def _batches_applied() -> int:
    """Batches the consumer runner has applied in this process (its batch-size histogram's count)."""
    for metric in CONSUMER_BATCH_SIZE.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                return int(sample.value)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100,000 events")
    parser.add_argument("--events", type=int, default=1_000_000, help="events on the topics")
    parser.add_argument("--employees", type=int, default=4000, help="employees across the regions")
    parser.add_argument("--profile", action="store_true", help="profile the rebuild (cProfile) and print it")
    args = parser.parse_args()
    if args.quick and args.events == parser.get_default("events"):
        args.events = 100_000
    run_on_platform(run, args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
