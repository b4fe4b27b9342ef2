"""Scoring consumer: throughput from topic to committed views, and freshness at a sustained rate.

1. Throughput (target at least 5,000 events/s per core). Planning's and reporting's contract events
   for a population (region, unit, employees, approved plans, then N ``ActivityReported``) are put
   on their topics; the scoring service's own consumer runner and handlers (``EventConsumer``, in
   this process, partitions assigned directly so no group join is timed) apply the activities and
   commit the views with their de-duplication rows. Beside it, in the same run, a bare aiokafka
   loop reads (and JSON-decodes) the same N messages from the same topic.
2. Freshness (target p50 at most 300 ms, p99 at most 1 s at 1,000 events/s). Planning, reporting
   and scoring run as processes; ``kinerja simulate``'s generator reports activities through the
   reporting API in offline-sync batches at the chosen rate; the time from an activity's acceptance
   in reporting to its effect committed in scoring is read from scoring's exported histogram
   (``kinerja_event_to_effect_seconds``) and, per event, from the two services' tables
   (scoring's processed row versus reporting's outbox row, both transaction start times).

    .venv/bin/python -m bench.scoring_consumer --quick
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import math
import pstats
import time
import urllib.request
import uuid
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench._platform import (
    BenchPlatform,
    CpuMeter,
    figure,
    machine_line,
    process_ids,
    run_on_platform,
    stage,
)
from kinerja.services import definition
from kinerja.simulate import (
    TokenMint,
    build_population,
    client,
    stream_activity,
    wait_until_reporting_accepts,
)
from shared.contracts import TOPICS, Envelope, Event
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityReported
from shared.messaging.consumer import EventConsumer
from shared.messaging.kafka import make_consumer, make_producer
from shared.migrations import upgrade_to_head_async
from shared.observability import EVENTS_DEAD_LETTERED
from shared.runtime import build_context, settle_garbage_collector

THROUGHPUT_TARGET_PER_CORE = 5000.0
P50_TARGET_MS, P99_TARGET_MS = 300.0, 1000.0
ACTIVITY_TOPIC = ActivityReported.topic
REGION = "bench-medan"


def population_events(employees: int, year: int) -> tuple[list[Event], list[tuple[str, str, str, str]]]:
    """Planning's events for one region, and (employee, plan, result, indicator) of each employee."""
    unit = "unit-dukcapil"
    head = "bench-medan-kepala"
    events: list[Event] = [
        RegionRegistered(region_id=REGION, name="Kota Medan"),
        UnitUpserted(region_id=REGION, unit_id=unit, code="dukcapil", name="Dinas Dukcapil", kind="dinas"),
        EmployeeUpserted(
            region_id=REGION,
            employee_id=head,
            nip="197001011995031001",
            name="Kepala Dinas",
            unit_id=unit,
            position="Kepala Dinas",
            job_type="head",
            effective_from=date(year, 1, 1),
        ),
    ]
    plans: list[tuple[str, str, str, str]] = []
    for number in range(employees):
        employee = f"bench-medan-{number}"
        plan, result, indicator = (uuid.uuid4().hex for _ in range(3))
        events.append(
            EmployeeUpserted(
                region_id=REGION,
                employee_id=employee,
                nip=f"19900101201503{1 + number % 2}{1 + number % 999:03d}",
                name=f"Petugas {number}",
                unit_id=unit,
                position="Petugas Registrasi KTP-el",
                job_type="id_card_registrar",
                supervisor_id=head,
                effective_from=date(year, 1, 1),
            )
        )
        events.append(
            WorkPlanApproved(
                region_id=REGION,
                plan_id=plan,
                employee_id=employee,
                rater_id=head,
                unit_id=unit,
                job_type="id_card_registrar",
                year=year,
                version=1,
                results=[
                    PlannedResultSnapshot(
                        result_id=result,
                        kind="main",
                        text="KTP-el diterbitkan sesuai standar pelayanan",
                        indicators=[
                            IndicatorSnapshot(
                                indicator_id=indicator,
                                name="KTP-el diterbitkan",
                                aspect="quantity",
                                direction="higher_is_better",
                                aggregation="sum",
                                unit_of_measure="dokumen",
                                target=Decimal(2400),
                                period_targets={f"{year}-Q{q}": Decimal(600) for q in range(1, 5)},
                            )
                        ],
                    )
                ],
            )
        )
        plans.append((employee, plan, result, indicator))
    return events, plans


