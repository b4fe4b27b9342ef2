"""Scoring consumer: throughput from topic to committed views, and freshness at a sustained rate.

1. Throughput (target at least 15,000 events/s per core). Planning's and reporting's contract events
   for a population (region, unit, employees, approved plans, then N ``ActivityReported``) are put
   on their topics; the scoring service's own consumer runner and handlers (``EventConsumer``, in
   this process, partitions assigned directly so no group join is timed) apply the activities and
   commit the views with their de-duplication rows. Beside it, in the same run, a bare aiokafka
   loop reads (and JSON-decodes) the same N messages from the same topic.
2. Freshness (target p99 at most 250 ms at 1,000 events/s). Planning, reporting
   and scoring run as processes; ``kinerja simulate``'s generator reports activities through the
   reporting API in offline-sync batches at the chosen rate; the time from an activity's acceptance
   in reporting to its effect committed in scoring is read from scoring's exported histogram
   (``kinerja_event_to_effect_seconds``) and, per event, from the two services' tables
   (scoring's processed row versus reporting's outbox row, both transaction start times).

    .venv/bin/python -m bench.scoring_consumer --quick
    .venv/bin/python -m bench.scoring_consumer --quick --parts throughput --profile
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import pstats
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench._cpu import CpuMeter
from bench._platform import (
    BenchPlatform,
    bare_consume,
    figure,
    machine_line,
    parse_sized_options,
    process_ids,
    run_on_platform,
    stage,
)
from bench._soak_statements import read_statements, render_statements, reset_statements, sessions_so_far
from bench.scoring_consumer_events import (
    ACTIVITY_TOPIC,
    activity_events,
    population_events,
    publish,
)
from bench.scoring_consumer_freshness import freshness, processed_count
from kinerja.services import definition
from shared.contracts import TOPICS
from shared.messaging.consumer import EventConsumer
from shared.messaging.kafka import make_consumer, make_producer
from shared.migrations import upgrade_to_head_async
from shared.observability import EVENTS_DEAD_LETTERED
from shared.wiring import build_context, settle_garbage_collector

THROUGHPUT_TARGET_PER_CORE = 15_000.0  # issue 18 (5,000 before)


async def wait_until_committed(
    consumer: AIOKafkaConsumer, runner: EventConsumer[Any], task: asyncio.Task[None], *, timeout: float
) -> float:
    """Wait until the runner has committed every assigned partition up to its end; returns when.

    The ends are asked once; the runner's own progress record (``runner.lag``, set once a batch's
    offsets are committed) then tells, without asking the broker: polling the group coordinator
    twenty times a second was a fifth of this process's CPU time when batches were small.
    """
    partitions = sorted(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    # Partitions already committed to their end (the planning events, before the timed part).
    ends = {tp: end for tp, end in ends.items() if end and (await consumer.committed(tp) or 0) < end}
    deadline = time.perf_counter() + timeout

    def applied(tp: TopicPartition) -> int:
        progress = runner.lag.partitions.get((tp.topic, tp.partition))
        return (progress.next_offset or 0) if progress is not None else 0

    def behind() -> dict[str, int]:
        return {
            f"{tp.topic}/{tp.partition}": end - applied(tp) for tp, end in ends.items() if applied(tp) < end
        }

    while True:
        if task.done():
            task.result()
            raise RuntimeError("the consumer runner stopped early")
        if not (waiting := behind()):
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the consumer did not catch up within {timeout:.0f}s: {waiting}")
        await asyncio.sleep(0.01)


async def send_table_counters(engine: Any) -> None:
    """Have each idle connection of ``engine``'s pool send PostgreSQL its table counters now.

    A backend sends them at most once a second, an idle one after 10 s, so ``pg_stat_user_tables``
    read soon after a phase missed some of its rows and counted some of the phase before
    (contributions read 0.70 and 1.00 an event for the same events). ``pg_stat_force_next_flush``
    makes a backend send them when its transaction ends, before it answers the commit.
    """
    async with contextlib.AsyncExitStack() as held:
        # Each held until all are asked, so that each check-out is another idle connection.
        for _ in range(engine.sync_engine.pool.checkedin()):
            connection = await held.enter_async_context(engine.connect())
            await connection.execute(text("SELECT pg_stat_force_next_flush()"))
            await connection.commit()


async def table_writes(engine: Any) -> dict[str, tuple[int, int, int]]:
    """Rows scoring's tables took so far: (inserted, updated, of those updated in place: HOT)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                "WHERE schemaname = 'scoring'"
            )
        )
        return {name: (ins, upd, hot) for name, ins, upd, hot in rows}


