"""Feedback stores a consumer batch's reported activities with a constant number of statements.

The batch is applied as the consumer runner applies it: one transaction, region by region, each
event through its handler with the batch's scope, then the batch's end-of-batch work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError

from services.feedback.adapters.tables import activities
from services.feedback.service_layer.read_models import on_activity_reported
from shared.context import ServiceContext
from shared.contracts import Envelope
from shared.contracts.reporting import ActivityReported
from shared.db import restrict_to_region
from shared.messaging.scope import Batch
from shared.migrations import LIGHT_STATISTICS
from tests.conftest import event_deadline, new_region_id, wait_until
from tests.integration.kafka_support import producer_and_dead_letters
from tests.integration.test_queue_tables import catalog

pytestmark = pytest.mark.integration


def _reported(region_id: str, activity_id: str, result_id: str, at: datetime) -> Envelope:
    return Envelope.wrap(
        ActivityReported(
            region_id=region_id,
            activity_id=activity_id,
            employee_id="e-1",
            plan_id="p-1",
            result_id=result_id,
            indicator_id="i-1",
            occurred_at=at,
            description="Layanan loket",
        ),
        producer="test",
    )


async def _apply_batch(context: ServiceContext, envelopes: Sequence[Envelope]) -> list[str]:
    """Apply the events in one transaction as the runner does; the SQL statements it sent."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    async with context.session_factory() as session, session.begin():
        # This transaction's statements only (the service's background work shares the engine);
        # SQLAlchemy's asyncpg driver runs prepared statements, which asyncpg's query logger never sees.
        event.listen((await session.connection()).sync_connection, "before_cursor_execute", record)
        batch: Batch[None] = Batch(session, outbox=context.outbox)
        region = None
        for envelope in sorted(envelopes, key=lambda envelope: envelope.region_id):
            if envelope.region_id != region:
                await restrict_to_region(session, envelope.region_id)
                region = envelope.region_id
            reported = ActivityReported.model_validate(envelope.payload)
            await on_activity_reported(batch.scope(envelope), reported, envelope)
        await batch.finish()
    return statements


async def _stored(context: ServiceContext, region_id: str) -> dict[str, str]:
    async with context.read_session(region_id) as session:
        rows = await session.execute(select(activities.c.activity_id, activities.c.result_id))
        return {row.activity_id: row.result_id for row in rows}


async def test_a_batch_of_activities_costs_the_same_statements_however_many_events(start_service):
    feedback = await start_service("feedback")
    context = feedback.context
    now = datetime.now(UTC)
    regions = [new_region_id(), new_region_id()]

    def batch_of(size: int) -> list[Envelope]:
        return [
            _reported(regions[n % 2], uuid.uuid4().hex, f"res-{n}", now - timedelta(minutes=n))
            for n in range(size)
        ]

    await _apply_batch(context, batch_of(2))  # the statements are prepared once per connection
    small = await _apply_batch(context, batch_of(2))
    large_batch = batch_of(40)
    large = await _apply_batch(context, large_batch)

    assert len(large) == len(small), large
    for region_id in regions:
        stored = await _stored(context, region_id)
        expected = [envelope for envelope in large_batch if envelope.region_id == region_id]
        assert {envelope.payload["activity_id"] for envelope in expected} <= set(stored)


async def test_an_activity_reported_twice_is_kept_once_as_first_reported_and_only_in_its_region(
    start_service,
):
    feedback = await start_service("feedback")
    context = feedback.context
    now = datetime.now(UTC)
    region, other_region = new_region_id(), new_region_id()
    activity_id = uuid.uuid4().hex
    first = _reported(region, activity_id, "res-first", now)
    again = _reported(region, activity_id, "res-again", now)
    elsewhere = _reported(other_region, activity_id, "res-elsewhere", now)

    await _apply_batch(context, [first, again, elsewhere])  # the repeat in the same batch
    await _apply_batch(context, [again])  # and in a later one

    assert await _stored(context, region) == {activity_id: "res-first"}
    assert await _stored(context, other_region) == {activity_id: "res-elsewhere"}


async def test_an_activity_with_an_over_long_id_fails_its_batch_rather_than_being_cut_short(start_service):
    """As a row-by-row insert did: the runner then applies the batch event by event and
    dead-letters the one that fails, instead of storing an id cut to the column's length."""
    feedback = await start_service("feedback")
    context = feedback.context
    region = new_region_id()
    over_long = "a" * 65

    with pytest.raises(DBAPIError, match="too long"):
        await _apply_batch(context, [_reported(region, over_long, "res-1", datetime.now(UTC))])
    assert await _stored(context, region) == {}


async def test_the_consumer_dead_letters_a_poison_activity_and_stores_the_rest_of_its_batch(start_service):
    feedback = await start_service("feedback", consumer=True)
    context = feedback.context
    group = feedback.definition.settings.consumer_group
    region = new_region_id()
    now = datetime.now(UTC)
    good = [_reported(region, uuid.uuid4().hex, f"res-{n}", now) for n in range(3)]
    poison = _reported(region, "x" * 65, "res-1", now)
    async with producer_and_dead_letters(group) as (producer, dlq):
        for envelope in [good[0], poison, *good[1:]]:  # one employee: one partition, in this order
            await producer.send_and_wait(
                ActivityReported.topic, value=orjson.dumps(envelope.model_dump(mode="json")), key=b"e-1"
            )

        async def all_good_stored() -> bool:
            return set(await _stored(context, region)) == {e.payload["activity_id"] for e in good}

        assert await wait_until(all_good_stored, timeout=event_deadline())

        async def dead_lettered() -> dict[bytes, bytes] | None:
            for records in (await dlq.getmany(timeout_ms=200)).values():
                for record in records:
                    if str(poison.event_id).encode() in (record.value or b""):
                        return dict(record.headers)
            return None

        headers = await wait_until(dead_lettered, timeout=event_deadline())
        assert headers["reason"] == b"handler_failed"


async def test_an_activity_is_kept_as_the_evidence_check_reads_it_indexed_by_its_key_sampled_lightly(
    start_service,
):
    # Each column and index is written for every reported activity (a thousand a second in the
    # soak) and sampled by every analyze; the evidence check reads these by the primary key.
    columns = await catalog(
        start_service,
        "feedback",
        "SELECT attname, attstattarget FROM pg_attribute "
        "WHERE attrelid = to_regclass(quote_ident(:schema) || '.activities') AND attnum > 0 "
        "AND NOT attisdropped",
    )
    indexes = await catalog(
        start_service,
        "feedback",
        "SELECT indexname FROM pg_indexes WHERE schemaname = :schema AND tablename = 'activities'",
    )
    assert dict(columns) == dict.fromkeys(
        ("region_id", "activity_id", "employee_id", "result_id"), LIGHT_STATISTICS
    )
    assert len(indexes) == 1