def activity_events(plans: list[tuple[str, str, str, str]], count: int) -> list[Event]:
    """``count`` activity reports spread over the employees, earlier today."""
    now = datetime.now(UTC)
    start_of_year = datetime(now.year, 1, 1, tzinfo=UTC)
    events: list[Event] = []
    for number in range(count):
        employee, plan, result, indicator = plans[number % len(plans)]
        events.append(
            ActivityReported(
                region_id=REGION,
                activity_id=uuid.uuid4().hex,
                employee_id=employee,
                plan_id=plan,
                result_id=result,
                indicator_id=indicator,
                occurred_at=max(now - timedelta(minutes=number % 480), start_of_year),
                quantity=Decimal(1 + number % 30),
                description="Perekaman dan penerbitan KTP-el di loket 3",
            )
        )
    return events


async def publish(bootstrap: str, events: list[Event], producer_name: str) -> None:
    """Put events on their topics as a service's relay would (enveloped, keyed by aggregate)."""
    producer = make_producer(bootstrap, client_id=f"bench-{producer_name}")
    await producer.start()
    try:
        deliveries = []
        for event in events:
            value = orjson.dumps(Envelope.wrap(event, producer=producer_name).model_dump(mode="json"))
            deliveries.append(
                await producer.send(event.topic, value=value, key=event.partition_key().encode())
            )
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()


async def processed_count(engine: AsyncEngine, topic: str | None = None) -> int:
    """Events scoring has applied (all, or of one topic)."""
    async with engine.connect() as connection:
        query = "SELECT count(*) FROM scoring.processed_events"
        if topic is None:
            return int(await connection.scalar(text(query)) or 0)
        return int(await connection.scalar(text(query + " WHERE topic = :topic"), {"topic": topic}) or 0)


