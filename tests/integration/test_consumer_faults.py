"""The consumer runner on a real broker and database: poison events and redeliveries."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from services.scoring.adapters.tables import indicator_progress, region_settings
from shared.contracts import Envelope
from shared.contracts.planning import RegionRegistered
from shared.contracts.reporting import ActivityReported
from shared.messaging.consumer import EventConsumer
from shared.messaging.kafka import make_consumer
from shared.settings import ServiceSettings
from tests.conftest import wait_until
from tests.integration.kafka_support import producer_and_dead_letters

pytestmark = pytest.mark.integration


async def test_malformed_message_is_dead_lettered_and_the_consumer_keeps_going(start_service):
    scoring = await start_service("scoring", consumer=True)
    region = f"r-{uuid.uuid4().hex[:8]}"
    good = Envelope.wrap(
        RegionRegistered(region_id=region, name="Kota Uji", timezone="Asia/Makassar"), producer="test"
    )
    async with producer_and_dead_letters("kinerja-scoring") as (producer, dlq):
        poison = b"{not json" + uuid.uuid4().hex.encode()
        await producer.send_and_wait("planning.region.v1", value=poison, key=region.encode())
        for _ in range(2):  # the same event twice: applied once
            await producer.send_and_wait(
                "planning.region.v1", value=orjson.dumps(good.model_dump(mode="json")), key=region.encode()
            )

        async def region_applied():
            assert scoring.context is not None
            async with scoring.context.read_session(region) as session:
                return await session.scalar(
                    select(region_settings.c.timezone).where(region_settings.c.region_id == region)
                )

        assert await wait_until(region_applied) == "Asia/Makassar"

        async def dead_letter():
            batch = await dlq.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    if record.value == poison:
                        return dict(record.headers)
            return None

        headers = await wait_until(dead_letter)
        assert headers["reason"] == b"undecodable"
        assert headers["origin_topic"] == b"planning.region.v1"
        assert headers["consumer_group"] == b"kinerja-scoring"


async def test_an_event_with_a_time_the_contract_refuses_is_dead_lettered(start_service):
    """A time in ISO 8601's basic form (which the standard library reads, pydantic does not) is not
    the contract's RFC 3339 ``date-time``: the envelope's makes the record undecodable, an
    activity's its payload invalid; neither is applied, and the consumer keeps going."""
    await start_service("scoring", consumer=True)
    region = f"r-{uuid.uuid4().hex[:8]}"
    basic_form = "20261205T101500+0700"
    region_event = Envelope.wrap(
        RegionRegistered(region_id=region, name="Kota Uji", timezone="Asia/Jakarta"), producer="test"
    ).model_dump(mode="json")
    envelope_time = orjson.dumps({**region_event, "occurred_at": basic_form})
    activity = Envelope.wrap(
        ActivityReported(
            region_id=region,
            activity_id=f"a-{uuid.uuid4().hex[:8]}",
            employee_id="e-1",
            plan_id="p-1",
            result_id="rh-1",
            indicator_id="i-1",
            occurred_at=datetime.now(UTC),
            quantity=Decimal(1),
            description="rapat",
        ),
        producer="test",
    ).model_dump(mode="json")
    activity_time = orjson.dumps({**activity, "payload": {**activity["payload"], "occurred_at": basic_form}})
    async with producer_and_dead_letters("kinerja-scoring") as (producer, dlq):
        await producer.send_and_wait("planning.region.v1", value=envelope_time, key=region.encode())
        await producer.send_and_wait("reporting.activity.v1", value=activity_time, key=b"e-1")
        reasons: dict[bytes, bytes] = {}

        async def both_dead_lettered():
            batch = await dlq.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    if record.value in (envelope_time, activity_time):
                        reasons[record.value] = dict(record.headers)["reason"]
            return len(reasons) == 2 or None

        assert await wait_until(both_dead_lettered)
        assert reasons == {envelope_time: b"undecodable", activity_time: b"invalid_payload"}


