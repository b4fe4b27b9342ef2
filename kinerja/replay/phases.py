"""The rebuild in its phases: a fresh schema, the first topics, the rest in parallel, the views once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from kinerja.replay.report import Progress
from kinerja.replay.scratch import build_indexes, fresh_schema, mark_outbox_published
from kinerja.replay.workers import Partitions, apply_partitions, refresh, run_job, worker_pool
from shared.service_definition import ReplayViews, ServiceDefinition
from shared.wiring import build_context

#: Employees whose views one refresh task computes at the end (one transaction each).
EMPLOYEES_PER_REFRESH = 500

#: How long the replay's watcher waits between its attempts at the end offsets. It learns the topics'
#: leaders one topic an attempt (aiokafka adds the first topic it does not know to its metadata, then
#: waits this long and tries again): scoring's 8 topics at the default 100 ms kept the first phase
#: waiting ~0.85 s, at 10 ms ~0.13 s. The watcher asks the broker nothing else.
WATCHER_RETRY_BACKOFF_MS = 10


async def rebuild(
    scratch: ServiceDefinition[Any],
    *,
    live_schema: str,
    progress: Progress | None = None,
    workers: int | None = None,
) -> int:
    """Apply every event the service handles, from the start up to now, into the scratch schema.

    The ``replay_first`` topics are applied completely first, the others' after them; each phase's
    partitions are shared among ``workers`` processes (default: one per core). A partition is
    applied in order by one process, and every aggregate's events are keyed to one partition, so
    each keeps its order.
    Views the service defers (``replay_views``) are refreshed at the end, in pieces, by the workers.
    """
    settings = scratch.settings
    assert scratch.handlers is not None, f"{settings.service_name} consumes no events"
    workers = max(1, workers if workers is not None else os.cpu_count() or 1)
    service = settings.service_name
    # The workers start while the schema is made and the broker asked (in a thread: starting them
    # waits for the fork server's imports).
    starting = asyncio.ensure_future(asyncio.to_thread(worker_pool, service, workers))
    try:
        indexes_after = await fresh_schema(scratch, live_schema)
        total = await _apply_all(scratch, service, starting, workers, progress, indexes_after)
    except BaseException:
        # The error that stopped the rebuild is the one raised, not the workers' failed start after
        # it (that one, when it is the first, _apply_all raised already).
        with contextlib.suppress(Exception):
            await _shut_down(starting)
        raise
    await _shut_down(starting)
    return total


async def _shut_down(starting: Awaitable[ProcessPoolExecutor | None]) -> None:
    """The workers ended once they have started (their jobs not yet begun, cancelled)."""
    if (pool := await starting) is not None:
        pool.shutdown(cancel_futures=True)


async def _apply_all(
    scratch: ServiceDefinition[Any],
    service: str,
    starting: Awaitable[ProcessPoolExecutor | None],
    workers: int,
    progress: Progress | None,
    indexes_after: list[str],
) -> int:
    """The phases after the fresh schema: the first topics, the others' partitions, the indexes left
    out of the fresh schema, the views."""
    settings = scratch.settings
    topics = await _topics_of(scratch)
    group_id = f"{settings.consumer_group}-replay-{uuid.uuid4().hex[:8]}"
    # The admin client asks where the replay got (all partitions in one request), the consumer where
    # the partitions end.
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id="kinerja-replay"
    )
    watcher = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        retry_backoff_ms=WATCHER_RETRY_BACKOFF_MS,
    )
    await admin.start()
    await watcher.start()
    try:
        ends = await _end_offsets(admin, watcher, topics)
        total = sum(ends.values())
        first = [
            (tp.topic, tp.partition, end) for tp, end in ends.items() if tp.topic in scratch.replay_first
        ]
        rest = [
            (tp.topic, tp.partition, end) for tp, end in ends.items() if tp.topic not in scratch.replay_first
        ]
        pool = await starting

        async def watched(jobs: list[Awaitable[Any]]) -> list[Any]:
            gathered = asyncio.gather(*jobs)
            while not gathered.done():
                if progress is not None and (applied := await _committed(admin, group_id, ends)) is not None:
                    progress(applied, total, "events")
                await asyncio.wait([gathered], timeout=0.5)
            return list(gathered.result())

        backlogs: list[ReplayViews | None] = []
        # The first topics side by side too: their aggregates (regions, units, employees' records
        # and plans) are keyed to partitions as the others' are, and one process interleaved their
        # topics as its fetches came (no order between topics was kept); in one process they were
        # ~8 s of a million-event rebuild with the other core idle.
        for phase in (first, rest):
            backlogs += await watched(
                [
                    run_job(pool, apply_partitions, service, group, group_id)
                    for group in share_by_events(phase, workers)
                ]
            )
        if progress is not None:
            progress(total, total, "events")
        await build_indexes(scratch, indexes_after)
        deferred = [backlog for backlog in backlogs if backlog is not None]
        if deferred:
            merged = deferred[0]
            for backlog in deferred[1:]:
                merged.merge(backlog)
            pieces = merged.split(EMPLOYEES_PER_REFRESH)
            owners, done = merged.owners, 0
            if progress is not None:
                progress(done, owners, "employees' views")
            refreshes = [asyncio.ensure_future(run_job(pool, refresh, service, piece)) for piece in pieces]
            for finished in asyncio.as_completed(refreshes):
                done += await finished
                if progress is not None:
                    progress(done, owners, "employees' views")
        await mark_outbox_published(scratch)
        return total
    finally:
        await watcher.stop()
        await admin.close()


def share_by_events(partitions: Partitions, workers: int) -> list[Partitions]:
    """The partitions shared among the workers so that they end together: each partition, the
    largest first (by its end offset: the events it ever held), to the worker holding the fewest.

    Dealt in turn instead, one worker got 4% more of a million events than the other (employees'
    keys do not hash evenly over the partitions) and applied its last 20,000 alone.
    """
    shares: list[Partitions] = [[] for _ in range(workers)]
    held = [0] * workers
    for topic, partition, end in sorted(partitions, key=lambda entry: entry[2], reverse=True):
        fewest = held.index(min(held))
        shares[fewest].append((topic, partition, end))
        held[fewest] += end
    return [share for share in shares if share]


async def _committed(
    admin: AIOKafkaAdminClient, group_id: str, ends: dict[TopicPartition, int]
) -> int | None:
    """Events applied so far: committed offsets (a worker commits one only after its effect), all
    partitions' in one request; None while the broker knows no coordinator of the new group yet."""
    try:
        committed = await admin.list_consumer_group_offsets(group_id, partitions=list(ends))
    except KafkaError:
        return None
    return sum(
        min(max(committed[partition].offset, 0), end) if partition in committed else 0
        for partition, end in ends.items()
    )


async def _end_offsets(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, topics: set[str]
) -> dict[TopicPartition, int]:
    # The topics' partitions from a metadata request naming them: the consumer's own metadata holds
    # no topic until it subscribes (Tansu listed every topic anyway, Apache Kafka does not).
    described = await admin.describe_topics(sorted(topics))
    partitions = sorted(
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    )
    return dict(await consumer.end_offsets(partitions))


async def _topics_of(scratch: ServiceDefinition[Any]) -> set[str]:
    assert scratch.handlers is not None
    context = build_context(scratch)
    try:
        return {event.topic for event in scratch.handlers(context)}
    finally:
        await context.redis.aclose()
        await context.engine.dispose()