async def wait_for_count(
    engine: AsyncEngine, wanted: int, *, timeout: float, topic: str | None = None
) -> float:
    """Poll until scoring has applied ``wanted`` events; returns when (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while (seen := await processed_count(engine, topic)) < wanted:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"scoring applied {seen} of {wanted} events within {timeout:.0f}s")
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def wait_until_committed(
    consumer: AIOKafkaConsumer, runner: asyncio.Task[None], *, timeout: float
) -> float:
    """Poll until the runner has committed every assigned partition up to its end; returns when."""
    partitions = sorted(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    deadline = time.perf_counter() + timeout
    while True:
        if runner.done():
            runner.result()
            raise RuntimeError("the consumer runner stopped early")
        committed = {tp: await consumer.committed(tp) or 0 for tp in partitions if ends[tp]}
        if all(offset >= ends[tp] for tp, offset in committed.items()):
            return time.perf_counter()
        if time.perf_counter() > deadline:
            behind = {f"{tp.topic}/{tp.partition}": ends[tp] - offset for tp, offset in committed.items()}
            raise RuntimeError(f"the consumer did not catch up within {timeout:.0f}s: {behind}")
        await asyncio.sleep(0.05)


async def bare_consume(bootstrap: str, count: int, batch_size: int) -> float:
    """Seconds a bare aiokafka loop takes to read and decode ``count`` activity messages."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=batch_size
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(ACTIVITY_TOPIC, p) for p in range(TOPICS[ACTIVITY_TOPIC])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen, started = 0, time.perf_counter()
        while seen < count:
            batches = await consumer.getmany(timeout_ms=200, max_records=batch_size)
            for records in batches.values():
                for record in records:
                    orjson.loads(record.value or b"")
                seen += len(records)
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def consumer_throughput(args: argparse.Namespace, platform: BenchPlatform) -> list[str]:
    """Part 1: the scoring consumer runner against a bare consume loop on the same messages."""
    service = definition("scoring")
    settings = service.settings
    await upgrade_to_head_async(settings, service.migrations_dir)
    context = build_context(service)
    admin = create_async_engine(platform.admin_database_url)
    bootstrap = platform.endpoints.kafka_bootstrap_servers
    assert service.handlers is not None
    handlers = service.handlers(context)
    setup, plans = population_events(args.employees, datetime.now(UTC).year)
    activities = activity_events(plans, args.events)
    consumer = make_consumer(
        bootstrap, group_id="bench-scoring", topics=(), max_records=settings.consumer_batch_size
    )
    dead_letters = make_producer(bootstrap, client_id="bench-scoring-dlq")
    await consumer.start()
    await dead_letters.start()
    consumer.assign(
        [
            TopicPartition(topic, p)
            for topic in sorted({c.topic for c in handlers})
            for p in range(TOPICS[topic])
        ]
    )
    runner = EventConsumer(
        consumer=consumer,
        dead_letter_producer=dead_letters,
        group_id="bench-scoring",
        session_factory=context.session_factory,
        processed_events=context.tables.processed_events,
        outbox=context.outbox,
        handlers=handlers,
        batch_size=settings.consumer_batch_size,
    )
    try:
        stage(f"publishing {len(setup)} planning events")
        await publish(bootstrap, setup, "planning")
        stage("applying them")
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await wait_until_committed(consumer, task, timeout=300)
        stop.set()
        await task

        stage(f"publishing {len(activities)} activity events")
        await publish(bootstrap, activities, "reporting")
        stage("timing the consumer")
        settle_garbage_collector()  # as the service process does once started
        applied_before = await processed_count(admin, ACTIVITY_TOPIC)
        pids = {"bench (consumer)": process_ids(platform)["bench client"]}
        if platform.embedded is not None:
            pids["postgres"] = platform.embedded.processes["postgres"].pid
        stop = asyncio.Event()
        profiler = cProfile.Profile() if args.profile else None
        with CpuMeter(pids) as meter:
            if profiler is not None:
                profiler.enable()
            started = time.perf_counter()
            task = asyncio.create_task(runner.run(stop))
            finished = await wait_until_committed(consumer, task, timeout=1800)
            if profiler is not None:
                profiler.disable()
        stop.set()
        await task
        applied = await processed_count(admin, ACTIVITY_TOPIC) - applied_before
        seconds = finished - started
        stage("timing a bare consume loop")
        bare_seconds = await bare_consume(bootstrap, args.events, settings.consumer_batch_size)
    finally:
        await consumer.stop()
        await dead_letters.stop()
        await admin.dispose()
        await context.redis.aclose()
        await context.engine.dispose()
    if profiler is not None:
        print("\nscoring consumer (this process), top functions by internal time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        print("\nscoring consumer (this process), the project's own functions by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(r"/(services|shared)/", 25)
    rate, bare_rate = args.events / seconds, args.events / bare_seconds
    dead_lettered = sum(
        sample.value
        for metric in EVENTS_DEAD_LETTERED.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )
    consumer_cores = max(meter.cores["bench (consumer)"], 1e-9)
    return [
        f"{args.events:,} ActivityReported events for {args.employees:,} employees, "
        f"consumer batch size {settings.consumer_batch_size}; applied with a processed row: {applied:,}",
        figure("consumer: topic to committed views", rate, "events/s", baseline=bare_rate),
        figure(
            "consumer: per core of the consumer process",
            rate / consumer_cores,
            "events/s",
            target=f">= {THROUGHPUT_TARGET_PER_CORE:,.0f}",
        ),
        f"    {meter.line()}",
        f"    events dead-lettered by the handlers (should be 0): {dead_lettered:.0f}",
    ]


def histogram(url: str, topic: str) -> dict[float, float]:
    """Cumulative bucket counts of scoring's event-to-effect histogram for one topic."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:  # noqa: S310 - a local http URL
        body = response.read().decode()
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if (
                sample.name == "kinerja_event_to_effect_seconds_bucket"
                and sample.labels.get("topic") == topic
            ):
                buckets[float(sample.labels["le"])] = sample.value
    return buckets


def histogram_quantile(fraction: float, before: dict[float, float], after: dict[float, float]) -> float:
    """A quantile of the observations made between two scrapes (linear within a bucket, as Prometheus)."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return math.nan
    rank = fraction * total
    lower, below = 0.0, 0.0
    for bound, cumulative in zip(bounds, counts, strict=True):
        if cumulative >= rank:
            if math.isinf(bound):
                return lower
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, cumulative
    return lower


async def freshness(args: argparse.Namespace, platform: BenchPlatform) -> list[str]:
    """Part 2: acceptance in reporting to effect in scoring, at a sustained rate."""
    services = platform.start_services(
        {"planning": "api,consumer,relay", "reporting": "api,consumer,relay", "scoring": "api,consumer"}
    )
    stage("services started; building the population")
    mint = TokenMint(platform.settings)
    admin = create_async_engine(platform.admin_database_url)
    scoring_url = services.url("scoring")
    try:
        # The throughput part applied activities in the same schema: count only what comes now.
        applied_before = await processed_count(admin, ACTIVITY_TOPIC)
        async with client(services.url("planning"), connections=24) as planning:
            population = await build_population(planning, mint, employees=args.people, regions=2)
        async with client(services.url("reporting"), connections=max(24, args.concurrency)) as reporting:
            stage("waiting until reporting knows every plan")
            warm = await wait_until_reporting_accepts(reporting, population)
            stage("waiting until scoring applied the first reports")
            await wait_for_count(admin, applied_before + warm.accepted, timeout=600, topic=ACTIVITY_TOPIC)
            before = histogram(scoring_url, ACTIVITY_TOPIC)
            stage("streaming")
            stream_started = datetime.now(UTC)
            appended: dict[str, float] = {}
            tracking = asyncio.create_task(
                track_appends(platform.endpoints.kafka_bootstrap_servers, appended, stream_started)
            )
            with CpuMeter(process_ids(platform, services)) as meter:
                outcome = await stream_activity(
                    reporting,
                    population,
                    rate=args.rate,
                    duration=args.duration,
                    batch=args.batch,
                    concurrency=args.concurrency,
                    duplicate_ratio=0.0,
                    seed=11,
                )
                await wait_for_count(
                    admin,
                    applied_before + warm.accepted + outcome.accepted,
                    timeout=300,
                    topic=ACTIVITY_TOPIC,
                )
            tracking.cancel()
            with suppress(asyncio.CancelledError):
                await tracking
        after = histogram(scoring_url, ACTIVITY_TOPIC)
        async with admin.connect() as connection:
            exact = (
                await connection.execute(
                    text(
                        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), "
                        "percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), count(*) FROM ("
                        " SELECT extract(epoch FROM p.processed_at - o.created_at) AS lag"
                        " FROM reporting.outbox o JOIN scoring.processed_events p USING (event_id)"
                        " WHERE o.event_type = 'ActivityReported' AND o.created_at >= :since) AS lags"
                    ),
                    {"since": stream_started},
                )
            ).one()
            # Where the time goes: in reporting (committed until the relay claims the outbox row)
            # and after (the relay's send, the broker, scoring's fetch and transaction start).
            split = (
                await connection.execute(
                    text(
                        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY relay), "
                        "percentile_cont(0.99) WITHIN GROUP (ORDER BY relay), "
                        "percentile_cont(0.5) WITHIN GROUP (ORDER BY onward), "
                        "percentile_cont(0.99) WITHIN GROUP (ORDER BY onward) FROM ("
                        " SELECT extract(epoch FROM o.published_at - o.created_at) AS relay,"
                        " extract(epoch FROM p.processed_at - o.published_at) AS onward"
                        " FROM reporting.outbox o JOIN scoring.processed_events p USING (event_id)"
                        " WHERE o.event_type = 'ActivityReported' AND o.created_at >= :since) AS lags"
                    ),
                    {"since": stream_started},
                )
            ).one()
            processed_at = {
                str(row[0]): float(row[1])
                for row in await connection.execute(
                    text(
                        "SELECT event_id, extract(epoch FROM processed_at) FROM scoring.processed_events"
                        " WHERE event_id = ANY(CAST(:ids AS uuid[]))"
                    ),
                    {"ids": list(appended)},
                )
            }
    finally:
        await admin.dispose()
    # Scoring's own share: from the broker's append (the relay's send) to scoring's transaction.
    own = sorted(processed_at[e] - appended[e] for e in appended if e in processed_at)
    p50, p99 = histogram_quantile(0.5, before, after), histogram_quantile(0.99, before, after)
    lines: list[Any] = [
        f"stream: {outcome.accepted:,} activities accepted at {outcome.throughput:,.0f}/s "
        f"(asked {args.rate:,.0f}/s, {args.batch} per request) for {args.people:,} employees",
        figure("freshness p50 (scoring histogram)", p50 * 1000, "ms", target=f"<= {P50_TARGET_MS:.0f}"),
        figure("freshness p99 (scoring histogram)", p99 * 1000, "ms", target=f"<= {P99_TARGET_MS:.0f}"),
        figure("freshness p50 (per event, transaction starts)", float(exact[0] or math.nan) * 1000, "ms"),
        figure("freshness p99 (per event, transaction starts)", float(exact[1] or math.nan) * 1000, "ms"),
        f"    events matched in both services' tables: {exact[2]:,}",
        "    of which, p50 / p99: until reporting's relay claimed the outbox row "
        f"{_ms(split[0])} / {_ms(split[1])} ms; from the claim to scoring's transaction "
        f"{_ms(split[2])} / {_ms(split[3])} ms",
        figure("freshness p50, broker append to scoring's transaction", _quantile(own, 0.5) * 1000, "ms"),
        figure("freshness p99, broker append to scoring's transaction", _quantile(own, 0.99) * 1000, "ms"),
        f"    events seen on the topic and applied: {len(own):,}",
        f"    {meter.line()}",
    ]
    if outcome.rejected or outcome.failed:
        lines.append(outcome.summary())
    return lines


