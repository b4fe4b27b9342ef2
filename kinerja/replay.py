"""``kinerja replay <service>``: rebuild a service's views from the topics, compare, swap only if asked.

The rebuild goes into a scratch schema (``<service>_rebuild``) through the service's own migrations
and event handlers, with a consumer group of its own reading every topic the service handles from
the beginning up to the end offsets seen at the start. The live views are untouched until
``swap``; then both schemas are renamed in one transaction, the live one kept as
``<service>_before_<time>`` for a while. Only what the topics still hold can be replayed: with a
real Kafka give the source topics unlimited retention (or compaction by key) for full rebuilds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kinerja.compare import TableComparison, compare
from kinerja.services import definition
from shared.db import create_engine, create_session_factory, see_all_regions
from shared.messaging.consumer import REPLAY_TOP_UP, EventConsumer
from shared.messaging.kafka import make_producer
from shared.migrations import upgrade_to_head_async
from shared.runtime import build_context, settle_garbage_collector
from shared.service_definition import ReplayViews, ServiceDefinition
from shared.settings import BrokerKind

#: Told how far a replay got: done, total, and of what ("events", then "employees' views").
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did: events applied, how the rebuilt views compare, whether they were swapped in."""

    service: str
    events: int
    seconds: float
    tables: list[TableComparison]
    swapped_into: str | None = None

    @property
    def equal(self) -> bool:
        return all(table.equal for table in self.tables)

    def render(self) -> str:
        lines = [
            f"{self.service}: {self.events} events replayed in {self.seconds:.1f}s",
            f"{'table':32} {'live':>10} {'rebuilt':>10} {'only live':>10} {'only rebuilt':>12}",
        ]
        for table in self.tables:
            lines.append(
                f"{table.table:32} {table.live_rows:>10} {table.rebuilt_rows:>10} "
                f"{table.only_live:>10} {table.only_rebuilt:>12}"
            )
        for table in self.tables:
            if table.differences:
                lines.append(f"{table.table}: the first {len(table.differences)} differing rows")
                lines.extend(difference.render() for difference in table.differences)
        lines.append("views are equal" if self.equal else "views DIFFER")
        if self.swapped_into:
            lines.append(f"swapped: the rebuild is live; the old views are kept as {self.swapped_into}")
        return "\n".join(lines)


def scratch_definition(live: ServiceDefinition[Any]) -> ServiceDefinition[Any]:
    """The same service, pointed at its scratch schema."""
    settings = live.settings.model_copy(update={"schema_override": f"{live.settings.service_name}_rebuild"})
    return dataclasses.replace(live, settings=settings)


async def _end_offsets(
    consumer: AIOKafkaConsumer, bootstrap_servers: str, topics: set[str]
) -> dict[TopicPartition, int]:
    # The topics' partitions from a metadata request naming them: the consumer's own metadata holds
    # no topic until it subscribes (Tansu listed every topic anyway, Apache Kafka does not).
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="kinerja-replay")
    await admin.start()
    try:
        described = await admin.describe_topics(sorted(topics))
    finally:
        await admin.close()
    partitions = sorted(
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    )
    return dict(await consumer.end_offsets(partitions))


async def copy_kept_tables(scratch: ServiceDefinition[Any], live_schema: str) -> None:
    """Bring over what no topic holds (the API's decisions and configuration), ids and all."""
    if not scratch.replay_keeps:
        return
    target = scratch.settings.database_schema
    engine = create_async_engine(scratch.settings.migration_database_url)
    try:
        async with engine.begin() as connection:
            await see_all_regions(connection)
            for table in scratch.replay_keeps:
                await connection.execute(
                    text(
                        f'INSERT INTO "{target}"."{table}" OVERRIDING SYSTEM VALUE '
                        f'SELECT * FROM "{live_schema}"."{table}"'
                    )
                )
                identities = (
                    await connection.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
                            "AND table_name = :t AND is_identity = 'YES'"
                        ),
                        {"s": target, "t": table},
                    )
                ).scalars()
                for column in identities:
                    # The copied ids are taken: new rows continue after them.
                    await connection.execute(
                        text(
                            f'SELECT setval(pg_get_serial_sequence(\'"{target}"."{table}"\', :c), '
                            f'(SELECT coalesce(max("{column}"), 0) + 1 FROM "{target}"."{table}"), false)'
                        ),
                        {"c": column},
                    )
    finally:
        await engine.dispose()


#: How long the applied offsets must stay still, once at the end offsets, before the replay stops
#: on Tansu (it reports a partition's end inside its last record batch); Apache Kafka's are exact.
TANSU_SETTLE_SECONDS = 1.0
#: Employees whose views one refresh task computes at the end (one transaction each).
EMPLOYEES_PER_REFRESH = 500

