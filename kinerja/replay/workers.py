"""A replay's jobs, each in a worker process of its own: applying partitions, refreshing views.

Each job builds what it needs from the service's name (its own engine and broker clients), so only
names, offsets and view backlogs cross between processes. A worker process keeps one event loop for
all its jobs, and one engine for all the refresh pieces it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.util
import os
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from kinerja.replay.scratch import scratch_definition
from kinerja.services import bootstrap_module, definition
from shared.db import create_engine, create_session_factory
from shared.messaging.consumer import REPLAY_TOP_UP, EventConsumer, FetchWaits
from shared.messaging.kafka import make_producer
from shared.service_definition import ReplayViews
from shared.settings import BrokerKind
from shared.wiring import build_context, settle_garbage_collector

#: How long the applied offsets must stay still, once at the end offsets, before the replay stops
#: on Tansu (it reports a partition's end inside its last record batch); Apache Kafka's are exact.
TANSU_SETTLE_SECONDS = 1.0

#: Events a replay's batch holds at most (one transaction), unless the service's live batches are
#: larger. A live batch stays small enough to apply within the freshness target; a replay has no
#: such bound, and a larger batch costs less an event: its fixed statements and offset commit are
#: shared by more events, and more of an activity's events (a report, its verification hours later)
#: fold into one stored row and one touch of its view rows. A million-event rebuild's batches of
#: 2,000 wrote 1.42 contributions rows an activity, of 10,000 1.16; batches of 20,000 took ~100 MB
#: more of the workers' memory for little less CPU.
REPLAY_BATCH_SIZE = 10_000

#: How a worker process starts: never forked from the replay's process, which may hold threads by
#: then (asyncio's default executor resolving names, the broker clients, whatever its caller runs):
#: a child forked while another thread held a lock (the allocator's, a resolver's, a library's)
#: waits for it forever. On Linux a fork server forks them: a process started afresh (no threads)
#: that imports the replay's modules once (while the replay makes its schema; not the web stack nor
#: the migrations' tool, which no worker uses), so each worker begins with them imported (spawned,
#: each imported the service anew). macOS's system libraries are not safe to fork at all: spawned
#: there.
START_METHOD = "forkserver" if sys.platform == "linux" else "spawn"

#: Where each partition of the replayed topics ends: ``(topic, partition, end offset)``.
Partitions = list[tuple[str, int, int]]

T = TypeVar("T")

#: This worker process's event loop, kept for all its jobs (None outside a worker process): the
#: refresh's engine below is bound to it.
_worker_loop: asyncio.Runner | None = None

#: This worker process's engine for the views' refresh, by service, kept across the pieces it runs:
#: an engine a piece connected again, asked PostgreSQL its settings and types, and compiled and
#: prepared every statement again (5-7% of the refresh's Python in rebuild22's profile).
_refresh_engines: dict[str, AsyncEngine] = {}


async def run_job(
    pool: ProcessPoolExecutor | None, job: Callable[..., Coroutine[Any, Any, T]], *args: Any
) -> T:
    """A replay job, in a worker process of the pool (or here, without one)."""
    if pool is None:
        return await job(*args)
    return await asyncio.get_running_loop().run_in_executor(pool, _in_worker, job, *args)


def worker_pool(service: str, workers: int) -> ProcessPoolExecutor | None:
    """The replay's worker processes, all started now (none for one worker: the jobs run here).

    A pool starts a process only when a job finds none idle: the first phase's job would wait for
    one to start and make itself ready (``_prepare``), and the other workers' partitions, later,
    for the rest. Started at once, each is ready while the replay makes its schema and asks the
    broker. Returns once the workers exist, after the fork server's imports the first time: call
    it in a thread beside the schema's making.
    """
    if workers <= 1:
        return None
    context = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        context.set_forkserver_preload(fork_server_preload(service))
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_take_environment, initargs=(dict(os.environ),)
    )
    for _ in range(workers):
        pool.submit(_prepare, service)
    return pool


def fork_server_preload(service: str) -> list[str]:
    """What the fork server imports when it starts (with this process's first pool; it lives as long
    as this process), in order: the jobs' module, the service's definition, then ``preloaded``, which
    settles the garbage collector over them before any worker is forked."""
    return [__name__, bootstrap_module(service).__name__, "kinerja.replay.preloaded"]


def _take_environment(environment: dict[str, str]) -> None:
    """A worker's environment as the replay's process has it now (its settings are read from it), not
    as the fork server found it when it started (for an earlier replay, maybe)."""
    os.environ.clear()
    os.environ.update(environment)


def _prepare(service: str) -> None:
    """Make a worker ready to apply events and refresh views: this module (unpickling this function)
    and the service's definition (its handlers, tables and views) imported, and what exists now
    settled out of the collector's way (else its first job's collection walks it all; what the fork
    server imported is already, ``preloaded``)."""
    definition(service)
    settle_garbage_collector()


def _in_worker(job: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run one replay job in a worker process, on the process's event loop (made by its first job,
    closed with its refresh engines when the process ends)."""
    global _worker_loop
    if _worker_loop is None:
        loop_factory = None
        with contextlib.suppress(ImportError):
            import uvloop

            loop_factory = uvloop.new_event_loop
        _worker_loop = asyncio.Runner(loop_factory=loop_factory)
        # Run as the process ends (a pool's worker leaves after its last job), before it exits.
        multiprocessing.util.Finalize(None, _close_worker_loop, exitpriority=10)
    return _worker_loop.run(job(*args))


