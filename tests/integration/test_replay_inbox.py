"""A replay's inbox inserts a batch's rows plainly, yet an event applied in an earlier batch (a
relay's re-send) is still told apart and recorded once, and the batch's transaction goes on."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import select, text

from shared.contracts import Envelope
from shared.contracts.planning import RegionRegistered
from shared.messaging.consumer import decode
from shared.messaging.consumer.inbox import Inbox

pytestmark = pytest.mark.integration


def consumed(offset: int) -> decode.ConsumedEvent:
    region = f"r-{uuid.uuid4().hex[:8]}"
    event = RegionRegistered(region_id=region, name="Kota Ulang", timezone="Asia/Jayapura")
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        topic=event.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=region.encode(),
        value=b"",
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=(),
    )
    return decode.consumed(Envelope.wrap(event, producer="test"), event, record)


@pytest.mark.parametrize("mostly_new", [True, False])
async def test_an_event_applied_in_an_earlier_batch_is_told_apart_once(
    start_service: Any, mostly_new: bool
) -> None:
    scoring = await start_service("scoring")
    processed = scoring.context.tables.processed_events
    inbox = Inbox(processed, mostly_new=mostly_new)
    first, resent, new, again = consumed(1), consumed(2), consumed(3), consumed(4)
    async with scoring.context.session_factory() as session, session.begin():
        assert await inbox.record_batch(session, [first, resent]) == {
            first.envelope.event_id.int,
            resent.envelope.event_id.int,
        }
    # The re-send arrives in a later batch, twice in it, between new events.
    async with scoring.context.session_factory() as session, session.begin():
        fresh = await inbox.record_batch(session, [new, resent, again, resent])
        assert fresh == {new.envelope.event_id.int, again.envelope.event_id.int}
        # The transaction is still usable after the refusal: the batch's effects go on in it.
        assert await session.scalar(text("SELECT 1")) == 1
    # A batch of re-sends only: none of it new.
    async with scoring.context.session_factory() as session, session.begin():
        assert await inbox.record_batch(session, [again, first]) == set()
    ids = [item.envelope.event_id for item in (first, resent, new, again)]
    async with scoring.context.session_factory() as session:
        stored = (
            await session.execute(
                select(processed.c.event_id, processed.c.offset).where(processed.c.event_id.in_(ids))
            )
        ).all()
    # Each once, at its first delivery's offset.
    assert sorted((event_id, offset) for event_id, offset in stored) == sorted(
        zip(ids, [1, 2, 3, 4], strict=True)
    )