#: Where each partition of the replayed topics ends: ``(topic, partition, end offset)``.
Partitions = list[tuple[str, int, int]]


async def rebuild(
    scratch: ServiceDefinition[Any],
    *,
    live_schema: str,
    progress: Progress | None = None,
    workers: int | None = None,
) -> int:
    """Apply every event the service handles, from the start up to now, into the scratch schema.

    The ``replay_first`` topics are applied first, in one process; the others' partitions are then
    shared among ``workers`` processes (default: one per core). A partition is applied in order by
    one process, and every aggregate's events are keyed to one partition, so each keeps its order.
    Views the service defers (``replay_views``) are refreshed at the end, in pieces, by the workers.
    """
    settings = scratch.settings
    assert scratch.handlers is not None, f"{settings.service_name} consumes no events"
    workers = max(1, workers if workers is not None else os.cpu_count() or 1)
    admin = create_async_engine(settings.migration_database_url)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE'))
    finally:
        await admin.dispose()
    await upgrade_to_head_async(settings, scratch.migrations_dir)
    await copy_kept_tables(scratch, live_schema)
    topics = await _topics_of(scratch)
    group_id = f"{settings.consumer_group}-replay-{uuid.uuid4().hex[:8]}"
    watcher = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    await watcher.start()
    pool = (
        ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) if workers > 1 else None
    )
    try:
        ends = await _end_offsets(watcher, settings.kafka_bootstrap_servers, topics)
        total = sum(ends.values())
        first = [
            (tp.topic, tp.partition, end) for tp, end in ends.items() if tp.topic in scratch.replay_first
        ]
        rest = [
            (tp.topic, tp.partition, end) for tp, end in ends.items() if tp.topic not in scratch.replay_first
        ]
        service = settings.service_name

        async def watched(jobs: list[Awaitable[Any]]) -> list[Any]:
            # Committed offsets, not fetched ones: a worker commits an offset only after its effect.
            gathered = asyncio.gather(*jobs)
            while not gathered.done():
                if progress is not None:
                    committed = [await watcher.committed(partition) or 0 for partition in ends]
                    progress(
                        sum(min(c, e) for c, e in zip(committed, ends.values(), strict=True)), total, "events"
                    )
                await asyncio.wait([gathered], timeout=0.5)
            return list(gathered.result())

        backlogs: list[ReplayViews | None] = []
        if first:
            backlogs += await watched([_run(pool, _apply_partitions, service, first, group_id)])
        groups = [rest[index::workers] for index in range(workers) if rest[index::workers]]
        backlogs += await watched(
            [_run(pool, _apply_partitions, service, group, group_id) for group in groups]
        )
        if progress is not None:
            progress(total, total, "events")
        deferred = [backlog for backlog in backlogs if backlog is not None]
        if deferred:
            merged = deferred[0]
            for backlog in deferred[1:]:
                merged.merge(backlog)
            pieces = merged.split(EMPLOYEES_PER_REFRESH)
            owners, done = merged.owners, 0
            if progress is not None:
                progress(done, owners, "employees' views")
            refreshes = [asyncio.ensure_future(_run(pool, _refresh, service, piece)) for piece in pieces]
            for finished in asyncio.as_completed(refreshes):
                done += await finished
                if progress is not None:
                    progress(done, owners, "employees' views")
        await _mark_outbox_published(scratch)
        return total
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        await watcher.stop()


async def _topics_of(scratch: ServiceDefinition[Any]) -> set[str]:
    assert scratch.handlers is not None
    context = build_context(scratch)
    try:
        return {event.topic for event in scratch.handlers(context)}
    finally:
        await context.redis.aclose()
        await context.engine.dispose()


T = TypeVar("T")


