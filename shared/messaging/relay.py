"""The outbox relay: publishes committed outbox rows to the broker, in order, at least once.

A row holds one event, or several of one partition key (``shared.outbox.envelopes_of``: reporting's
intake writes an employee's events of a transaction as one row); each event is its own message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import typing
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError
from sqlalchemy import (
    Delete,
    Integer,
    Table,
    Text,
    any_,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import see_all_regions
from shared.messaging.kafka import all_topics, ensure_topics, partition_of, topics_missing
from shared.observability import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, RELAY_FAILURES
from shared.outbox import envelopes_of

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0
#: How long a claimed batch waits for the broker's acknowledgements. An idempotent producer retries
#: for as long as the broker is away; past this the claim is rolled back, so the rows are released
#: and the backlog is reported, and they go out again later.
DELIVERY_TIMEOUT_SECONDS = 15.0
#: Published rows are kept a while for inspection and replays of the outbox, then pruned.
PUBLISHED_RETENTION = timedelta(days=2)
#: Rows deleted per statement when pruning (a prune repeats it until fewer are left).
PRUNE_BATCH = 20_000
#: A claim takes rows until their values reach this many bytes (the row that reaches it included),
#: besides its count of rows: a row may hold a batch request's 500 events (~0.5 MB), and 2,000 of
#: those would be a gigabyte in one transaction. 2,000 rows of one event each are ~2.2 MB.
CLAIM_BYTES = 4 * 1024 * 1024


#: The first key of the relays' advisory lock (the second is the outbox table's oid).
RELAY_LOCK_CLASS = 0x6B6E6A  # "knj"

#: After this long without a row to send, an outbox counts as quiet and is polled every
#: ``QUIET_POLL_SECONDS`` instead of every poll interval, until a poll finds rows again.
QUIET_AFTER_SECONDS = 1.0
QUIET_POLL_SECONDS = 0.25


@dataclass(slots=True)
class PollPace:
    """How long a relay waits after a poll: none while a backlog remains, else until a poll interval
    after the poll began while rows come, and longer once the outbox is quiet.

    Each poll is a transaction (begin, the region setting, the claim, commit) and, with rows, a
    metadata request and a produce request to the broker, whatever the rows it sends. A relay that
    polled again as soon as a batch was sent kept pace with the stream one transaction ahead: at
    1,000 activities/s reporting's relay sent ~70 batches of ~12 rows a second (``bench.soak``), the
    claim and mark alone 25 µs of PostgreSQL's time an activity. A batch that was not full found
    everything there was; the next poll waits until a poll interval after it began, so a busy
    outbox is sent in batches of a poll interval's rows (a row waits at most that much longer).
    A full batch left rows behind: the next poll goes at once.

    An empty outbox's poll cost the platform the same transaction for nothing: the three services
    whose outboxes stay empty under the soak's stream polled about 60 times a second. After
    ``QUIET_AFTER_SECONDS`` without a row it is polled every ``QUIET_POLL_SECONDS``, until a poll
    finds rows again (a quiet outbox's first new row waits at most that long).
    """

    poll_interval: float
    batch_size: int = 2000
    quiet_since: float | None = None

    def after_poll(self, sent: int, *, began: float, now: float, full: bool | None = None) -> float:
        """The wait after a poll that began at ``began`` and sent ``sent`` events by ``now``
        (monotonic seconds); ``full``: whether its claim stopped at its bound (by default, whether
        it sent ``batch_size``)."""
        if sent:
            self.quiet_since = None
            if full is None:
                full = sent >= self.batch_size
            return 0.0 if full else max(self.poll_interval - (now - began), 0.0)
        if self.quiet_since is None:
            self.quiet_since = now
        if now - self.quiet_since >= QUIET_AFTER_SECONDS:
            return max(QUIET_POLL_SECONDS, self.poll_interval)
        return self.poll_interval


def prune_statement(outbox: Table) -> Delete:
    """Delete up to ``PRUNE_BATCH`` of the oldest rows before the first one to keep, by primary key.

    One statement, so one snapshot: a row committed meanwhile is neither counted nor deleted. The
    bound is a subquery of its own (``OFFSET 0`` keeps it from being merged), joined laterally:
    compared there, ``id < bound`` is a condition of the key's index scan; merged, it followed the
    row-level security check as a filter over every row.
    """
    kept, last, due_row = outbox.alias("kept"), outbox.alias("last"), outbox.alias("due_row")
    bound = (
        select(
            func.coalesce(
                select(func.min(kept.c.id))
                .where(
                    or_(
                        kept.c.published_at.is_(None), kept.c.published_at >= func.now() - PUBLISHED_RETENTION
                    )
                )
                .scalar_subquery(),
                select(func.max(last.c.id) + 1).scalar_subquery(),
            ).label("keep_from")
        )
        .offset(literal_column("0"))
        .subquery("bound")
    )
    due = (
        select(due_row.c.id)
        .where(due_row.c.id < bound.c.keep_from)
        .order_by(due_row.c.id)
        .limit(literal_column(str(PRUNE_BATCH)))
        .lateral("due")
    )
    doomed = select(due.c.id).select_from(bound.join(due, true()))
    return delete(outbox).where(outbox.c.id == any_(func.array(doomed.scalar_subquery())))


class OutboxRelay:
    """Publishes an outbox's rows in their order, one batch at a time whatever the relays running.

    Per-key order needs the batches of all relays of one outbox in sequence: two relays that claimed
    consecutive batches (``SKIP LOCKED``) and sent them at the same time let a key's later event
    reach its partition first. So each batch's transaction first takes the outbox's transaction-level
    advisory lock; a relay that cannot get it claims nothing and polls again, and a crashed relay's
    lock goes with its transaction. Why not claim by key hash, several relays sending at once: one
    relay alone publishes above the 10,000 events/s target (10,000-25,000/s by ``bench/relay.py
    --quick`` on a loaded 2-core machine, the same with and without the lock): more relays serve
    as standbys that take over at once, without a key-to-relay split every instance must agree on.
    """

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        outbox: Table,
        producer: AIOKafkaProducer,
        bootstrap_servers: str,
        batch_size: int = 2000,
        poll_interval: float = 0.05,
        claim_bytes: int = CLAIM_BYTES,
    ) -> None:
        self._session_factory = session_factory
        self._outbox = outbox
        self._producer = producer
        self._bootstrap_servers = bootstrap_servers
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._claim_bytes = claim_bytes
        #: Whether the last claim stopped at its count or its bytes (rows may be left): poll again at once.
        self._last_claim_full = False
        # Claiming and marking is ONE statement, built once (its compiled form is reused): the
        # rows are marked inside the transaction and the mark only counts if it commits, which
        # happens after the broker acknowledged every row. A failed send rolls the mark back.
        # (A separate ``UPDATE ... WHERE id IN (<500 ids>)`` re-rendered its expanded list every
        # batch, and cost PostgreSQL a second lookup of every row.)
        #
        # The claimed ids are an array computed once (an InitPlan), then looked up by primary key:
        # as a joined subquery with a bound LIMIT, the generic plan PostgreSQL settles on for a
        # prepared statement re-ran the claim for rows of the outer scan, seconds per batch once
        # the outbox held tens of thousands of published rows.
        # The lock as an uncorrelated subquery (one InitPlan, evaluated once): no extra round trip
        # per batch or per idle poll. Not granted, it claims no row.
        batch_turn = select(
            func.pg_try_advisory_xact_lock(
                RELAY_LOCK_CLASS, cast(cast(cast(literal(outbox.fullname), Text), REGCLASS), Integer)
            )
        ).scalar_subquery()
        # The rows in turn up to ``claim_bytes``: each row's size (``octet_length`` reads a stored
        # value's length from its TOAST pointer, not the value) after the rows before it. The rows
        # locked past the bound are left unmarked, and released at commit.
        candidate = (
            select(outbox.c.id, func.octet_length(outbox.c.value).label("size"))
            .where(outbox.c.published_at.is_(None), batch_turn)
            .order_by(outbox.c.id)
            .limit(literal_column(str(int(batch_size))))
            .with_for_update(skip_locked=True)
            .subquery("candidate")
        )
        sized = select(
            candidate.c.id,
            (func.sum(candidate.c.size).over(order_by=candidate.c.id) - candidate.c.size).label("before"),
        ).subquery("sized")
        claimed = select(sized.c.id).where(sized.c.before < literal_column(str(int(claim_bytes))))
        self._claim_and_mark = (
            update(outbox)
            .where(outbox.c.id == any_(func.array(claimed.scalar_subquery())))
            .values(published_at=func.now())
            .returning(outbox.c.id, outbox.c.topic, outbox.c.partition_key, outbox.c.value)
        )
        self._prune = prune_statement(outbox)

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished rows and mark them sent; returns how many events (messages)
        were sent.

        The rows stay locked while they are sent; if sending fails the transaction rolls back
        and the rows go out again later (consumers de-duplicate by event id).
        """
        self._last_claim_full = False
        async with self._session_factory() as session, session.begin():
            # The relay serves every region's events: it is system work, not a request.
            await see_all_regions(session)
            # RETURNING gives no order: sort, so each key's events go out in the order they were written.
            rows = sorted((await session.execute(self._claim_and_mark)).all(), key=lambda row: row[0])
            if not rows:
                return 0
            self._last_claim_full = (
                len(rows) >= self._batch_size or sum(len(row[3]) for row in rows) >= self._claim_bytes
            )
            await self._create_missing_topics({row[1] for row in rows})
            deliveries, events = await self._send_in_record_batches(rows)
            # Every send settled before the transaction ends: a failed batch's rows are sent again
            # by the next batch (of any relay), never beside sends of this one still under way.
            # Except when the broker leaves them unanswered for DELIVERY_TIMEOUT_SECONDS (an
            # idempotent producer retries for as long as it is away): the claim is rolled back
            # rather than held open through the outage. The copies still queued here reach their
            # partition in order, so each key's first copies keep their order whoever resends them
            # (consumers skip the later copies by event id).
            _, unacknowledged = await asyncio.wait(deliveries, timeout=DELIVERY_TIMEOUT_SECONDS)
            if unacknowledged:
                raise KafkaTimeoutError(
                    f"{len(unacknowledged)} of {len(deliveries)} record batches "
                    f"({sum(events.values())} events) not acknowledged in time"
                )
            for delivery in deliveries:
                failure = delivery.exception()
                if failure is not None:
                    raise failure
        # One metric update per topic and batch, not one per event.
        for topic, count in events.items():
            EVENTS_PUBLISHED.labels(topic).inc(count)
        return sum(events.values())

    async def _send_in_record_batches(
        self, rows: Sequence[Sequence[Any]]
    ) -> tuple[list[asyncio.Future[Any]], Counter[str]]:
        """Queue the rows' events (in id order, a row's in its order) as record batches per
        partition; their deliveries, and the events of each topic.

        ``producer.send`` per row cost more than the rest of the relay together (a metadata wait,
        the pure-Python murmur2 hash, a future and an accumulator look-up per row: ``bench/relay.py
        --profile``). Each row goes to the partition ``send`` would have chosen (the Java client's
        default: murmur2 of the key), in id order within it; a partition's record batches queue
        one after the other, and an idempotent producer numbers them when it sends them. A row's
        events share its key, so its partition.
        """
        producer = self._producer
        # The producer's own view of each topic's partitions, as ``send`` would have used it.
        topics = {row[1] for row in rows}
        partitions = {topic: sorted(await producer.partitions_for(topic)) for topic in topics}
        open_batches: dict[tuple[str, int], Any] = {}
        deliveries: list[asyncio.Future[Any]] = []
        events: Counter[str] = Counter()
        for _, topic, partition_key, value in rows:
            key = partition_key.encode()
            target = (topic, partition_of(key, partitions[topic]))
            batch = open_batches.get(target)
            if batch is None:
                batch = open_batches[target] = producer.create_batch()
            envelopes = envelopes_of(value)
            events[topic] += len(envelopes)
            for envelope in envelopes:
                if batch.append(key=key, value=envelope, timestamp=None) is None:
                    # Full: queue it, and start the partition's next one (a single event always fits).
                    deliveries.append(await self._queue(batch, target))
                    batch = open_batches[target] = producer.create_batch()
                    batch.append(key=key, value=envelope, timestamp=None)
        for target, batch in open_batches.items():
            deliveries.append(await self._queue(batch, target))
        return deliveries, events

    async def _queue(self, batch: Any, target: tuple[str, int]) -> asyncio.Future[Any]:
        # Closed first: an open batch could otherwise take a later ``producer.send``'s message.
        batch.close()
        delivery: asyncio.Future[Any] = await self._producer.send_batch(batch, target[0], partition=target[1])
        return delivery

    async def _create_missing_topics(self, topics: set[str]) -> None:
        """Make sure the broker has the batch's topics before anything is sent to them.

        A broker restarted empty (the embedded Tansu keeps topics in memory) acknowledged writes to
        a topic it no longer had and dropped them when the topic was created again: the rows were
        marked sent and lost. Fresh metadata of the batch's topics, asked for so that the broker
        creates none of them (``topics_missing``), says what is there; what is missing is created
        as the registry declares it. A broker that is away fails the batch right here.
        """
        missing = await topics_missing(self._producer.client, topics)
        if not missing:
            return
        registry = all_topics()
        unknown = missing - registry.keys()
        if unknown:
            raise RuntimeError(f"topics neither on the broker nor in the registry: {sorted(unknown)}")
        log.warning(
            "topics missing on the broker; creating them", extra={"fields": {"topics": sorted(missing)}}
        )
        await ensure_topics(self._bootstrap_servers, {topic: registry[topic] for topic in missing})

    async def refresh_backlog_gauge(self) -> int:
        """Export how many rows wait to be published and how old the oldest is.

        Rows, not events: a row holds one event, or an employee's events of one of reporting's
        transactions (a batch request's); counting its events would read every waiting value.
        """
        table = self._outbox
        async with self._session_factory() as session, session.begin():
            await see_all_regions(session)
            count, oldest = (
                await session.execute(
                    select(
                        func.count(), func.extract("epoch", func.now() - func.min(table.c.created_at))
                    ).where(table.c.published_at.is_(None))
                )
            ).one()
        OUTBOX_BACKLOG.set(count)
        OUTBOX_OLDEST_AGE.set(float(oldest or 0))
        return int(count)

    async def prune_published(self) -> int:
        """Delete rows published longer ago than the retention; returns how many went.

        By the primary key, from the oldest row up to the first one to keep (unpublished, or
        published within the retention; the relay publishes in id order, so older rows past it are
        none but a claim's a moment): a probe of the index's first entries when nothing is due.
        ``published_at < now() - retention`` alone has no index and read the whole outbox every
        two seconds (20% of PostgreSQL's statement time in a 3-minute soak, rising with the table).
        """
        pruned = 0
        async with self._session_factory() as session, session.begin():
            await see_all_regions(session)
            while True:
                result = typing.cast("CursorResult[Any]", await session.execute(self._prune))
                deleted = int(result.rowcount)
                pruned += deleted
                if deleted < PRUNE_BATCH:
                    return pruned

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until stopped, polling less while the outbox is quiet (``PollPace``) and backing
        off (capped) while the broker or database is down."""
        backoff = self._poll_interval
        pace = PollPace(self._poll_interval, self._batch_size)
        loop = asyncio.get_running_loop()
        next_housekeeping = 0.0
        while not stop.is_set():
            try:
                if loop.time() >= next_housekeeping:
                    await self.refresh_backlog_gauge()
                    await self.prune_published()
                    next_housekeeping = loop.time() + 2.0
                began = loop.time()
                sent = await self.publish_batch()
                backoff = pace.after_poll(sent, began=began, now=loop.time(), full=self._last_claim_full)
                if not backoff:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any broker or database fault: keep the rows, retry later
                RELAY_FAILURES.inc()
                log.warning("outbox relay failed, retrying", extra={"fields": {"error": repr(exc)[:300]}})
                backoff = min(max(backoff * 2, 0.1), MAX_BACKOFF_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