async def test_redelivered_activity_events_never_count_twice_in_the_view(start_service):
    scoring = await start_service("scoring", consumer=True)
    bootstrap = ServiceSettings().kafka_bootstrap_servers
    region, employee = f"r-{uuid.uuid4().hex[:8]}", f"e-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    events = [
        Envelope.wrap(
            ActivityReported(
                region_id=region,
                activity_id=uuid.uuid4().hex,
                employee_id=employee,
                plan_id="p",
                result_id="r",
                indicator_id="i",
                occurred_at=now,
                quantity=Decimal(5),
                description="Layanan loket",
            ),
            producer="test",
        )
        for _ in range(2)
    ]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        # Each event is delivered three times, as after a relay retry or a consumer restart.
        for envelope in events * 3:
            await producer.send_and_wait(
                "reporting.activity.v1",
                value=orjson.dumps(envelope.model_dump(mode="json")),
                key=employee.encode(),
            )

        async def progress() -> Any:
            assert scoring.context is not None
            async with scoring.context.read_session(region) as session:
                row = (
                    await session.execute(
                        select(indicator_progress).where(indicator_progress.c.employee_id == employee)
                    )
                ).first()
            return row if row is not None and row.activity_count >= 2 else None

        row = await wait_until(progress)
        # Let any duplicates still in flight arrive before judging.
        await asyncio.sleep(1)
        row = await progress()
        assert row.activity_count == 2
        assert row.quantity_sum == Decimal(10)
        assert row.events_applied == 2
    finally:
        await producer.stop()


async def test_a_batch_whose_partition_was_revoked_meanwhile_is_applied_without_ending_the_consumer(
    start_service,
):
    """A rebalance (another process of the service joining or leaving) can take a partition away
    while its batch is being applied: the effect stands, the commit is refused, and the runner must
    go on rather than crash on the partition it no longer holds (the next owner skips the repeat)."""
    scoring = await start_service("scoring")
    assert scoring.context is not None
    bootstrap = ServiceSettings().kafka_bootstrap_servers
    region = f"r-{uuid.uuid4().hex[:8]}"
    envelope = Envelope.wrap(
        RegionRegistered(region_id=region, name="Kota Bergilir", timezone="Asia/Jayapura"), producer="test"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    consumer = make_consumer(
        bootstrap, group_id=f"test-{uuid.uuid4().hex}", topics=["planning.region.v1"], max_records=500
    )
    await consumer.start()
    try:
        await producer.send_and_wait(
            "planning.region.v1", value=orjson.dumps(envelope.model_dump(mode="json")), key=region.encode()
        )
        runner = EventConsumer(
            consumer=consumer,
            dead_letter_producer=producer,
            group_id="test-revoked",
            session_factory=scoring.context.session_factory,
            processed_events=scoring.context.tables.processed_events,
            outbox=scoring.context.outbox,
            handlers=scoring.definition.handlers(scoring.context),
        )
        fetched: dict[Any, Any] = {}

        async def ours_fetched() -> bool:
            for partition, records in (await consumer.getmany(timeout_ms=500)).items():
                # Only this test's event: the topic also holds other tests' (a poison one among them).
                fetched.setdefault(partition, []).extend(r for r in records if r.key == region.encode())
            return any(r.key == region.encode() for records in fetched.values() for r in records)

        await wait_until(ours_fetched, timeout=60, interval=0)
        consumer.unsubscribe()  # what a rebalance leaves: the batch's partitions are no longer ours

        await runner.process_batches(fetched)

        async with scoring.context.read_session(region) as session:
            stored = (
                await session.execute(select(region_settings).where(region_settings.c.region_id == region))
            ).first()
        assert stored is not None
        assert stored.timezone == "Asia/Jayapura"
    finally:
        await consumer.stop()
        await producer.stop()
