"""Outbox relays of one service keep each key's order on the topic, however many run at once.

Each relay claims a batch with ``FOR UPDATE SKIP LOCKED``: two relays claimed consecutive batches and
sent them at the same time, so a key's later event could reach its partition first.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.messaging.kafka import ensure_topics, make_producer
from shared.messaging.relay import OutboxRelay
from shared.outbox import ENVELOPE_SEPARATOR
from shared.settings import ServiceSettings
from tests.conftest import wait_until
from tests.integration.relay_outboxes import relay_on, scratch_outbox

pytestmark = pytest.mark.integration

KEYS = [f"employee-{n}" for n in range(10)]
PER_KEY = 400
PARTITIONS = 3


@pytest.fixture
async def owner_engine(infrastructure: Any) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(ServiceSettings().migration_database_url)
    yield engine
    await engine.dispose()


async def create_topic(bootstrap: str, topic: str) -> None:
    """Create the topic and wait until the broker's metadata lists it: the relay checks the batch's
    topics there first, and Kafka's metadata can lag the creation on a loaded machine."""
    await ensure_topics(bootstrap, {topic: PARTITIONS})
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def listed() -> bool:
            metadata = await admin.describe_topics([topic])
            return bool(metadata) and len(metadata[0].get("partitions", ())) == PARTITIONS

        await wait_until(listed, timeout=30)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def outbox_to_new_topic(
    owner_engine: AsyncEngine, name: str, rows: Iterable[tuple[str, bytes]]
) -> AsyncIterator[tuple[Table, str]]:
    """A scratch outbox holding ``rows`` (partition key, value) for a new topic of its own."""
    topic = f"test.relay-{name}.{uuid.uuid4().hex[:8]}"
    await create_topic(ServiceSettings().kafka_bootstrap_servers, topic)
    async with scratch_outbox(owner_engine, name, topic, rows) as outbox:
        yield outbox, topic


async def read_in_partition_order(bootstrap: str, topic: str, wanted: int) -> dict[str, list[int]]:
    """Each key's sequence numbers in the order its partition holds them (first copy of each)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    order: dict[str, list[int]] = {}
    seen: set[tuple[str, int]] = set()
    try:
        partitions = [TopicPartition(topic, partition) for partition in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)

        async def everything_read() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:  # in offset order within a partition, as every key's are
                    body = orjson.loads(record.value)
                    if (body["key"], body["seq"]) not in seen:
                        seen.add((body["key"], body["seq"]))
                        order.setdefault(body["key"], []).append(body["seq"])
            return len(seen) >= wanted

        await wait_until(everything_read, timeout=60, interval=0)
    finally:
        await consumer.stop()
    return order


async def test_two_relays_on_one_outbox_keep_every_keys_order(owner_engine: AsyncEngine) -> None:
    bootstrap = ServiceSettings().kafka_bootstrap_servers
    # Keys interleaved, as many employees' activities arrive.
    rows = [(key, orjson.dumps({"key": key, "seq": seq})) for seq in range(PER_KEY) for key in KEYS]
    async with outbox_to_new_topic(owner_engine, "order", rows) as (outbox, topic):
        sent = await _drain_with_two_relays(owner_engine, bootstrap, outbox)
    assert all(sent), f"rows sent by each relay: {sent}"  # both took turns

    order = await read_in_partition_order(bootstrap, topic, wanted=len(KEYS) * PER_KEY)
    first_inversions = {
        key: seqs[n - 1 : n + 1]
        for key, seqs in order.items()
        for n in [next((n for n in range(1, len(seqs)) if seqs[n] < seqs[n - 1]), 0)]
        if n
    }
    assert not first_inversions, f"a key's later event went first: {first_inversions}"
    assert {key: len(seqs) for key, seqs in order.items()} == dict.fromkeys(KEYS, PER_KEY)


async def _drain_with_two_relays(owner_engine: AsyncEngine, bootstrap: str, outbox: Table) -> list[int]:
    """Two relays on one outbox, each in small batches, until it is drained: the rows each sent."""
    producers = [make_producer(bootstrap, client_id=f"test-relay-{n}") for n in range(2)]

    async def drained() -> bool:
        async with owner_engine.connect() as connection:
            left = await connection.scalar(
                select(outbox.c.id).where(outbox.c.published_at.is_(None)).limit(1)
            )
        return left is None

    async def relay_until_drained(relay: OutboxRelay) -> int:
        """The relay's loop (``OutboxRelay.run``) reduced to its batches; returns the rows it sent."""
        sent = 0
        while True:
            batch = await relay.publish_batch()
            sent += batch
            if not batch:
                if await drained():
                    return sent
                await asyncio.sleep(0.005)

    try:
        for producer in producers:
            await producer.start()
        relays = [
            relay_on(owner_engine, outbox, producer, bootstrap, batch_size=20) for producer in producers
        ]
        return await asyncio.wait_for(asyncio.gather(*(relay_until_drained(r) for r in relays)), timeout=120)
    finally:
        for producer in producers:
            await producer.stop()


