"""The embedded Apache Kafka: the default broker, durable across restarts and crashes, idempotent relay."""

from __future__ import annotations

import asyncio
import re
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from kinerja import infra
from kinerja.brokers import KAFKA_HEAP_MB, KafkaBroker
from shared.messaging.kafka import ensure_topics, make_producer
from shared.settings import BrokerKind, ServiceSettings
from tests.conftest import auth, new_region_id, region_published, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def embedded_kafka(infrastructure: Any) -> infra.EmbeddedInfrastructure:
    """The session's infrastructure, when its broker is the embedded Apache Kafka."""
    if not isinstance(infrastructure, infra.EmbeddedInfrastructure):
        pytest.skip("the session's infrastructure is not embedded")
    if infrastructure.broker.kind is not BrokerKind.KAFKA:
        pytest.skip(
            "the session runs the Tansu fallback (Java/Maven missing or KINERJA_EMBEDDED_BROKER=tansu)"
        )
    return infrastructure


async def read_partition(bootstrap: str, topic: str, *, group: str, count: int) -> list[bytes]:
    """Read ``count`` records of a one-partition topic from the group's committed offset, and commit."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=count,
    )
    await consumer.start()
    values: list[bytes] = []
    try:

        async def read() -> bool:
            for records in (await consumer.getmany(timeout_ms=500, max_records=count - len(values))).values():
                values.extend(record.value for record in records if record.value is not None)
            return len(values) >= count

        await wait_until(read, timeout=30, interval=0)
        await consumer.commit()
    finally:
        await consumer.stop()
    return values


def resident_anonymous_mb(pid: int) -> float:
    """The process's resident anonymous memory (its heaps, not the files it maps), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^RssAnon:\s+(\d+) kB", status, re.MULTILINE)
    assert found is not None, "no RssAnon in /proc/<pid>/status"
    return int(found.group(1)) / 1024


async def test_the_heap_is_resident_and_topics_offsets_and_events_survive_a_restart_and_a_crash(
    embedded_kafka: infra.EmbeddedInfrastructure, tmp_path: Path
) -> None:
    # A broker of this test's own: it is stopped and killed.
    broker = KafkaBroker(
        tmp_path / "kafka",
        tmp_path / "broker.log",
        port=infra.free_port(),
        controller_port=infra.free_port(),
    )
    bootstrap = f"127.0.0.1:{broker.port}"
    topic = f"durable-{uuid.uuid4().hex[:8]}"
    try:
        await asyncio.to_thread(broker.start)
        # A fixed heap committed at start: the broker's memory is flat under load, not growing.
        assert broker.process is not None
        assert resident_anonymous_mb(broker.process.pid) >= KAFKA_HEAP_MB
        await ensure_topics(bootstrap, {topic: 1})
        producer = make_producer(bootstrap, client_id="durability-test", idempotent=True)
        await producer.start()
        try:
            for number in range(10):
                await producer.send_and_wait(topic, value=b"event-%d" % number, key=b"k")
        finally:
            await producer.stop()
        assert await read_partition(bootstrap, topic, group="g", count=4) == [
            b"event-%d" % n for n in range(4)
        ]

        first_jvm = broker.process
        assert first_jvm is not None
        await asyncio.to_thread(broker.stop)
        assert first_jvm.poll() is not None, "the JVM is still running after stop()"
        await asyncio.to_thread(broker.start)
        assert await read_partition(bootstrap, topic, group="g", count=3) == [
            b"event-%d" % n for n in range(4, 7)
        ]

        # A crash (SIGKILL) loses neither the events nor the group's committed offset.
        assert broker.process is not None
        broker.process.send_signal(signal.SIGKILL)
        broker.process.wait()
        await asyncio.to_thread(broker.start)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            assert topic in await admin.list_topics()
        finally:
            await admin.close()
        assert await read_partition(bootstrap, topic, group="g", count=3) == [
            b"event-%d" % n for n in range(7, 10)
        ]
    finally:
        await asyncio.to_thread(broker.stop)


async def test_the_relays_producer_is_idempotent_on_apache_kafka(
    embedded_kafka: infra.EmbeddedInfrastructure, start_service: Any, make_token: Any
) -> None:
    assert ServiceSettings().kafka_idempotent_producer is True
    planning = await start_service("planning", relay=True)
    assert planning.client is not None
    token = make_token("platform_admin")
    region = new_region_id()
    response = await planning.client.post(
        "/v1/regions", json={"region_id": region, "name": "Idempoten"}, headers=auth(token)
    )
    assert response.status_code == 201, response.text

    await wait_until(lambda: region_published(planning, region))
    # The broker gave the relay's producer an id: its batches carry sequence numbers the broker checks.
    relay_producer = planning.context.extras["producers"]["relay"]
    assert relay_producer._txn_manager is not None
    assert relay_producer._txn_manager.producer_id >= 0


async def test_end_offsets_count_every_record_written_in_one_batch(
    embedded_kafka: infra.EmbeddedInfrastructure,
) -> None:
    # What the replay reads up to (Tansu under-reported records written many to a batch).
    bootstrap = embedded_kafka.endpoints.kafka_bootstrap_servers
    topic = f"ends-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, {topic: 1})
    producer = make_producer(bootstrap, client_id="ends-test", idempotent=True)
    await producer.start()
    try:
        batch = [await producer.send(topic, value=b"x%d" % n) for n in range(50)]
        await asyncio.gather(*batch)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        assert (await consumer.end_offsets([partition]))[partition] == 50
    finally:
        await consumer.stop()
