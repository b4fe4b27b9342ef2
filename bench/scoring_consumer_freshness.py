"""The scoring consumer benchmark's freshness part: acceptance in reporting to effect in scoring.

Planning, reporting and scoring run as processes; ``kinerja simulate``'s generator reports
activities through the reporting API at a steady rate; the time from an activity's acceptance to
its effect committed in scoring is read from scoring's histogram and, per event, from the two
services' tables.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
import urllib.request
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench._cpu import CpuMeter
from bench._platform import BenchPlatform, figure, process_ids, stage
from bench.scoring_consumer_events import ACTIVITY_TOPIC
from kinerja.simulate import (
    TokenMint,
    build_population,
    client,
    stream_activity,
    wait_until_reporting_accepts,
)
from shared.contracts import TOPICS

P99_TARGET_MS = 250.0  # issue 18 (p50 <= 300 ms and p99 <= 1 s before)

#: Each activity reported since ``:since`` with its outbox row's times: a row holds an employee's
#: events of one transaction (a batch request's), one envelope a line, each with its own event id.
_REPORTED_EVENTS = (
    "(SELECT (envelope::json ->> 'event_id')::uuid AS event_id, o.created_at, o.published_at"
    " FROM reporting.outbox o,"
    " string_to_table(convert_from(o.value, 'UTF8'), chr(10)) AS envelope"
    " WHERE o.event_type = 'ActivityReported' AND o.created_at >= :since) AS o"
)


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
            await analyze(admin)
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
                        f" FROM {_REPORTED_EVENTS} JOIN scoring.processed_events p USING (event_id)) AS lags"
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
                        f" FROM {_REPORTED_EVENTS} JOIN scoring.processed_events p USING (event_id)) AS lags"
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
        figure("freshness p50 (scoring histogram)", p50 * 1000, "ms"),
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
        f"    {meter.per_item(outcome.accepted, 'activity')}",
    ]
    if outcome.rejected or outcome.failed:
        lines.append(outcome.summary())
    return lines


async def analyze(engine: AsyncEngine) -> None:
    """Give the planner the tables' statistics before the stream, as autovacuum would within a minute.

    The services prepare their statements while the tables are near-empty; a generic plan made then
    is kept until the table is analyzed, and one can be ruinous as the table fills (scoring's
    contributions look-up took the region's index and scanned every row of the region per key: 40
    to 316 ms a batch in runs of this benchmark, depending on whether autovacuum came first).
    Analyzing after the warm-up measures the services' steady state, not that race.
    """
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()


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
