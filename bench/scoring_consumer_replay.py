"""Scoring consumer replay: a fixed set of events through the consumer runner, without the broker.

``bench.scoring_consumer``'s throughput part reads its events back from the broker, whose fetches
cut them into batches of whatever sizes the moment gives: callgrind over its timed part moved by
±4k instructions an event from run to run (session 29). Here the same kind of stream (planning's
events for one region, then ``ActivityReported`` at the region's offset, +07:00) is made with
fixed ids and times (``FixedIds``; the day is today's, at noon in the region), put into records as
the relay writes them, keyed to the partitions the broker's producer would pick, and handed to the
scoring consumer's own runner (``EventConsumer.process_batches``) in batches of a fixed size and
shape (``batches``: as fetches of a backlog bring them, ``--per-fetch`` records a partition).
Everything the runner does after a fetch runs: decoding, the inbox, the handlers, the
batch's activity changes and views, the real PostgreSQL (embedded), the commit, the metrics. The
offsets are committed to a stand-in for the broker's client, and a dead letter is counted there
(none is expected).

Printed: the consumer's CPU an event (this process, ``time.process_time``) and PostgreSQL's (its
process tree), as ``bench.scoring_consumer`` prints them. With ``--callgrind``, under valgrind,
instruction counting is on over the timed part only (``callgrind_control``); with
``PYTHONHASHSEED=0`` two runs of one tree count nearly the same:

    .venv/bin/python -m bench.scoring_consumer_replay --quick
    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --trace-children=no \\
        --callgrind-out-file=/tmp/replay.cg .venv/bin/python -m bench.scoring_consumer_replay \\
        --quick --callgrind
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.partitioner import murmur2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench._cpu import CpuMeter
from bench._platform import (
    BenchPlatform,
    machine_line,
    parse_sized_options,
    run_on_platform,
    stage,
)
from bench.scoring_consumer_events import (
    REGION_TIMEZONE,
    FixedIds,
    activity_events,
    envelope_value,
    population_events,
)
from kinerja.services import definition
from shared.contracts import TOPICS, Event
from shared.messaging.consumer import EventConsumer
from shared.messaging.consumer.fetch import Records
from shared.migrations import upgrade_to_head_async
from shared.region_time import region_now
from shared.wiring import build_context, settle_garbage_collector

#: The seed of the events' ids: the same events in every run.
SEED = 30


class StandInClient:
    """What the runner asks of the broker's consumer and producer after a fetch: offsets committed
    (kept), its partitions, their ends; a dead letter's send (counted)."""

    def __init__(self, ends: dict[TopicPartition, int]) -> None:
        self.ends = ends
        self.committed: dict[TopicPartition, int] = {}
        self.dead_letters = 0

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed |= offsets

    def assignment(self) -> set[TopicPartition]:
        return set(self.ends)

    def highwater(self, partition: TopicPartition) -> int:
        return self.ends[partition]

    async def send_and_wait(self, *_: Any, **__: Any) -> None:
        self.dead_letters += 1


def records(events: list[Event], producer: str, moment: datetime) -> list[ConsumerRecord[bytes, bytes]]:
    """The events' records in the order sent, each on the partition the producer's key picks, its
    envelope occurred at ``moment`` (as the relay stamps it) with an id of the seeded ones."""
    ids = FixedIds(SEED + len(events))
    offsets: dict[tuple[str, int], int] = {}
    timestamp = int(moment.timestamp() * 1000)
    made: list[ConsumerRecord[bytes, bytes]] = []
    for event in events:
        key = event.partition_key().encode()
        partition = (murmur2(key) & 0x7FFFFFFF) % TOPICS[event.topic]
        offset = offsets.get((event.topic, partition), 0)
        offsets[event.topic, partition] = offset + 1
        value = envelope_value(event, producer, event_id=ids(), occurred_at=moment)
        made.append(
            ConsumerRecord(
                event.topic, partition, offset, timestamp, 0, key, value, None, len(key), len(value), []
            )
        )
    return made


def batches(stream: list[ConsumerRecord[bytes, bytes]], size: int, per_fetch: int) -> Iterator[Records]:
    """The stream in batches of ``size`` records as the runner's fetches bring a backlog: each fetch
    brings every partition's next ``per_fetch`` records, handed out a partition after another, and a
    batch goes on into the next fetch until it is full (``fetch_batch``'s top-up). A batch's
    partitions keep their records in order."""
    by_partition: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
    for record in stream:
        by_partition.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
    partitions = sorted(by_partition)
    batch: Records = {}
    count = 0
    for start in range(0, max(map(len, by_partition.values()), default=0), per_fetch):
        for partition in partitions:
            fetched = by_partition[partition][start : start + per_fetch]
            while fetched:
                taken, fetched = fetched[: size - count], fetched[size - count :]
                batch.setdefault(partition, []).extend(taken)
                count += len(taken)
                if count == size:
                    yield batch
                    batch, count = {}, 0
    if batch:
        yield batch