async def _run(pool: ProcessPoolExecutor | None, job: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """A replay job, in a worker process of the pool (or here, without one)."""
    if pool is None:
        return await job(*args)
    return await asyncio.get_running_loop().run_in_executor(pool, _in_worker, job, *args)


def _in_worker(job: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run one replay job in a worker process: its own event loop, engine and broker clients."""
    loop_factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(job(*args))


async def _apply_partitions(service: str, partitions: Partitions, group_id: str) -> ReplayViews | None:
    """Apply the given partitions from their start to their end; the view work deferred, if any."""
    scratch = scratch_definition(definition(service))
    settings = scratch.settings
    assert scratch.handlers is not None
    context = build_context(scratch)
    deferred = scratch.replay_views() if scratch.replay_views is not None else None
    ends = {TopicPartition(topic, partition): end for topic, partition, end in partitions}
    # Partitions assigned directly, not through a group join: the partitions are already shared
    # among the workers, and each has one reader.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.consumer_batch_size,
    )
    dead_letters = make_producer(
        settings.kafka_bootstrap_servers, client_id=f"{settings.consumer_group}-replay"
    )
    await consumer.start()
    await dead_letters.start()
    stop = asyncio.Event()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        runner = EventConsumer(
            consumer=consumer,
            dead_letter_producer=dead_letters,
            group_id=settings.consumer_group,  # poison events go to the live dead-letter topic again
            session_factory=context.session_factory,
            processed_events=context.tables.processed_events,
            outbox=context.outbox,
            handlers=scratch.handlers(context),
            batch_size=settings.consumer_batch_size,
            replay_backlog=deferred,
            top_up=REPLAY_TOP_UP,
        )
        settle_garbage_collector()
        task = asyncio.create_task(runner.run(stop))
        settle = TANSU_SETTLE_SECONDS if settings.kafka_broker is BrokerKind.TANSU else 0.0
        last_committed, quiet_since = -1, 0.0
        while True:
            committed = [await consumer.committed(partition) or 0 for partition in ends]
            done = sum(min(offset, end) for offset, end in zip(committed, ends.values(), strict=True))
            if task.done():
                task.result()
            now = asyncio.get_running_loop().time()
            if sum(committed) != last_committed:
                last_committed, quiet_since = sum(committed), now
            # Reached the end offsets (and, on Tansu, nothing more was applied for a while: its end
            # offsets alone could stop the replay before the rest of a partition's last batch).
            if done >= sum(ends.values()) and now - quiet_since >= settle:
                break
            await asyncio.sleep(0.2)
        stop.set()
        await task
        return deferred
    finally:
        stop.set()
        await consumer.stop()
        await dead_letters.stop()
        await context.redis.aclose()
        await context.engine.dispose()


async def _refresh(service: str, piece: ReplayViews) -> int:
    """Refresh one piece of the deferred views; returns how many owners it covered."""
    scratch = scratch_definition(definition(service))
    engine = create_engine(scratch.settings)
    try:
        settle_garbage_collector()
        await piece.finish(create_session_factory(engine))
        return piece.owners
    finally:
        await engine.dispose()


async def _mark_outbox_published(scratch: ServiceDefinition[Any]) -> None:
    """Events the handlers emitted while rebuilding were published long ago by the live views."""
    engine = create_engine(scratch.settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await see_all_regions(session)
            await session.execute(scratch.tables.outbox.update().values(published_at=datetime.now(UTC)))
    finally:
        await engine.dispose()


async def swap(engine: AsyncEngine, live_schema: str, rebuilt_schema: str) -> str:
    """Make the rebuild live in one transaction; the old views stay under a dated name."""
    kept = f"{live_schema}_before_{datetime.now(UTC):%Y%m%d%H%M%S}"
    async with engine.begin() as connection:
        await connection.execute(text(f'ALTER SCHEMA "{live_schema}" RENAME TO "{kept}"'))
        await connection.execute(text(f'ALTER SCHEMA "{rebuilt_schema}" RENAME TO "{live_schema}"'))
    return kept


async def replay(
    service: str,
    *,
    swap_in: bool = False,
    region: str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ReplayReport:
    """Rebuild, compare (all regions, or one) and, when asked, swap one service's views."""
    live = definition(service)
    scratch = scratch_definition(live)
    started = time.monotonic()
    events = await rebuild(
        scratch, live_schema=live.settings.database_schema, progress=progress, workers=workers
    )
    engine = create_async_engine(live.settings.migration_database_url)
    try:
        tables = await compare(
            engine, live.settings.database_schema, scratch.settings.database_schema, region=region
        )
        kept = (
            await swap(engine, live.settings.database_schema, scratch.settings.database_schema)
            if swap_in
            else None
        )
    finally:
        await engine.dispose()
    return ReplayReport(service, events, time.monotonic() - started, tables, kept)


class TerminalProgress:
    """A one-line progress bar per stage on the terminal, ended once its stage is complete."""

    def __init__(self) -> None:
        self._ended: set[str] = set()

    def __call__(self, done: int, total: int, what: str) -> None:
        if what in self._ended:
            return  # the replay reports a finished stage again while it settles
        width = 40
        filled = width if total == 0 else int(width * done / total)
        percent = 100 if total == 0 else 100 * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what} ({percent}%)")
        if done >= total:
            sys.stderr.write("\n")
            self._ended.add(what)
        sys.stderr.flush()
