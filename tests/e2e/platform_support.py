"""What the fault and replica tests share: a platform on infrastructure of its own (they stop and
kill things; ``kinerja.isolated``, the one ``kinerja chaos`` runs), a stream of activity events
with its independent recomputation, and what the consumer groups hold and have committed."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import GroupCoordinatorNotAvailableError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kinerja import infra
from kinerja.isolated import IsolatedPlatform as IsolatedPlatform  # the tests import it from here
from shared.auth import ensure_dev_signing_key
from shared.contracts import TOPICS, Envelope, Event
from shared.contracts.planning import IndicatorSnapshot, PlannedResultSnapshot, WorkPlanApproved
from shared.contracts.reporting import ActivityReported
from shared.messaging.kafka import ensure_topics
from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import new_region_id, wait_until
from tests.region_clock import year_in


@contextlib.contextmanager
def isolated_platform(
    tmp_path_factory: pytest.TempPathFactory,
    infrastructure: Any,
    services: Iterable[str],
    *,
    replicas: int = 1,
) -> Iterator[IsolatedPlatform]:
    """A module's platform, stopped with everything it started at the end."""
    # The session's infrastructure is embedded exactly when this machine runs the embedded default.
    if not isinstance(infrastructure, infra.EmbeddedInfrastructure):
        pytest.skip("stopping and killing processes runs on infrastructure of its own (embedded)")
    data_dir = tmp_path_factory.mktemp("platform")
    ensure_dev_signing_key(data_dir / "dev-jwt" / "private.pem")
    platform = IsolatedPlatform(data_dir, services, replicas=replicas)
    try:
        asyncio.run(ensure_topics(platform.endpoints.kafka_bootstrap_servers))
        yield platform
    finally:
        platform.stop()


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


@dataclass
class ActivityStream:
    """Approved plans of a few employees of a new region, and activities reported against them,
    with what scoring must end with, recomputed from the raw events independently of the service:
    each employee's quantity and how many activities count toward it."""

    region: str
    plans: list[tuple[Event, Envelope]]
    activities: list[tuple[Event, Envelope]]
    expected: dict[str, tuple[Decimal, int]]

    @classmethod
    def build(cls, *, employees: int, activities: int) -> ActivityStream:
        region = new_region_id()
        year = year_in(DEFAULT_TIMEZONE)  # scoring reads a region it was not told of in WIB
        indicators = {
            f"e-{n}-{uuid.uuid4().hex[:6]}": f"i-{n}-{uuid.uuid4().hex[:6]}" for n in range(employees)
        }
        people = list(indicators.items())
        reported = [
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
            for n in range(activities)
            for employee, indicator in [people[n % len(people)]]
        ]
        expected: dict[str, tuple[Decimal, int]] = {}
        for event in reported:
            assert event.quantity is not None
            total, count = expected.get(event.employee_id, (Decimal(0), 0))
            expected[event.employee_id] = (total + event.quantity, count + 1)
        return cls(
            region=region,
            plans=[wrapped(plan_event(region, e, i, year)) for e, i in people],
            activities=[wrapped(event) for event in reported],
            expected=expected,
        )

    async def counted(self, engine: AsyncEngine) -> dict[str, tuple[Decimal, int]]:
        """What scoring counts so far: each employee's quantity and number of activities."""
        async with engine.begin() as connection:
            await connection.execute(text("SELECT set_config('app.region_id', :r, true)"), {"r": self.region})
            rows = await connection.execute(
                text(
                    "SELECT employee_id, sum(quantity), count(*) FROM scoring.contributions "
                    "WHERE region_id = :r GROUP BY employee_id"
                ),
                {"r": self.region},
            )
            return {row[0]: (Decimal(row[1]), int(row[2])) for row in rows}


async def group_members(bootstrap: str, group: str) -> dict[str, int]:
    """Each member of a consumer group (by client host and id) with how many partitions it holds."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [description] = await admin.describe_consumer_groups([group])
    except GroupCoordinatorNotAvailableError:
        return {}  # the broker is still electing the group's coordinator
    finally:
        await admin.close()
    members: dict[str, int] = {}
    for group_description in description.groups:
        _, group_id, state, _, _, group_members_ = group_description[:6]
        assert group_id == group
        if state != "Stable":
            return {}
        for member_id, _, _, _, assignment in group_members_:
            decoded = ConsumerProtocolMemberAssignment.decode(assignment) if assignment else None
            members[member_id] = len(decoded.partitions()) if decoded is not None else 0
    return members


async def groups_caught_up(bootstrap: str) -> dict[str, int] | None:
    """The consuming services' groups with how many partitions each committed, once none lags."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed: dict[str, int] = {}
        for group in ("kinerja-reporting", "kinerja-scoring", "kinerja-feedback"):
            offsets = await admin.list_consumer_group_offsets(group)
            ends = await consumer.end_offsets(list(offsets))
            if not offsets or any(offsets[partition].offset < ends[partition] for partition in offsets):
                return None
            committed[group] = len(offsets)
        return committed
    finally:
        await consumer.stop()
        await admin.close()