def render_table_writes(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]], events: int
) -> list[str]:
    """Rows inserted and updated an event in each table the timed part wrote, and the HOT share
    of the updates (an update that is not HOT writes every index of the table again)."""
    lines = ["", "scoring's tables over the timed part, rows an event: inserted, updated (HOT share)"]
    for name in sorted(after):
        ins, upd, hot = (a - b for a, b in zip(after[name], before.get(name, (0, 0, 0)), strict=True))
        if ins or upd:
            share = f"{hot / upd:.0%}" if upd else "-"
            lines.append(f"    {name:<28} {ins / events:>6.2f} {upd / events:>6.2f} ({share})")
    return lines


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
    batch_size = args.consumer_batch or settings.consumer_batch_size
    setup, plans = population_events(args.employees)
    activities = activity_events(plans, args.events)
    consumer = make_consumer(bootstrap, group_id="bench-scoring", topics=(), max_records=batch_size)
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
        batch_size=batch_size,
    )
    try:
        stage(f"publishing {len(setup)} planning events")
        await publish(bootstrap, setup, "planning")
        stage("applying them")
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await wait_until_committed(consumer, runner, task, timeout=300)
        stop.set()
        await task

        stage(f"publishing {len(activities)} activity events")
        await publish(bootstrap, activities, "reporting")
        stage("analyzing the tables")
        # Statistics as a service running for a while has them. Otherwise autovacuum analyzed the
        # tables the planning events had just filled at some moment of the timed part, and the
        # views' plans changed there: look-ups by the region's rows until then (session 26, EXPLAIN
        # on this benchmark's data), PostgreSQL's CPU an event varying by ±5 µs between runs.
        async with admin.begin() as connection:  # committed: statistics are rows of their own
            await connection.execute(text("ANALYZE"))
        stage("timing the consumer")
        settle_garbage_collector()  # as the service process does once started
        applied_before = await processed_count(admin, ACTIVITY_TOPIC)
        pids = {"bench (consumer)": process_ids(platform)["bench client"]}
        if platform.embedded is not None:
            pids["postgres"] = platform.embedded.processes["postgres"].pid
        await send_table_counters(context.engine)
        writes_before = await table_writes(admin)
        counting = await reset_statements(admin)  # when the server loads pg_stat_statements
        stop = asyncio.Event()
        # CPU time of this process (waiting on PostgreSQL or the broker is not the consumer's cost).
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        with CpuMeter(pids) as meter:
            if profiler is not None:
                profiler.enable()
            started = time.perf_counter()
            task = asyncio.create_task(runner.run(stop))
            finished = await wait_until_committed(consumer, runner, task, timeout=1800)
            if profiler is not None:
                profiler.disable()
        stop.set()
        await task
        applied = await processed_count(admin, ACTIVITY_TOPIC) - applied_before
        await send_table_counters(context.engine)
        writes = render_table_writes(writes_before, await table_writes(admin), args.events)
        statements = await read_statements(admin) if counting else []
        sessions = await sessions_so_far(admin) if counting else 0
        seconds = finished - started
        stage("timing a bare consume loop")
        bare_seconds = await bare_consume(
            bootstrap, {ACTIVITY_TOPIC}, args.events, batch_size=settings.consumer_batch_size
        )
    finally:
        await consumer.stop()
        await dead_letters.stop()
        await admin.dispose()
        await context.redis.aclose()
        await context.engine.dispose()
    if profiler is not None:
        print("\nscoring consumer (this process), top functions by internal CPU time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        print("\nscoring consumer (this process), the project's own functions by cumulative CPU time:")
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(r"/(services|shared)/", 25)
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
            print(f"the profile is kept in {args.profile_out} (pstats: callers, callees)")
    rate, bare_rate = args.events / seconds, args.events / bare_seconds
    dead_lettered = sum(
        sample.value
        for metric in EVENTS_DEAD_LETTERED.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )
    consumer_cores = max(meter.cores["bench (consumer)"], 1e-9)
    cpu_per_event = consumer_cores * seconds / args.events * 1e6
    return [
        f"{args.events:,} ActivityReported events for {args.employees:,} employees, "
        f"consumer batch size {batch_size}; applied with a processed row: {applied:,}",
        figure("consumer: topic to committed views", rate, "events/s", baseline=bare_rate),
        figure(
            "consumer: per core of the consumer process",
            rate / consumer_cores,
            "events/s",
            target=f">= {THROUGHPUT_TARGET_PER_CORE:,.0f}",
        ),
        f"    {meter.line()}; the consumer's CPU per event: {cpu_per_event:,.1f} µs",
        f"    {meter.per_item(args.events, 'event')}",
        f"    events dead-lettered by the handlers (should be 0): {dead_lettered:.0f}",
        *writes,
        *render_statements(statements, args.events, sessions),
    ]


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    throughput_lines = await consumer_throughput(args, platform) if "throughput" in args.parts else []
    freshness_lines: list[str] = []
    if "freshness" in args.parts:
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
    # (full size, --quick size) of each sized option, for parse_sized_options.
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
        "--consumer-batch",
        type=int,
        help="events a consumer batch takes at most in the throughput part (default: the service's "
        "setting); small batches, as a live rate gives, show what each event pays on its own",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the consumer part (cProfile, CPU time) and print it"
    )
    parser.add_argument("--profile-out", help="with --profile: also write the profile (pstats) to this file")
    parser.add_argument(
        "--parts",
        default="throughput,freshness",
        type=lambda value: set(value.split(",")),
        help="the parts to run, comma-separated (default: throughput,freshness)",
    )
    args = parse_sized_options(parser, sizes)
    run_on_platform(run, args)


if __name__ == "__main__":
    main()