def _close_worker_loop() -> None:
    """Close this worker's refresh engines, then its event loop."""
    if _worker_loop is None:
        return
    for engine in _refresh_engines.values():
        _worker_loop.run(engine.dispose())
    _refresh_engines.clear()
    _worker_loop.close()


async def apply_partitions(service: str, partitions: Partitions, group_id: str) -> ReplayViews | None:
    """Apply the given partitions from their start to their end; the view work deferred, if any."""
    scratch = scratch_definition(definition(service))
    settings = scratch.settings
    assert scratch.handlers is not None
    context = build_context(scratch)
    deferred = scratch.replay_views() if scratch.replay_views is not None else None
    ends = {TopicPartition(topic, partition): end for topic, partition, end in partitions}
    batch_size = max(settings.consumer_batch_size, REPLAY_BATCH_SIZE)
    # Partitions assigned directly, not through a group join: the partitions are already shared
    # among the workers, and each has one reader.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=batch_size,
        # aiokafka keeps one fetch in flight a broker: a partition read to its end waits at the
        # broker up to this long (500 ms by default), and the worker's other partitions with it
        # (a worker waited 13-15 s of a million's 47 s, one core idle; session 24). A replay is
        # never idle (it stops at its ends): the busy wait throughout.
        fetch_max_wait_ms=FetchWaits.of(settings).busy_ms,
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
            batch_size=batch_size,
            replay_backlog=deferred,
            top_up=REPLAY_TOP_UP,
            time_to_effect=False,
            sole_reader=True,  # each partition is this worker's alone (``share_by_events``)
            collect_between_batches=True,  # the process applies nothing else meanwhile
        )
        settle = TANSU_SETTLE_SECONDS if settings.kafka_broker is BrokerKind.TANSU else 0.0
        clock = asyncio.get_running_loop().time
        last_applied, quiet_since = -1, 0.0

        def reached_the_ends() -> bool:
            """Whether the end offsets are applied (and, on Tansu, nothing more was applied for a
            while: its end offsets alone could stop the replay before the rest of a partition's last
            batch). The runner asks before each fetch: it stops as soon as its last batch is
            committed, where a watcher polling five times a second, and the runner's fetch waiting
            meanwhile, kept each phase's end waiting ~0.2 s."""
            nonlocal last_applied, quiet_since
            applied = _applied(runner, ends)
            if sum(applied) != last_applied:
                last_applied, quiet_since = sum(applied), clock()
            done = sum(min(offset, end) for offset, end in zip(applied, ends.values(), strict=True))
            return done >= sum(ends.values()) and clock() - quiet_since >= settle

        settle_garbage_collector()
        await runner.run(stop, until=reached_the_ends)
        return deferred
    finally:
        stop.set()
        await consumer.stop()
        await dead_letters.stop()
        await context.redis.aclose()
        await context.engine.dispose()


def _applied(runner: EventConsumer[Any], ends: dict[TopicPartition, int]) -> list[int]:
    """How far the runner has applied each partition: its effects committed in the database.

    Read from the runner's own record of its progress, not asked of the broker (a request per
    partition at every check was a tenth of a worker's time).
    """
    progress = runner.lag.partitions
    return [
        (known.next_offset or 0) if (known := progress.get((tp.topic, tp.partition))) else 0 for tp in ends
    ]


async def refresh(service: str, piece: ReplayViews) -> int:
    """Refresh one piece of the deferred views; returns how many owners it covered.

    In a worker process, on the engine its earlier pieces used; here (no workers), on one of its own.
    """
    kept = _worker_loop is not None
    engine = _refresh_engines.get(service) if kept else None
    if engine is None:
        engine = create_engine(scratch_definition(definition(service)).settings)
        if kept:
            _refresh_engines[service] = engine
    try:
        settle_garbage_collector()
        await piece.finish(create_session_factory(engine))
        return piece.owners
    finally:
        if not kept:
            await engine.dispose()
