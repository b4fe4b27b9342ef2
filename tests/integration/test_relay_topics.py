"""The relay's check for topics a broker lost, on both embedded brokers.

A broker restarted empty (the in-memory Tansu) acknowledges writes to a topic it no longer has and
drops them when the topic is created again, so before each batch the relay asks the broker whether
the batch's topics are there and creates what is missing as the registry declares it. Asking about
a topic by name must not create it: Tansu creates a topic a Metadata request names (with its
default of 4 partitions) unless the request says ``allow_auto_topic_creation=false``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from aiokafka.protocol.metadata import MetadataRequest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kinerja import infra
from kinerja.brokers import EmbeddedBroker, KafkaBroker, TansuBroker, choose_broker
from shared.messaging.kafka import all_topics, make_producer
from shared.settings import BrokerKind, ServiceSettings
from tests.conftest import wait_until
from tests.integration.relay_outboxes import relay_on, scratch_outbox

pytestmark = pytest.mark.integration

#: A registry topic whose partition count (6) differs from Tansu's default for topics it creates (4).
LOST_TOPIC = "planning.region.v1"
#: What Apache Kafka lists beside the topics created (none here: no consumer group was used).
INTERNAL_TOPICS = {"__consumer_offsets"}


@pytest.fixture(params=[BrokerKind.TANSU, BrokerKind.KAFKA], ids=lambda kind: str(kind.value))
def empty_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A broker of this test's own holding no topic (a restarted Tansu's state); its bootstrap."""
    port = infra.free_port()
    broker: EmbeddedBroker
    if request.param is BrokerKind.TANSU:
        broker = TansuBroker(tmp_path / "tansu.log", port=port)
    else:
        if choose_broker({}) is not BrokerKind.KAFKA:
            pytest.skip("Java 17+ or Maven missing: no Apache Kafka here")
        broker = KafkaBroker(
            tmp_path / "kafka", tmp_path / "kafka.log", port=port, controller_port=infra.free_port()
        )
    broker.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        broker.stop()


@pytest.fixture
async def owner_engine(infrastructure: Any) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(ServiceSettings().migration_database_url)
    yield engine
    await engine.dispose()


async def metadata_of(bootstrap: str, topics: list[str] | None, *, allow_creation: bool) -> dict[str, int]:
    """Each topic's error code in a Metadata answer (None asks for every topic)."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        node = client.get_random_node()
        answer = await client.send(node, MetadataRequest(topics, allow_auto_topic_creation=allow_creation))
        return {name: error for error, name, *_ in answer.topics}
    finally:
        await client.close()


async def test_tansu_creates_a_topic_a_metadata_request_names_unless_told_not_to(tmp_path: Path) -> None:
    broker = TansuBroker(tmp_path / "tansu.log", port=infra.free_port())
    broker.start()
    bootstrap = f"127.0.0.1:{broker.port}"
    try:
        # Told not to: the topic is reported unknown, and nothing is created.
        asked = await metadata_of(bootstrap, ["not-created"], allow_creation=False)
        assert asked == {"not-created": UnknownTopicOrPartitionError.errno}
        assert await metadata_of(bootstrap, None, allow_creation=False) == {}
        # aiokafka's default (and its own metadata refreshes): the question creates the topic.
        assert await metadata_of(bootstrap, ["created"], allow_creation=True) == {"created": 0}
        assert await metadata_of(bootstrap, None, allow_creation=False) == {"created": 0}
    finally:
        broker.stop()


async def test_the_relay_creates_a_lost_topic_as_the_registry_declares_it(
    empty_broker: str, owner_engine: AsyncEngine
) -> None:
    bootstrap = empty_broker
    keys = [f"employee-{n}" for n in range(12)]
    rows = [(key, orjson.dumps({"key": key})) for key in keys]
    # The topic is only named by the rows: the broker must not have it before the relay runs.
    async with scratch_outbox(owner_engine, "topics", LOST_TOPIC, rows) as outbox:
        producer = make_producer(bootstrap, client_id="test-relay-topics")
        await producer.start()
        try:
            relay = relay_on(owner_engine, outbox, producer, bootstrap)
            assert await relay.publish_batch() == len(keys)
            async with owner_engine.connect() as connection:
                unpublished = await connection.scalar(
                    select(outbox.c.id).where(outbox.c.published_at.is_(None)).limit(1)
                )
            assert unpublished is None
        finally:
            await producer.stop()

    # Created as the registry declares it, not by the broker's default; nothing else was created.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        assert set(await admin.list_topics()) - INTERNAL_TOPICS == {LOST_TOPIC}
        [described] = await admin.describe_topics([LOST_TOPIC])
    finally:
        await admin.close()
    assert len(described["partitions"]) == all_topics()[LOST_TOPIC]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        assigned = [TopicPartition(LOST_TOPIC, n) for n in range(all_topics()[LOST_TOPIC])]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        delivered: list[str] = []

        async def everything_read() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                delivered.extend(orjson.loads(record.value)["key"] for record in records)
            return len(delivered) >= len(keys)

        await wait_until(everything_read, timeout=30, interval=0)
        await asyncio.sleep(0.5)  # nothing more arrives: each event went out once
        for records in (await consumer.getmany(timeout_ms=500)).values():
            delivered.extend(orjson.loads(record.value)["key"] for record in records)
    finally:
        await consumer.stop()
    assert sorted(delivered) == sorted(keys)
