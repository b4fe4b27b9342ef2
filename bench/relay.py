"""Outbox relay: publishing throughput from the outbox table to the broker (target 10,000 events/s).

Fills reporting's outbox with N committed ``ActivityReported`` rows (a real envelope each, a fresh
event id, keys spread over 2,000 employees), then times the relay (``OutboxRelay.run``, the same
loop services run) draining it: every row claimed, published with ``acks=all`` and marked sent.
The baseline, measured in the same run, is a bare aiokafka producer sending the same N values to
the same topic with the same producer settings.

    .venv/bin/python -m bench.relay --quick
    .venv/bin/python -m bench.relay --steady 1000   # rows written at a steady rate while it runs
    .venv/bin/python -m bench.relay --quick --events-per-row 500   # rows as batch requests write them

``--events-per-row N`` writes the events N to a row, as reporting's intake writes a batch request's
(an employee's events of a transaction, ``shared.outbox.envelopes_of``); each is still a message.

``--steady RATE`` measures the relay as a service runs it under a stream instead: rows committed at
``RATE`` a second (10 a transaction, as requests write them) for ``--seconds``, the relay running
meanwhile; it prints each process's CPU per row, the relay's batches (its transactions: one
``published_at`` each) and how long rows waited for their batch (``published_at - created_at``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import orjson
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from bench._cpu import CpuMeter
from bench._platform import (
    BenchPlatform,
    figure,
    machine_line,
    parse_sized_options,
    process_ids,
    run_on_platform,
)
from kinerja.services import definition
from shared.context import ServiceContext
from shared.contracts import Envelope
from shared.contracts.reporting import ActivityReported
from shared.db import ALL_REGIONS_SETTING
from shared.messaging.kafka import make_producer
from shared.messaging.relay import OutboxRelay
from shared.migrations import upgrade_to_head_async
from shared.observability import RELAY_FAILURES
from shared.outbox import ENVELOPE_SEPARATOR
from shared.wiring import build_context

TARGET = 10_000.0
TOPIC = ActivityReported.topic
EMPLOYEES = 2000
WARM_UP_MESSAGES = 10
#: The bench writes and counts rows of every region, as the relay does (row-level security allows it).
SEE_ALL_REGIONS = f"SELECT set_config('{ALL_REGIONS_SETTING}', 'on', true)"


def sample_value() -> bytes:
    """A realistic outbox value: an ActivityReported envelope as the reporting service writes it."""
    event = ActivityReported(
        region_id="medan",
        activity_id=uuid.uuid4().hex,
        employee_id="medan-dukcapil-1",
        plan_id=uuid.uuid4().hex,
        result_id=uuid.uuid4().hex,
        indicator_id=uuid.uuid4().hex,
        occurred_at=datetime.now(UTC),
        quantity=Decimal(12),
        description="Perekaman dan penerbitan KTP-el di loket 3",
    )
    return orjson.dumps(Envelope.wrap(event, producer="reporting").model_dump(mode="json"))


#: ``:n`` rows of ``:value`` for ``:employees`` keys, as reporting's intake writes them.
INSERT_ROWS = text(
    "INSERT INTO outbox (event_id, topic, partition_key, event_type, region_id, value) "
    "SELECT gen_random_uuid(), :topic, 'employee-' || (i % :employees), 'ActivityReported', "
    "'medan', :value FROM generate_series(1, :n) AS i"
)


def reporting_relay(context: ServiceContext, producer: AIOKafkaProducer, bootstrap: str) -> OutboxRelay:
    """Reporting's relay as the service builds it (its settings' batch size and poll interval)."""
    settings = context.settings
    return OutboxRelay(
        session_factory=context.session_factory,
        outbox=context.tables.outbox,
        producer=producer,
        bootstrap_servers=bootstrap,
        batch_size=settings.outbox_batch_size,
        poll_interval=settings.outbox_poll_interval_seconds,
    )


async def bare_producer(bootstrap: str, value: bytes, count: int) -> float:
    """Seconds a bare producer takes to send ``count`` values and have them all acknowledged."""
    producer = make_producer(bootstrap, client_id="bench-bare-producer")
    await producer.start()
    try:
        started = time.perf_counter()
        deliveries = [
            await producer.send(TOPIC, value=value, key=f"employee-{i % EMPLOYEES}".encode())
            for i in range(count)
        ]
        await asyncio.gather(*deliveries)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    service = definition("reporting")
    await upgrade_to_head_async(service.settings, service.migrations_dir)
    context = build_context(service)
    bootstrap = platform.endpoints.kafka_bootstrap_servers
    value = sample_value()
    per_row = args.events_per_row
    rows = -(-args.events // per_row)
    events = rows * per_row
    pids = process_ids(platform)
    try:
        # The producer's first metadata round trip is not what is measured.
        await bare_producer(bootstrap, value, WARM_UP_MESSAGES)
        with CpuMeter(pids) as bare_cpu:
            bare_seconds = await bare_producer(bootstrap, value, events)
        bare_rate = events / bare_seconds

        async with context.engine.begin() as connection:
            await connection.execute(text(SEE_ALL_REGIONS))
            await connection.execute(
                INSERT_ROWS,
                {
                    "topic": TOPIC,
                    "employees": EMPLOYEES,
                    "value": ENVELOPE_SEPARATOR.join([value] * per_row),
                    "n": rows,
                },
            )
        producer = make_producer(bootstrap, client_id="bench-relay")
        await producer.start()
        relay = reporting_relay(context, producer, bootstrap)
        stop = asyncio.Event()
        # CPU time, not wall time: on a shared machine the wall clock charges whatever function was
        # running with the time the process waited for a core.
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        with CpuMeter(pids) as relay_cpu:
            if profiler is not None:
                profiler.enable()
            started = time.perf_counter()
            task = asyncio.create_task(relay.run(stop))
            while True:
                async with context.engine.begin() as connection:
                    await connection.execute(text(SEE_ALL_REGIONS))
                    # EXISTS stops at the first unpublished row; a count(*) every 50 ms took
                    # PostgreSQL CPU from the relay being measured.
                    left = await connection.scalar(
                        text("SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)")
                    )
                if not left:
                    break
                await asyncio.sleep(0.05)
            relay_seconds = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
        stop.set()
        await task
        await producer.stop()
        async with context.engine.begin() as connection:
            await connection.execute(text(SEE_ALL_REGIONS))
            marked = await connection.scalar(
                text("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
            )
    finally:
        await context.redis.aclose()
        await context.engine.dispose()

    relay_rate = events / relay_seconds
    print()
    print(f"outbox relay benchmark — {machine_line()}")
    print(
        f"{events:,} events of {len(value)} bytes, {per_row} a row; "
        f"relay batch size {service.settings.outbox_batch_size}"
    )
    print(
        figure(
            "relay: outbox to broker", relay_rate, "events/s", target=f">= {TARGET:,.0f}", baseline=bare_rate
        )
    )
    print(f"    relay: {relay_cpu.line()}; {relay_cpu.per_item(events, 'event')}")
    print(f"    bare producer: {bare_cpu.line()}; {bare_cpu.per_item(events, 'event')}")
    print(
        f"rows marked sent after the broker acknowledged them (acks=all): {marked:,} of {rows:,}; "
        f"failed and retried relay batches: {RELAY_FAILURES._value.get():.0f}"
    )
    if profiler is not None:
        print("\nrelay process, top functions by internal CPU time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


#: Rows per transaction of the steady stream (a batch request's items, or ten single requests).
STEADY_ROWS_PER_COMMIT = 10


async def steady(args: argparse.Namespace, platform: BenchPlatform) -> None:
    """The relay under a stream of rows committed at ``args.steady`` a second."""
    service = definition("reporting")
    await upgrade_to_head_async(service.settings, service.migrations_dir)
    context = build_context(service)
    bootstrap = platform.endpoints.kafka_bootstrap_servers
    value = sample_value()
    producer = make_producer(bootstrap, client_id="bench-relay")
    await producer.start()
    relay = reporting_relay(context, producer, bootstrap)
    stop = asyncio.Event()
    interval = STEADY_ROWS_PER_COMMIT / args.steady
    commits = round(args.seconds / interval)
    params = {"topic": TOPIC, "employees": EMPLOYEES, "value": value, "n": STEADY_ROWS_PER_COMMIT}

    async def write_rows(count: int) -> None:
        started = time.perf_counter()
        for number in range(count):
            async with context.engine.begin() as connection:
                await connection.execute(text(SEE_ALL_REGIONS))
                await connection.execute(INSERT_ROWS, params)
            await asyncio.sleep(max(started + (number + 1) * interval - time.perf_counter(), 0.0))

    try:
        task = asyncio.create_task(relay.run(stop))
        # The topic's creation and the producer's first metadata are not what is measured.
        await write_rows(round(2.0 / interval))
        await asyncio.sleep(1.0)
        async with context.engine.begin() as connection:
            await connection.execute(text(SEE_ALL_REGIONS))
            warm_up = await connection.scalar(text("SELECT coalesce(max(id), 0) FROM outbox"))
        with CpuMeter(process_ids(platform)) as cpu:
            await write_rows(commits)
            await asyncio.sleep(1.0)  # the last rows' batch
        stop.set()
        await task
        async with context.engine.begin() as connection:
            await connection.execute(text(SEE_ALL_REGIONS))
            batches, mean_rows, p50, p99, left = (
                await connection.execute(
                    text(
                        "SELECT count(DISTINCT published_at), count(published_at)::float "
                        "/ greatest(count(DISTINCT published_at), 1), "
                        "percentile_cont(0.5) WITHIN GROUP (ORDER BY published_at - created_at), "
                        "percentile_cont(0.99) WITHIN GROUP (ORDER BY published_at - created_at), "
                        "count(*) - count(published_at) FROM outbox WHERE id > :warm_up"
                    ),
                    {"warm_up": warm_up},
                )
            ).one()
    finally:
        await producer.stop()
        await context.redis.aclose()
        await context.engine.dispose()
    rows = commits * STEADY_ROWS_PER_COMMIT
    print()
    print(f"outbox relay under a steady stream — {machine_line()}")
    print(
        f"{rows:,} rows at {args.steady:,.0f}/s, {STEADY_ROWS_PER_COMMIT} a commit; {left} left unpublished"
    )
    print(f"    {cpu.line()}; {cpu.per_item(rows, 'row')}")
    print(
        f"    relay batches: {batches:,} ({batches / args.seconds:,.1f}/s, {mean_rows:,.1f} rows each); "
        f"a row's wait for its batch p50 {p50.total_seconds() * 1000:,.1f} ms, "
        f"p99 {p99.total_seconds() * 1000:,.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--events", type=int, help="events to drain")
    parser.add_argument(
        "--profile", action="store_true", help="profile the relay (cProfile, CPU time) and print it"
    )
    parser.add_argument(
        "--events-per-row", type=int, default=1, help="events a row holds (500: a batch request's)"
    )
    parser.add_argument("--steady", type=float, help="rows a second written while the relay runs")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the steady stream")
    args = parse_sized_options(parser, {"events": (200_000, 20_000)})
    run_on_platform(steady if args.steady else run, args)


if __name__ == "__main__":
    main()
