"""On Apache Kafka an idle consumer's fetches wait long at the broker, so it asks rarely, and an event
on its quiet topic still reaches it at once: the broker answers a fetch at its first byte, not when
its wait is over (Tansu does the latter: there the wait stays short, ``FetchWaits``)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from shared.messaging.consumer import LIVE_TOP_UP, FetchWaits
from shared.messaging.consumer.fetch import fetch_batch
from shared.messaging.kafka import ensure_topics, make_consumer, make_producer
from shared.settings import BrokerKind, ServiceSettings

pytestmark = pytest.mark.integration

#: FetchRequest's API key: the requests the fetcher sends, counted beside the rest.
FETCH_API_KEY = 1


@pytest.fixture
def on_kafka(infrastructure: Any) -> None:
    """Skip on Tansu (known once the infrastructure is up): there the waits stay short."""
    if ServiceSettings().kafka_broker is BrokerKind.TANSU:
        pytest.skip("Tansu answers an empty fetch when its wait is over: its consumers' waits stay short")


@asynccontextmanager
async def quiet_consumer(waits: FetchWaits) -> AsyncIterator[tuple[AIOKafkaConsumer, str, list[float]]]:
    """A consumer of a new topic of its own, in a group of its own, made as the live runner makes
    it, and the times (``time.monotonic()``) it sent each fetch request, from its assignment on."""
    settings = ServiceSettings()
    topic = f"test-quiet-{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings.kafka_bootstrap_servers, {topic: 2})
    consumer = make_consumer(
        settings.kafka_bootstrap_servers,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        topics=[topic],
        max_records=500,
        fetch_max_wait_ms=waits.busy_ms,
    )
    await consumer.start()
    fetches: list[float] = []
    send = consumer._client.send

    async def counted(node_id: int, request: Any, **options: Any) -> Any:
        if request.API_KEY == FETCH_API_KEY:
            fetches.append(time.monotonic())
        return await send(node_id, request, **options)

    try:
        while not consumer.assignment():
            await fetch_batch(consumer, 500, LIVE_TOP_UP, waits)
        consumer._client.send = counted  # the fetcher sends through the client it was given
        yield consumer, topic, fetches
    finally:
        await consumer.stop()


async def test_an_idle_consumer_asks_kafka_for_records_twice_a_second(on_kafka: None) -> None:
    waits = FetchWaits.of(ServiceSettings())
    assert waits.idle_ms == 500
    async with quiet_consumer(waits) as (consumer, _, fetches):
        idle_from = time.monotonic() + 0.5  # the first poll finds it idle; the fetch in flight ends
        while time.monotonic() < idle_from + 3.0:
            assert not (await fetch_batch(consumer, 500, LIVE_TOP_UP, waits))[0]
    idle = [moment for moment in fetches if moment >= idle_from]
    # Every 500 ms: 6 in 3 s (every 50 ms while records come: 60).
    assert len(idle) <= 8, f"{len(idle)} fetches in 3 s of an idle consumer"


async def test_an_event_on_a_quiet_topic_reaches_the_consumer_well_within_the_fetch_s_wait(
    on_kafka: None,
) -> None:
    # A wait far longer than the live one: a broker that held the fetch for it would hand each
    # event over after up to 3 s, on average 1.5 (each sent at a random moment of the wait).
    waits = FetchWaits(busy_ms=50, idle_ms=3000)
    producer = make_producer(ServiceSettings().kafka_bootstrap_servers, client_id="test-quiet")
    await producer.start()
    try:
        async with quiet_consumer(waits) as (consumer, topic, _):
            for n in range(3):

                async def first_records() -> float:
                    while not (await fetch_batch(consumer, 500, LIVE_TOP_UP, waits))[0]:
                        pass
                    return time.monotonic()

                received = asyncio.create_task(first_records())
                await asyncio.sleep(random.uniform(0.6, 2.4))  # inside a fetch waiting 3 s
                assert consumer._fetcher._fetch_max_wait_ms == waits.idle_ms
                sent = time.monotonic()
                await producer.send_and_wait(topic, b"{}", key=str(n).encode())
                latency = await asyncio.wait_for(received, timeout=10) - sent
                assert latency < 1.0, f"event {n} reached the consumer after {latency:.2f} s"
    finally:
        await producer.stop()