def callgrind(switch: str) -> None:
    """Turn callgrind's counting of this process on or off (it runs under valgrind)."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True)


async def replay(args: argparse.Namespace, platform: BenchPlatform) -> list[str]:
    """Apply the population untimed, then the activities timed; the figures' lines."""
    service = definition("scoring")
    settings = service.settings
    await upgrade_to_head_async(settings, service.migrations_dir)
    context = build_context(service)
    admin = create_async_engine(platform.admin_database_url)
    assert service.handlers is not None
    handlers = service.handlers(context)
    batch_size = args.consumer_batch or settings.consumer_batch_size
    # Noon of the region's today: the activities fall in its morning, the same times every day.
    local = region_now(REGION_TIMEZONE)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    ids = FixedIds(SEED)
    setup, plans = population_events(args.employees, ids)
    activities = activity_events(plans, args.events, now=noon, ids=ids)
    sent = noon.astimezone(UTC) + timedelta(minutes=1)
    setup_records, activity_records = records(setup, "planning", sent), records(activities, "reporting", sent)
    ends: dict[TopicPartition, int] = {}
    for record in [*setup_records, *activity_records]:
        ends[TopicPartition(record.topic, record.partition)] = record.offset + 1
    client = StandInClient(ends)
    runner = EventConsumer(
        consumer=cast(AIOKafkaConsumer, client),
        dead_letter_producer=cast(AIOKafkaProducer, client),
        group_id="bench-scoring-replay",
        session_factory=context.session_factory,
        processed_events=context.tables.processed_events,
        outbox=context.outbox,
        handlers=handlers,
        batch_size=batch_size,
    )
    try:
        stage(f"applying {len(setup_records):,} planning events")
        for batch in batches(setup_records, batch_size, args.per_fetch):
            await runner.process_batches(batch)
        stage("analyzing the tables")
        async with admin.begin() as connection:  # as bench.scoring_consumer does, for the same plans
            await connection.execute(text("ANALYZE"))
        pids = {"bench (consumer)": os.getpid()}
        if platform.embedded is not None:
            pids["postgres"] = platform.embedded.processes["postgres"].pid
        timed = list(batches(activity_records, batch_size, args.per_fetch))
        stage(f"timing the consumer over {len(activity_records):,} activity events")
        settle_garbage_collector()  # as the service process does once started
        with CpuMeter(pids) as meter:
            if args.callgrind:
                callgrind("on")
            started = time.process_time()
            for batch in timed:
                await runner.process_batches(batch)
            cpu_seconds = time.process_time() - started
            if args.callgrind:
                callgrind("off")
        async with admin.connect() as connection:
            applied = await connection.scalar(
                text("SELECT count(*) FROM scoring.processed_events WHERE topic = :topic"),
                {"topic": activities[0].topic},
            )
    finally:
        await admin.dispose()
        await context.redis.aclose()
        await context.engine.dispose()
    events = len(activity_records)
    return [
        f"{events:,} ActivityReported events (ids of seed {SEED}) for {args.employees:,} "
        f"employees in {len(timed)} batches of at most {batch_size:,} ({args.per_fetch:,} "
        f"records a partition's fetch); applied with a processed row: "
        f"{applied:,}; dead letters (should be 0): {client.dead_letters}",
        f"    the consumer's CPU per event (process time): {cpu_seconds / events * 1e6:,.1f} µs",
        f"    {meter.per_item(events, 'event')}",
    ]


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    lines = await replay(args, platform)
    print()
    print(f"scoring consumer replay — {machine_line()}")
    for line in lines:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes")
    sizes: dict[str, tuple[Any, Any]] = {"events": (200_000, 20_000), "employees": (1000, 500)}
    parser.add_argument("--events", type=int, help="activity events timed")
    parser.add_argument("--employees", type=int, help="employees they are spread over")
    parser.add_argument(
        "--consumer-batch", type=int, help="events a batch takes (default: the service's setting)"
    )
    parser.add_argument(
        "--per-fetch",
        type=int,
        default=1000,
        help="a partition's records a fetch brings (default 1000: a batch of 2,000 from two or three "
        "partitions, as bench.scoring_consumer's batches mostly were in session 30; 333 puts each "
        "of the six partitions in every batch, as a live consumer's batches are)",
    )
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="count instructions over the timed part only (run under valgrind --tool=callgrind "
        "--instr-atstart=no)",
    )
    args = parse_sized_options(parser, sizes)
    run_on_platform(run, args)


if __name__ == "__main__":
    main()
