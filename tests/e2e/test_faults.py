"""Faults the platform must survive, on infrastructure of their own (they stop and kill things).

- The broker goes away while requests keep arriving: every request still succeeds (the outbox
  holds the events) and, once the broker is back, every event is delivered.
- The scoring consumer is killed with SIGKILL in the middle of a stream and restarted: the view
  equals a recomputation from the raw events; nothing is missing and nothing counts twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja import infra
from kinerja.platform import ServiceProcesses
from shared.auth import Role, ensure_dev_signing_key, mint_dev_token
from shared.contracts import TOPICS, Envelope, Event
from shared.contracts.planning import IndicatorSnapshot, PlannedResultSnapshot, WorkPlanApproved
from shared.contracts.reporting import ActivityReported
from shared.messaging.kafka import ensure_topics
from shared.settings import ServiceSettings
from tests.conftest import auth, new_region_id, wait_until

pytestmark = pytest.mark.e2e


class IsolatedPlatform:
    """PostgreSQL, Redis and a broker of this module's own, and service processes on them."""

    def __init__(self, data_dir: Path, *, replicas: int = 1) -> None:
        self.data_dir = data_dir
        self.infrastructure = infra.EmbeddedInfrastructure(
            data_dir / "infra", infra.EmbeddedPorts.random(), durable=False
        )
        self.endpoints = self.infrastructure.start()
        self.services = ServiceProcesses(
            self.endpoints,
            data_dir,
            ports={name: infra.free_port() for name in ("planning", "scoring")},
            replicas=replicas,
        )
        self.settings = ServiceSettings(
            data_dir=data_dir,
            database_url=self.endpoints.database_url,
            database_admin_url=self.endpoints.database_admin_url,
            kafka_bootstrap_servers=self.endpoints.kafka_bootstrap_servers,
        )

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.services.ports[service]}{path}"

    def token(self, roles: str, region: str | None = None, employee: str | None = None) -> str:
        return mint_dev_token(
            self.settings,
            subject=employee or roles,
            roles=[Role(role) for role in roles.split(",")],
            region_id=region,
            employee_id=employee,
        )

    def start(self, *names: str) -> None:
        """Start the services not running yet (the tests of this module share them)."""
        for name in names:
            running = self.services.processes.get(name)
            if running is None or running.poll() is not None:
                self.services.start(name)
        self.services.wait_healthy(timeout=90)


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory, infrastructure: Any) -> Iterator[IsolatedPlatform]:
    # The session's infrastructure is embedded exactly when this machine runs the embedded default.
    if not isinstance(infrastructure, infra.EmbeddedInfrastructure):
        pytest.skip("stopping and restarting the broker needs the embedded infrastructure")
    data_dir = tmp_path_factory.mktemp("faults")
    ensure_dev_signing_key(data_dir / "dev-jwt" / "private.pem")
    platform = IsolatedPlatform(data_dir)
    try:
        asyncio.run(ensure_topics(platform.endpoints.kafka_bootstrap_servers))
        yield platform
    finally:
        platform.services.stop_all()
        platform.infrastructure.stop()


