"""The consumer runner: batches from Kafka, each event applied once, offsets committed after the effect."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from asyncpg.exceptions import InternalClientError
from pydantic import ValidationError
from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import EVENT_TYPES, Envelope, Event, dead_letter_topic
from shared.db import REGION_SETTING, insert_from_arrays
from shared.messaging.lag import LagTracker, keep_lag_fresh
from shared.messaging.scope import Backlog, Batch, HandlerScope
from shared.observability import (
    CONSUMER_BATCH_SIZE,
    EVENT_TO_EFFECT,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    correlation_id_var,
)
from shared.outbox import OutboxWriter

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 10.0
#: A handler that keeps raising something other than a transient fault is a poison event after this.
MAX_HANDLER_ATTEMPTS = 3
ERROR_TEXT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class TopUp:
    """Once a batch's first records arrived, how long the runner waits for more each time (it stops
    when none came), and at most in all: a little latency for much fewer, larger transactions."""

    wait_ms: int
    limit_ms: int


#: The live consumer's: events reach the views within tens of milliseconds.
LIVE_TOP_UP = TopUp(wait_ms=10, limit_ms=50)
#: A replay's: nobody waits on a single event, and every batch has a fixed cost (the broker may
#: hand out only a few records per partition and fetch).
REPLAY_TOP_UP = TopUp(wait_ms=250, limit_ms=2000)


class DeadLetterReason(StrEnum):
    """Why an event was dead-lettered: a small closed set that dashboards can count by."""

    UNDECODABLE = "undecodable"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_PAYLOAD = "invalid_payload"
    REJECTED = "rejected"
    HANDLER_FAILED = "handler_failed"


class EventRejected(Exception):
    """Raised by a handler when an event can never be applied (e.g. it refers to an unknown plan)."""


@dataclass(frozen=True, slots=True)
class ConsumedEvent:
    """A decoded event with where it came from."""

    envelope: Envelope
    event: Event | None  # None: another consumer's event on a shared topic, skipped
    record: ConsumerRecord[bytes, bytes]


#: A handler applies one event inside the open transaction of the batch, with the scope the runner
#: gives it (``shared.messaging.scope``): ``Handler[None]`` where no replay leaves work to its end,
#: ``Handler[ViewBacklog]`` where a replay's handlers record in a ``ViewBacklog``.
Handler = Callable[[HandlerScope[Backlog], Any, Envelope], Awaitable[None]]


_PROCESSED_COLUMNS = ("event_id", "topic", "partition", "offset")


def _mark_batch_processed_statement(processed: Table) -> Any:
    """Record a batch's events as processed with one statement; returns the ids new to the table."""
    return (
        insert_from_arrays(processed, _PROCESSED_COLUMNS)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(processed.c.event_id)
    )


def _region_of(item: ConsumedEvent) -> str:
    return item.envelope.region_id


