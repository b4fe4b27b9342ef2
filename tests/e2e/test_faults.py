"""Faults the platform must survive, on infrastructure of their own (they stop and kill things).

- The broker goes away while requests keep arriving: every request still succeeds (the outbox
  holds the events) and, once the broker is back, every event is delivered.
- The scoring consumer is killed with SIGKILL in the middle of a stream and restarted: the view
  equals a recomputation from the raw events; nothing is missing and nothing counts twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.messaging.kafka import ensure_topics
from tests.conftest import auth, new_region_id, wait_until
from tests.e2e.platform_support import (
    ActivityStream,
    IsolatedPlatform,
    isolated_platform,
    read_topic,
    send_all,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory, infrastructure: Any) -> Iterator[IsolatedPlatform]:
    with isolated_platform(tmp_path_factory, infrastructure, ("planning", "scoring")) as platform:
        yield platform


async def test_requests_succeed_while_the_broker_is_down_and_every_event_arrives_after(
    isolated: IsolatedPlatform,
) -> None:
    isolated.start("planning")
    regions = [new_region_id() for _ in range(12)]
    admin = auth(isolated.token("platform_admin"))
    async with httpx.AsyncClient(timeout=10) as http:
        first = await http.post(
            isolated.url("planning", "/v1/regions"),
            json={"region_id": regions[0], "name": "Sebelum"},
            headers=admin,
        )
        assert first.status_code == 201, first.text
        isolated.infrastructure.stop_broker()
        try:
            for region in regions[1:]:
                response = await http.post(
                    isolated.url("planning", "/v1/regions"),
                    json={"region_id": region, "name": "Saat"},
                    headers=admin,
                )
                assert response.status_code == 201, response.text

            async def backlog() -> float:
                metrics = (await http.get(isolated.url("planning", "/metrics"))).text
                lines = [line for line in metrics.splitlines() if line.startswith("kinerja_outbox_backlog")]
                return sum(float(line.rsplit(" ", 1)[1]) for line in lines)

            # The outbox holds what the broker could not take, and says so on /metrics.
            assert await wait_until(backlog, timeout=30) >= 1
        finally:
            isolated.infrastructure.restart_broker()
    events = await read_topic(
        isolated.endpoints.kafka_bootstrap_servers, "planning.region.v1", regions=set(regions[1:])
    )
    delivered = {event["payload"]["region_id"] for event in events}
    assert set(regions[1:]) <= delivered


async def test_the_relay_never_marks_events_sent_into_a_topic_the_broker_lost(
    isolated: IsolatedPlatform,
) -> None:
    """A broker restarted empty (the in-memory Tansu) acknowledges writes to a topic it no longer has,
    then drops them when the topic is created again: the relay must not take that for delivery.

    Deleting the topic leaves the broker as such a restart does, without the race of the restart.
    """
    isolated.start("planning")
    bootstrap = isolated.endpoints.kafka_bootstrap_servers
    topic = "planning.region.v1"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])

        async def deleted() -> bool:  # at once on Tansu, in the background on Apache Kafka
            return topic not in await admin.list_topics()

        await wait_until(deleted, timeout=30)
    finally:
        await admin.close()
    regions = [new_region_id() for _ in range(5)]
    engine = create_async_engine(isolated.settings.migration_database_url)

    async def outbox_drained() -> bool:
        async with engine.connect() as connection:
            left = await connection.scalar(
                text("SELECT count(*) FROM planning.outbox WHERE published_at IS NULL")
            )
        return bool(left == 0)

    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for region in regions:
                response = await http.post(
                    isolated.url("planning", "/v1/regions"),
                    json={"region_id": region, "name": "Setelah"},
                    headers=auth(isolated.token("platform_admin")),
                )
                assert response.status_code == 201, response.text
        await wait_until(outbox_drained, timeout=30)
    finally:
        await engine.dispose()
    await ensure_topics(bootstrap)  # what a restart of the platform does next
    events = await read_topic(bootstrap, topic, regions=set(regions), timeout=20)
    assert set(regions) <= {event["payload"]["region_id"] for event in events}


async def test_scoring_killed_mid_stream_ends_equal_to_a_recomputation(isolated: IsolatedPlatform) -> None:
    isolated.start("scoring")
    stream = ActivityStream.build(employees=4, activities=600)
    engine = create_async_engine(isolated.settings.migration_database_url)
    producer = AIOKafkaProducer(bootstrap_servers=isolated.endpoints.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await send_all(producer, stream.plans)
        await send_all(producer, stream.activities[:300])

        async def partly_applied() -> bool:
            return bool(await stream.counted(engine))

        await wait_until(partly_applied, timeout=60, interval=0.02)
        isolated.services.stop("scoring", kill=True)
        # Redelivery after the crash: the tail again, the first half again, then the rest.
        await send_all(producer, stream.activities[300:])
        await send_all(producer, stream.activities[:300])
        isolated.start("scoring")

        async def settled() -> dict[str, tuple[Decimal, int]] | None:
            current = await stream.counted(engine)
            return current if current == stream.expected else None

        assert await wait_until(settled, timeout=120, interval=0.5) == stream.expected
    finally:
        await producer.stop()
        await engine.dispose()
