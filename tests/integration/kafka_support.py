"""A test's own clients of the real broker: a producer and a reader of a consumer's dead letters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.contracts import dead_letter_topic
from shared.settings import ServiceSettings


@asynccontextmanager
async def producer_and_dead_letters(group: str) -> AsyncIterator[tuple[AIOKafkaProducer, AIOKafkaConsumer]]:
    """A producer, and a reader of ``group``'s dead-letter topic from its start (a group of its own,
    so that each test reads every dead letter); both stopped on leaving."""
    bootstrap = ServiceSettings().kafka_bootstrap_servers
    dead_letters = AIOKafkaConsumer(
        dead_letter_topic(group),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"test-{uuid.uuid4().hex}",
    )
    await dead_letters.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await producer.start()
        yield producer, dead_letters
    finally:
        await producer.stop()
        await dead_letters.stop()