#: PostgreSQL's answers while it is unavailable (class 08: connection exception; 57P01-57P03: shut
#: down or starting up), which asyncpg raises as errors SQLAlchemy wraps as plain DBAPIErrors.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def is_transient_failure(exc: BaseException) -> bool:
    """Whether a failure comes from the infrastructure (retry the batch) rather than from the event
    (dead-letter it): a database restart must never turn a valid event into a dead letter."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or _database_unavailable(exc)):
        return True
    return isinstance(exc, OSError | ConnectionError | TimeoutError | KafkaError)


def _database_unavailable(exc: DBAPIError) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        # A connection broken mid-statement leaves asyncpg "another operation is in progress".
        if isinstance(cause, InternalClientError):
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        cause = cause.__cause__
    return False


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
    ) -> None:
        self._consumer = consumer
        self._top_up = top_up
        self._outbox = outbox
        self._replay_backlog = replay_backlog
        self._dlq_producer = dead_letter_producer
        self._group_id = group_id
        self._session_factory = session_factory
        self._processed = processed_events
        self._handlers = {cls.event_type(): handler for cls, handler in handlers.items()}
        self._batch_size = batch_size
        self._mark_batch_processed = _mark_batch_processed_statement(processed_events)
        self.lag = LagTracker(group_id)
        # Every labelled series exists from the start, at 0: a panel shows "0", not "No data", and
        # an alert on increase() sees the first dead letter as an increase.
        for topic in self.topics:
            EVENTS_CONSUMED.labels(topic)
            EVENTS_DUPLICATE.labels(topic)
            EVENTS_FAILED.labels(topic)
            EVENT_TO_EFFECT.labels(topic)
            for reason in DeadLetterReason:
                EVENTS_DEAD_LETTERED.labels(topic, reason.value)

    @property
    def topics(self) -> set[str]:
        """Topics this consumer needs, derived from the events it handles."""
        return {EVENT_TYPES[name].topic for name in self._handlers}

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until stopped; survives broker restarts and rebalances."""
        # The lag is refreshed beside the loop, so it keeps growing while a batch is stuck.
        lag_refresher = asyncio.create_task(keep_lag_fresh(self._consumer, self.lag, stop))
        backoff = 0.2
        try:
            while not stop.is_set():
                try:
                    batches = await self._fetch()
                    backoff = 0.2
                except KafkaError as exc:
                    log.warning("fetch failed, retrying", extra={"fields": {"error": repr(exc)[:300]}})
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    continue
                if stop.is_set():
                    return
                await self.process_batches(batches)
        finally:
            lag_refresher.cancel()
            self.lag.forget(set())  # a stopped consumer reports no partition; the next owner does

    async def _fetch(self) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        """Up to a batch of records: what the first fetch brings, topped up with what follows at once.

        The broker answers a fetch with little at a time (a few records per partition), while each
        transaction has a fixed cost; so, as long as more keeps arriving within the top-up's wait,
        the batch is filled up to ``batch_size`` for at most the top-up's limit. When the topics
        are quiet the first records wait only one short top-up.
        """
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = await self._consumer.getmany(
            timeout_ms=200, max_records=self._batch_size
        )
        count = sum(len(records) for records in batches.values())
        deadline = time.monotonic() + self._top_up.limit_ms / 1000
        while 0 < count < self._batch_size:
            left_ms = (deadline - time.monotonic()) * 1000
            if left_ms <= 0:
                break
            more = await self._consumer.getmany(
                timeout_ms=int(min(self._top_up.wait_ms, left_ms)) or 1, max_records=self._batch_size - count
            )
            if not more:
                break
            for partition, records in more.items():
                batches.setdefault(partition, []).extend(records)
                count += len(records)
        return batches

    async def process_partition_batch(
        self, partition: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        """Decode, apply and acknowledge one partition's batch, in order."""
        await self.process_batches({partition: records})

    async def process_batches(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        """Decode, apply (one transaction) and acknowledge several partitions' batches, each in order.

        A partition's events keep their order (and so every aggregate's, being keyed to one
        partition); the offsets are committed only after the effect of every partition's batch.
        """
        batches = {partition: records for partition, records in batches.items() if records}
        if not batches:
            return
        CONSUMER_BATCH_SIZE.observe(sum(len(records) for records in batches.values()))
        for partition, records in batches.items():
            self.lag.fetched(partition.topic, partition.partition, records[0].timestamp / 1000)
        decoded: list[ConsumedEvent] = []
        for records in batches.values():
            for record in records:
                outcome = self._decode(record)
                if isinstance(outcome, ConsumedEvent):
                    decoded.append(outcome)
                else:
                    reason, error = outcome
                    await self._dead_letter(record, reason, error)
        if decoded:
            await self._apply_with_retries(decoded)
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

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> ConsumedEvent | tuple[DeadLetterReason, str]:
        try:
            envelope = Envelope.model_validate(orjson.loads(record.value or b""))
        except (orjson.JSONDecodeError, ValidationError, TypeError) as exc:
            return DeadLetterReason.UNDECODABLE, str(exc)
        if envelope.type not in self._handlers:
            if envelope.type in EVENT_TYPES:
                # Another consumer's event on a shared topic: not ours to apply, not poison either.
                return ConsumedEvent(envelope=envelope, event=None, record=record)
            return DeadLetterReason.UNKNOWN_TYPE, f"unknown event type {envelope.type!r}"
        try:
            event = EVENT_TYPES[envelope.type].model_validate(envelope.payload)
        except ValidationError as exc:
            return DeadLetterReason.INVALID_PAYLOAD, str(exc)
        if event.region_id != envelope.region_id:
            return DeadLetterReason.INVALID_PAYLOAD, "payload region differs from the envelope's region"
        return ConsumedEvent(envelope=envelope, event=event, record=record)

    async def _apply_with_retries(self, events: list[ConsumedEvent]) -> None:
        backoff = 0.2
        attempts = 0
        while True:
            try:
                await self._apply(events, isolate_failures=attempts > 0)
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

    async def _apply(self, events: list[ConsumedEvent], *, isolate_failures: bool) -> None:
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
                await self._dead_letter(item.record, reason, error)
                await self._mark_processed(session, item)
        done = datetime.now(UTC)
        by_topic: dict[str, list[ConsumedEvent]] = {}
        for item in applied:
            by_topic.setdefault(item.record.topic, []).append(item)
        for topic, items in by_topic.items():  # each metric's child looked up once per topic
            EVENTS_CONSUMED.labels(topic).inc(len(items))
            to_effect = EVENT_TO_EFFECT.labels(topic)
            for item in items:
                to_effect.observe(max((done - item.envelope.occurred_at).total_seconds(), 0.0))

    async def _apply_all(self, batch: Batch[Backlog], items: list[ConsumedEvent]) -> list[ConsumedEvent]:
        """The fast path: one statement records the whole batch as processed, then each new event applies."""
        if not items:
            return []
        session = batch.session
        # The first delivery's position wins for in-batch duplicates.
        firsts = list({item.envelope.event_id: item for item in reversed(items)}.values())
        fresh = set(
            (
                await session.execute(
                    self._mark_batch_processed,
                    {
                        "event_id": [item.envelope.event_id for item in firsts],
                        "topic": [item.record.topic for item in firsts],
                        "partition": [item.record.partition for item in firsts],
                        "offset": [item.record.offset for item in firsts],
                    },
                )
            ).scalars()
        )
        applied: list[ConsumedEvent] = []
        region: str | None = None
        # Region by region (a stable sort keeps each partition's order within a region): regions
        # share nothing, so only the order within one matters, and the region is set once per region
        # instead of at every switch (a partition interleaves many regions' employees).
        for item in sorted(items, key=_region_of):
            if item.envelope.event_id not in fresh:
                EVENTS_DUPLICATE.labels(item.record.topic).inc()
                continue
            fresh.discard(item.envelope.event_id)  # a second copy in the same batch is a duplicate too
            if item.envelope.region_id != region:
                await session.execute(select(func.set_config(REGION_SETTING, item.envelope.region_id, True)))
                region = item.envelope.region_id
            token = correlation_id_var.set(item.envelope.correlation_id)
            try:
                await self._handlers[item.envelope.type](
                    batch.scope(item.envelope), item.event, item.envelope
                )
            finally:
                correlation_id_var.reset(token)
            applied.append(item)
        return applied

    async def _apply_one(self, batch: Batch[Backlog], item: ConsumedEvent) -> bool:
        """Apply one event unless it was applied before; returns whether it was applied now."""
        session = batch.session
        if not await self._mark_processed(session, item):
            EVENTS_DUPLICATE.labels(item.record.topic).inc()
            return False
        await session.execute(select(func.set_config(REGION_SETTING, item.envelope.region_id, True)))
        token = correlation_id_var.set(item.envelope.correlation_id)
        try:
            await self._handlers[item.envelope.type](batch.scope(item.envelope), item.event, item.envelope)
        finally:
            correlation_id_var.reset(token)
        return True

    async def _mark_processed(self, session: AsyncSession, item: ConsumedEvent) -> bool:
        inserted = await session.execute(
            insert(self._processed)
            .values(
                event_id=item.envelope.event_id,
                topic=item.record.topic,
                partition=item.record.partition,
                offset=item.record.offset,
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(self._processed.c.event_id)
        )
        return inserted.first() is not None

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], reason: DeadLetterReason, error: str
    ) -> None:
        headers = [
            ("origin_topic", record.topic.encode()),
            ("origin_partition", str(record.partition).encode()),
            ("origin_offset", str(record.offset).encode()),
            ("consumer_group", self._group_id.encode()),
            ("reason", reason.value.encode()),
            ("error", error[:ERROR_TEXT_LIMIT].encode()),
        ]
        await self._dlq_producer.send_and_wait(
            dead_letter_topic(self._group_id), value=record.value, key=record.key, headers=headers
        )
        EVENTS_DEAD_LETTERED.labels(record.topic, reason.value).inc()
        log.warning(
            "event dead-lettered",
            extra={"fields": {"topic": record.topic, "offset": record.offset, "reason": reason.value}},
        )