async def track_appends(bootstrap: str, appended: dict[str, float], since: datetime) -> None:
    """Note when each activity event was appended to the topic (its record's timestamp), until cancelled."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(ACTIVITY_TOPIC, p) for p in range(TOPICS[ACTIVITY_TOPIC])]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        floor = since.timestamp()
        while True:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    if record.timestamp / 1000 >= floor:
                        appended[orjson.loads(record.value or b"")["event_id"]] = record.timestamp / 1000
    finally:
        await consumer.stop()


def _quantile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else math.nan


def _ms(seconds: Any) -> str:
    return "n/a" if seconds is None else f"{float(seconds) * 1000:,.0f}"


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    throughput_lines = await consumer_throughput(args, platform)
    stage("starting services for the freshness part")
    freshness_lines = await freshness(args, platform)
    print()
    print(f"scoring consumer benchmark — {machine_line()}")
    for line in [*throughput_lines, *freshness_lines]:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    # (full size, --quick size); an option given on the command line wins over both.
    sizes: dict[str, tuple[Any, Any]] = {
        "events": (200_000, 20_000),  # 1,000 (the quick size before) were consumed in about a second
        "employees": (1000, 500),
        "people": (1000, 60),
        "rate": (1000.0, 300.0),
        "batch": (20, 10),
        "duration": (60.0, 10.0),
    }
    parser.add_argument("--events", type=int, help="activity events for the throughput part")
    parser.add_argument("--employees", type=int, help="employees in the throughput part")
    parser.add_argument("--people", type=int, help="employees in the freshness part")
    parser.add_argument("--rate", type=float, help="activities per second (freshness)")
    parser.add_argument("--batch", type=int, help="activities per request (freshness)")
    parser.add_argument("--duration", type=float, help="seconds of streaming (freshness)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (freshness)")
    parser.add_argument(
        "--profile", action="store_true", help="profile the consumer part (cProfile) and print it"
    )
    args = parser.parse_args()
    for name, (full, quick) in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    run_on_platform(run, args)


if __name__ == "__main__":
    main()