async def test_a_relay_puts_each_key_where_the_default_partitioner_does(owner_engine: AsyncEngine) -> None:
    """Rows go out as record batches per partition: each key on the partition the Java client's
    default partitioner picks (murmur2), in order, once; partitions overflowing a record batch too."""
    settings = ServiceSettings()
    bootstrap = settings.kafka_bootstrap_servers
    keys = [f"employee-{n}" for n in range(30)]
    per_key = 40
    # ~2 KB a row, in the relay batches services use: several 256 KiB record batches per partition.
    padding = "x" * 2000
    rows = [
        (key, orjson.dumps({"key": key, "seq": seq, "padding": padding}))
        for seq in range(per_key)
        for key in keys
    ]
    async with outbox_to_new_topic(owner_engine, "keys", rows) as (outbox, topic):
        producer = make_producer(
            bootstrap, client_id="test-relay-keys", idempotent=settings.kafka_idempotent_producer
        )
        await producer.start()
        try:
            relay = relay_on(owner_engine, outbox, producer, bootstrap, batch_size=settings.outbox_batch_size)
            sent = 0
            while batch := await relay.publish_batch():
                sent += batch
        finally:
            await producer.stop()
    assert sent == len(keys) * per_key

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    placed: dict[str, list[tuple[int, int]]] = {}  # key -> (partition, seq) in offset order
    try:
        partitions = [TopicPartition(topic, partition) for partition in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)

        async def everything_read() -> bool:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for record in records:
                    body = orjson.loads(record.value)
                    assert record.key == body["key"].encode()
                    placed.setdefault(body["key"], []).append((tp.partition, body["seq"]))
            return sum(map(len, placed.values())) >= sent

        await wait_until(everything_read, timeout=60, interval=0)
    finally:
        await consumer.stop()
    default = DefaultPartitioner()
    everywhere = list(range(PARTITIONS))
    for key in keys:
        expected = default(key.encode(), everywhere, everywhere)
        assert placed[key] == [(expected, seq) for seq in range(per_key)], key


async def test_a_row_of_several_events_goes_out_as_a_message_each_in_order(owner_engine: AsyncEngine) -> None:
    """A row may hold several events of its key (reporting's intake writes an employee's events of
    a transaction as one row): each is a message of its own, in the row's order, after the rows
    before; a claim stops at the row that reaches its bytes, and counts events."""
    bootstrap = ServiceSettings().kafka_bootstrap_servers
    keys = [f"employee-{n}" for n in range(4)]
    per_row, rows_per_key = 5, 6
    rows = [
        (
            key,
            ENVELOPE_SEPARATOR.join(
                orjson.dumps({"key": key, "seq": row * per_row + n}) for n in range(per_row)
            ),
        )
        for row in range(rows_per_key)
        for key in keys
    ]
    async with outbox_to_new_topic(owner_engine, "rows", rows) as (outbox, topic):
        producer = make_producer(bootstrap, client_id="test-relay-rows")
        await producer.start()
        try:
            # A row a claim: the first row always goes.
            relay = relay_on(owner_engine, outbox, producer, bootstrap, claim_bytes=1)
            claims = []
            while batch := await relay.publish_batch():
                claims.append(batch)
        finally:
            await producer.stop()
    assert claims == [per_row] * (len(keys) * rows_per_key)

    order = await read_in_partition_order(bootstrap, topic, wanted=len(keys) * rows_per_key * per_row)
    assert order == {key: list(range(rows_per_key * per_row)) for key in keys}
