"""The consumer runner: batches from Kafka, each event applied once, offsets committed after the effect."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import Token
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import Any, Generic

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import EVENT_TYPES, EnvelopeHead, Event
from shared.db import restrict_to_region
from shared.messaging.consumer.dead_letters import DeadLetterReason, DeadLetters
from shared.messaging.consumer.decode import ConsumedEvent, EventDecoder
from shared.messaging.consumer.failures import MAX_HANDLER_ATTEMPTS, EventRejected, is_transient_failure
from shared.messaging.consumer.fetch import LIVE_TOP_UP, FetchWaits, Records, TopUp, fetch_batch
from shared.messaging.consumer.histograms import observe_all
from shared.messaging.consumer.inbox import Inbox
from shared.messaging.lag import LagTracker, keep_lag_fresh
from shared.messaging.scope import Backlog, Batch, HandlerScope
from shared.observability import (
    CONSUMER_BATCH_SECONDS,
    CONSUMER_BATCH_SIZE,
    EVENT_TO_EFFECT,
    EVENT_TO_EFFECT_PART,
    EVENT_TO_EFFECT_PARTS,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    correlation_id_var,
)
from shared.outbox import OutboxWriter

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 10.0

#: A handler applies one event inside the open transaction of the batch, with the scope the runner
#: gives it (``shared.messaging.scope``): ``Handler[None]`` where no replay leaves work to its end,
#: ``Handler[ViewBacklog]`` where a replay's handlers record in a ``ViewBacklog``.
Handler = Callable[[HandlerScope[Backlog], Any, EnvelopeHead], Awaitable[None]]


#: A consumed event's region (a C call: a Python function was a frame an event).
_region_of = attrgetter("region_id")


@contextlib.contextmanager
def _collector_held() -> Iterator[None]:
    """The cyclic garbage collector off while a batch is applied, on again after it.

    A replay's batch of 10,000 events holds ~15 new container objects an event (records, decoded
    events, states, rows) until it is committed, so the collector's young generation filled up
    inside it one and a half times a batch, and each collection walked ~100,000 live objects to
    find none free (4.3% of a worker's instructions). Once the batch is done its objects are freed
    by their counts, and the few it leaves (the backlog's new keys, ~60 objects in cycles a batch)
    are collected as before, between batches, when they add up to the threshold.
    """
    if not gc.isenabled():  # someone else holds it: theirs to give back
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True, slots=True)
class BatchClock:
    """When a batch's first records arrived, and when the consumer was last free before (both
    ``time.time()``): what splits each event's time to effect into its parts."""

    arrived: float
    free_since: float

    @classmethod
    def now(cls) -> BatchClock:
        moment = time.time()
        return cls(moment, moment)

    def parts(self, item: ConsumedEvent, done: float) -> tuple[float, float, float, float]:
        """An event's relay, broker, waiting and applying seconds (``EVENT_TO_EFFECT_PARTS``).

        The record's timestamp is the producer's (the relay's send); an event that reached the
        broker while the consumer was busy with the batch before waited for it, not for the broker.
        """
        recorded = item.record.timestamp / 1000
        fetched = max(self.arrived, recorded)
        waiting = min(max(self.free_since - recorded, 0.0), fetched - recorded)
        return (
            max(recorded - item.envelope.occurred_at.timestamp(), 0.0),
            fetched - recorded - waiting,
            waiting,
            max(done - fetched, 0.0),
        )

    def times(self, items: list[ConsumedEvent], done: float) -> tuple[list[float], list[list[float]]]:
        """Each event's time to effect, and each part's seconds (``parts``) by part, in one pass.

        Each event's occurrence is read once (an aware datetime's instant asks its zone), and the
        parts are gathered as they are computed: the five lists were a comprehension, a generator
        of tuples and their transposition, 4.5 µs an event. ``max`` and ``min`` are written as the
        comparisons they make (``max(x, 0.0)`` is ``0.0 if x < 0.0 else x``), and each list's
        ``append`` is looked up once: four calls of builtins and five method look-ups an event.
        """
        arrived, free_since = self.arrived, self.free_since
        to_effect: list[float] = []
        relay: list[float] = []
        broker: list[float] = []
        waited: list[float] = []
        applying: list[float] = []
        add_to_effect, add_relay, add_broker = to_effect.append, relay.append, broker.append
        add_waited, add_applying = waited.append, applying.append
        for item in items:
            occurred = item.envelope.occurred_at.timestamp()
            recorded = item.record.timestamp / 1000
            fetched = arrived if arrived > recorded else recorded
            idle, in_flight = free_since - recorded, fetched - recorded
            idle = 0.0 if idle < 0.0 else idle
            waiting = in_flight if in_flight < idle else idle
            late, relayed, applied = done - occurred, recorded - occurred, done - fetched
            add_to_effect(0.0 if late < 0.0 else late)
            add_relay(0.0 if relayed < 0.0 else relayed)
            add_broker(in_flight - waiting)
            add_waited(waiting)
            add_applying(0.0 if applied < 0.0 else applied)
        return to_effect, [relay, broker, waited, applying]


class EventConsumer(Generic[Backlog]):
    """Applies events with their de-duplication row in one transaction, then commits the offset.

    Its handlers and a replay's backlog agree on the backlog's type, so mypy checks what each
    handler finds as its scope's ``replay_backlog``.
    """

    def __init__(
        self,
        *,
        consumer: AIOKafkaConsumer,
        dead_letter_producer: AIOKafkaProducer,
        group_id: str,
        session_factory: async_sessionmaker[AsyncSession],
        processed_events: Table,
        outbox: OutboxWriter,
        handlers: Mapping[type[Event], Handler[Backlog]],
        batch_size: int = 500,
        replay_backlog: Backlog | None = None,
        top_up: TopUp = LIVE_TOP_UP,
        fetch_waits: FetchWaits | None = None,
        time_to_effect: bool = True,
        sole_reader: bool = False,
        collect_between_batches: bool = False,
    ) -> None:
        self._consumer = consumer
        self._top_up = top_up
        # The fetches' waits by whether the topics are quiet (``FetchWaits``); none: as made.
        self._fetch_waits = fetch_waits
        # Each event's time to effect and its parts (five histograms, 3 µs an event): a replay's
        # events occurred long ago, so it turns them off.
        self._time_to_effect = time_to_effect
        self._outbox = outbox
        self._replay_backlog = replay_backlog
        self._dead_letters = DeadLetters(dead_letter_producer, group_id)
        self._session_factory = session_factory
        # A replay's partitions are read from their start by this consumer alone: its inbox expects
        # every event new (``Inbox``'s ``mostly_new``).
        self._inbox = Inbox(processed_events, mostly_new=sole_reader)
        # A process that runs nothing but this consumer (a replay's worker) keeps the cyclic
        # collector out of its batches (``_collector_held``).
        self._collect_between_batches = collect_between_batches
        self._handlers = {cls.event_type(): handler for cls, handler in handlers.items()}
        self._decoder = EventDecoder(self._handlers)
        self._batch_size = batch_size
        self.lag = LagTracker(group_id)
        # Every labelled series exists from the start, at 0: a panel shows "0", not "No data", and
        # an alert on increase() sees the first dead letter as an increase.
        for topic in self.topics:
            EVENTS_CONSUMED.labels(topic)
            EVENTS_DUPLICATE.labels(topic)
            EVENTS_FAILED.labels(topic)
            EVENT_TO_EFFECT.labels(topic)
            for part in EVENT_TO_EFFECT_PARTS:
                EVENT_TO_EFFECT_PART.labels(topic, part)
            for reason in DeadLetterReason:
                EVENTS_DEAD_LETTERED.labels(topic, reason.value)

    @property
    def topics(self) -> set[str]:
        """Topics this consumer needs, derived from the events it handles."""
        return {EVENT_TYPES[name].topic for name in self._handlers}

    async def run(self, stop: asyncio.Event, until: Callable[[], bool] | None = None) -> None:
        """Consume until stopped, or until ``until()`` holds before a fetch (a replay that applied
        everything it was to apply); survives broker restarts and rebalances."""
        # The lag is refreshed beside the loop, so it keeps growing while a batch is stuck.
        lag_refresher = asyncio.create_task(keep_lag_fresh(self._consumer, self.lag, stop))
        backoff = 0.2
        free_since = time.time()
        try:
            while not stop.is_set():
                if until is not None and until():
                    return
                try:
                    batches, arrived = await fetch_batch(
                        self._consumer, self._batch_size, self._top_up, self._fetch_waits
                    )
                    backoff = 0.2
                except KafkaError as exc:
                    log.warning("fetch failed, retrying", extra={"fields": {"error": repr(exc)[:300]}})
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    continue
                if stop.is_set():
                    return
                await self.process_batches(batches, BatchClock(arrived, free_since))
                free_since = time.time()
        finally:
            lag_refresher.cancel()
            self.lag.forget(set())  # a stopped consumer reports no partition; the next owner does

    async def process_batches(self, batches: Records, clock: BatchClock | None = None) -> None:
        """Decode, apply (one transaction) and acknowledge several partitions' batches, each in order.

        A partition's events keep their order (and so every aggregate's, being keyed to one
        partition); the offsets are committed only after the effect of every partition's batch.
        """
        batches = {partition: records for partition, records in batches.items() if records}
        if not batches:
            return
        with _collector_held() if self._collect_between_batches else contextlib.nullcontext():
            await self._process(batches, clock or BatchClock.now())

    async def _process(self, batches: Records, clock: BatchClock) -> None:
        CONSUMER_BATCH_SIZE.observe(sum(len(records) for records in batches.values()))
        for partition, records in batches.items():
            self.lag.fetched(partition.topic, partition.partition, records[0].timestamp / 1000)
        decoded, poison = self._decoder.decode_all(chain.from_iterable(batches.values()))
        for record, reason, error in poison:
            await self._dead_letters.send(record, reason, error)
        if decoded:
            await self._apply_with_retries(decoded, clock)
        CONSUMER_BATCH_SECONDS.observe(max(time.time() - clock.arrived, 0.0))
        try:
            await self._consumer.commit(
                {partition: records[-1].offset + 1 for partition, records in batches.items()}
            )
        except (CommitFailedError, KafkaError) as exc:
            # The effects are committed and de-duplicated; a redelivery after a rebalance is harmless.
            log.warning("offset commit failed", extra={"fields": {"error": repr(exc)[:300]}})
        # A rebalance may have taken partitions away meanwhile (another process of the service
        # joined or left): their lag is the new owner's to report, and asking the client about a
        # partition it no longer holds fails.
        still_ours = self._consumer.assignment()
        for partition, records in batches.items():
            if partition not in still_ours:
                continue
            self.lag.applied(
                partition.topic, partition.partition, records[-1].offset + 1, records[-1].timestamp / 1000
            )
            end = self._consumer.highwater(partition)  # from the fetch: fresher than the last refresh
            if end is not None:
                self.lag.ends([(partition.topic, partition.partition, end)])

    async def _apply_with_retries(self, events: list[ConsumedEvent], clock: BatchClock) -> None:
        backoff = 0.2
        attempts = 0
        while True:
            try:
                await self._apply(events, clock, isolate_failures=attempts > 0)
                return
            except Exception as exc:
                attempts += 1
                if not is_transient_failure(exc) and attempts >= MAX_HANDLER_ATTEMPTS:
                    raise
                for item in events:
                    EVENTS_FAILED.labels(item.record.topic).inc()
                log.warning(
                    "applying a batch failed, retrying",
                    extra={"fields": {"error": repr(exc)[:300], "attempt": attempts}},
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _apply(self, events: list[ConsumedEvent], clock: BatchClock, *, isolate_failures: bool) -> None:
        """Apply a batch in one transaction; after a failure, isolate each event in a savepoint."""
        poison: list[tuple[ConsumedEvent, DeadLetterReason, str]] = []
        applied: list[ConsumedEvent] = []
        async with self._session_factory() as session, session.begin():
            batch = Batch(session, outbox=self._outbox, replay_backlog=self._replay_backlog)
            if not isolate_failures:
                applied = await self._apply_all(batch, [item for item in events if item.event is not None])
            for item in events:
                if item.event is None or not isolate_failures:
                    continue
                try:
                    async with session.begin_nested():
                        if await self._apply_one(batch, item):
                            applied.append(item)
                        # Isolated, each event's deferred work and events fail with it, not with the batch.
                        await batch.finish()
                except EventRejected as exc:
                    poison.append((item, DeadLetterReason.REJECTED, str(exc)))
                    batch.discard()
                except Exception as exc:
                    if is_transient_failure(exc):
                        raise
                    poison.append((item, DeadLetterReason.HANDLER_FAILED, repr(exc)))
                    batch.discard()
            await batch.finish()
            # Dead letters are sent before the transaction commits: if sending fails nothing is
            # committed and the whole batch is retried, so a poison event is never silently dropped.
            for item, reason, error in poison:
                await self._dead_letters.send(item.record, reason, error)
                await self._inbox.record(session, item)
        done = time.time()
        # A defaultdict, not ``setdefault(topic, [])``: that makes a list an event to throw away.
        by_topic: defaultdict[str, list[ConsumedEvent]] = defaultdict(list)
        for item in applied:
            by_topic[item.record.topic].append(item)
        for topic, items in by_topic.items():  # each metric's child looked up once per topic
            EVENTS_CONSUMED.labels(topic).inc(len(items))
            if not self._time_to_effect:
                continue
            to_effect, by_part = clock.times(items, done)
            observe_all(EVENT_TO_EFFECT.labels(topic), to_effect)
            for part, seconds in zip(EVENT_TO_EFFECT_PARTS, by_part, strict=True):
                observe_all(EVENT_TO_EFFECT_PART.labels(topic, part), seconds)

    async def _apply_all(self, batch: Batch[Backlog], items: list[ConsumedEvent]) -> list[ConsumedEvent]:
        """The fast path: one statement records the whole batch as processed, then each new event applies."""
        if not items:
            return []
        session = batch.session
        fresh = await self._inbox.record_batch(session, items)
        applied: list[ConsumedEvent] = []
        region: str | None = None
        # ``_handle``'s steps, written out: a coroutine less made and run an event. Each handler runs
        # under its event's correlation id, set only when it is another than the one set (a
        # replay's events mostly carry none, and a set and its reset cost ~N instructions an
        # event); the one before the batch is set again however the loop ends.
        correlation_id = correlation_id_var.get()
        first: Token[str | None] | None = None
        try:
            # Region by region (a stable sort keeps each partition's order within a region): regions
            # share nothing, so only the order within one matters, and the region is set once per
            # region instead of at every switch (a partition interleaves many regions' employees).
            for item in sorted(items, key=_region_of):
                event_id = item.event_id.int  # as the inbox answers (see ``record_batch``)
                if event_id not in fresh:
                    EVENTS_DUPLICATE.labels(item.record.topic).inc()
                    continue
                fresh.discard(event_id)  # a second copy in the same batch is a duplicate too
                if item.correlation_id is not correlation_id:
                    correlation_id = item.correlation_id
                    token = correlation_id_var.set(correlation_id)
                    first = first or token
                if item.region_id != region:
                    await restrict_to_region(session, item.region_id)
                    region = item.region_id
                await self._handlers[item.type](batch.scope(item.envelope), item.event, item.envelope)
                applied.append(item)
        finally:
            if first is not None:
                correlation_id_var.reset(first)
        return applied

    async def _apply_one(self, batch: Batch[Backlog], item: ConsumedEvent) -> bool:
        """Apply one event unless it was applied before; returns whether it was applied now."""
        session = batch.session
        if not await self._inbox.record(session, item):
            EVENTS_DUPLICATE.labels(item.record.topic).inc()
            return False
        await restrict_to_region(session, item.region_id)
        await self._handle(batch, item)
        return True

    async def _handle(self, batch: Batch[Backlog], item: ConsumedEvent) -> None:
        """Apply one event with its handler (its region already set), under the event's correlation id."""
        token = correlation_id_var.set(item.correlation_id)
        try:
            await self._handlers[item.type](batch.scope(item.envelope), item.event, item.envelope)
        finally:
            correlation_id_var.reset(token)