async def read_topic(
    bootstrap: str, topic: str, *, regions: set[str], timeout: float = 60
) -> list[dict[str, Any]]:
    """Read a topic from its start until the events of every one of ``regions`` arrived.

    Its partitions are assigned directly, so no group join delays the read (Tansu's took 15-20 s,
    more under load). Apache Kafka keeps what was published before the broker stopped, so the
    topic may hold more than these events; Tansu starts again empty.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    seen: dict[str, dict[str, Any]] = {}
    try:
        partitions = [TopicPartition(topic, partition) for partition in range(TOPICS[topic])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)

        async def collect() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    envelope = orjson.loads(record.value)
                    seen[envelope["event_id"]] = envelope
            return regions <= {event["payload"].get("region_id") for event in seen.values()}

        await wait_until(collect, timeout=timeout, interval=0)
    finally:
        await consumer.stop()
    return list(seen.values())


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


def wrapped(event: Event) -> tuple[Event, Envelope]:
    return event, Envelope.wrap(event, producer="test")


def plan_event(region: str, employee: str, indicator: str, year: int) -> WorkPlanApproved:
    return WorkPlanApproved(
        region_id=region,
        plan_id=f"p-{employee}",
        employee_id=employee,
        rater_id="head",
        unit_id="unit",
        job_type="id_card_registrar",
        year=year,
        version=1,
        results=[
            PlannedResultSnapshot(
                result_id=f"res-{employee}",
                kind="main",
                text="Dokumen kependudukan diterbitkan",
                indicators=[
                    IndicatorSnapshot(
                        indicator_id=indicator,
                        name="Dokumen diterbitkan",
                        aspect="quantity",
                        direction="higher_is_better",
                        aggregation="sum",
                        unit_of_measure="dokumen",
                        target=Decimal(1000),
                    )
                ],
            )
        ],
    )


async def send_all(producer: AIOKafkaProducer, events: list[tuple[Event, Envelope]]) -> None:
    for event, envelope in events:
        await producer.send(
            event.topic,
            value=orjson.dumps(envelope.model_dump(mode="json")),
            key=event.partition_key().encode(),
        )
    await producer.flush()


async def test_scoring_killed_mid_stream_ends_equal_to_a_recomputation(isolated: IsolatedPlatform) -> None:
    isolated.start("scoring")
    region = new_region_id()
    year = datetime.now(UTC).year
    employees = {f"e-{n}-{uuid.uuid4().hex[:6]}": f"i-{n}-{uuid.uuid4().hex[:6]}" for n in range(4)}
    plans = [wrapped(plan_event(region, e, i, year)) for e, i in employees.items()]
    activities = [
        wrapped(
            ActivityReported(
                region_id=region,
                activity_id=uuid.uuid4().hex,
                employee_id=employee,
                plan_id=f"p-{employee}",
                result_id=f"res-{employee}",
                indicator_id=indicator,
                occurred_at=datetime.now(UTC),
                quantity=Decimal(n % 7 + 1),
                description="Melayani perekaman KTP-el",
            )
        )
        for n in range(600)
        for employee, indicator in [list(employees.items())[n % len(employees)]]
    ]
    # Recomputed from the raw events, independently of the service: quantity per employee.
    expected = {employee: Decimal(0) for employee in employees}
    for event, _ in activities:
        assert isinstance(event, ActivityReported)
        assert event.quantity is not None
        expected[event.employee_id] += event.quantity

    engine = create_async_engine(isolated.settings.migration_database_url)

    async def realisations() -> dict[str, Decimal]:
        async with engine.begin() as connection:
            await connection.execute(text("SELECT set_config('app.region_id', :r, true)"), {"r": region})
            rows = await connection.execute(
                text(
                    "SELECT employee_id, sum(quantity) FROM scoring.contributions "
                    "WHERE region_id = :r GROUP BY employee_id"
                ),
                {"r": region},
            )
            return {row[0]: Decimal(row[1]) for row in rows}

    producer = AIOKafkaProducer(bootstrap_servers=isolated.endpoints.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await send_all(producer, plans)
        await send_all(producer, activities[:300])

        async def partly_applied() -> bool:
            counted = sum((await realisations()).values(), Decimal(0))
            return Decimal(0) < counted

        await wait_until(partly_applied, timeout=60, interval=0.02)
        isolated.services.stop("scoring", kill=True)
        # Redelivery after the crash: the tail again, the first half again, then the rest.
        await send_all(producer, activities[300:])
        await send_all(producer, activities[:300])
        isolated.start("scoring")

        async def settled() -> dict[str, Decimal] | None:
            current = await realisations()
            return current if current == expected else None

        assert await wait_until(settled, timeout=120, interval=0.5) == expected
    finally:
        await producer.stop()
        await engine.dispose()
