"""How the consumer runner reads a record: its event, another consumer's event, or a dead letter's reason."""

from __future__ import annotations

import orjson
from aiokafka import ConsumerRecord
from sqlalchemy import MetaData

from shared.contracts.planning import RegionRegistered, UnitUpserted
from shared.db import outbox_table
from shared.messaging.consumer import DeadLetterReason
from shared.messaging.consumer.decode import ConsumedEvent, decode
from shared.outbox import OutboxWriter

OUTBOX = OutboxWriter(outbox_table(MetaData()), producer="test")
HANDLED = {RegionRegistered.event_type()}


def record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="planning.region.v1",
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"medan",
        value=value,
        checksum=None,
        serialized_key_size=5,
        serialized_value_size=len(value),
        headers=[],
    )


def as_published(event: RegionRegistered | UnitUpserted) -> bytes:
    value = OUTBOX.row(event)["value"]
    assert isinstance(value, bytes)
    return value


def test_a_handled_event_is_decoded_with_its_envelope() -> None:
    outcome = decode(record(as_published(RegionRegistered(region_id="medan", name="Kota Medan"))), HANDLED)
    assert isinstance(outcome, ConsumedEvent)
    assert outcome.event == RegionRegistered(region_id="medan", name="Kota Medan")
    assert outcome.envelope.region_id == "medan"
    assert outcome.record.offset == 7


def test_another_consumers_event_is_skipped_not_poison() -> None:
    unit = UnitUpserted(region_id="medan", unit_id="u1", code="U1", name="Dinas", kind="agency")
    outcome = decode(record(as_published(unit)), HANDLED)
    assert isinstance(outcome, ConsumedEvent)
    assert outcome.event is None


def test_poison_records_are_named_by_their_reason() -> None:
    undecodable = decode(record(b"{not json"), HANDLED)
    assert isinstance(undecodable, tuple)
    assert undecodable[0] is DeadLetterReason.UNDECODABLE
    envelope = orjson.loads(as_published(RegionRegistered(region_id="medan", name="Kota Medan")))
    unknown = decode(record(orjson.dumps({**envelope, "type": "planning.Nothing"})), HANDLED)
    assert unknown == (DeadLetterReason.UNKNOWN_TYPE, "unknown event type 'planning.Nothing'")
    invalid = decode(record(orjson.dumps({**envelope, "payload": {"region_id": "medan"}})), HANDLED)
    assert isinstance(invalid, tuple)
    assert invalid[0] is DeadLetterReason.INVALID_PAYLOAD
    elsewhere = decode(record(orjson.dumps({**envelope, "region_id": "belawan"})), HANDLED)
    assert elsewhere == (
        DeadLetterReason.INVALID_PAYLOAD,
        "payload region differs from the envelope's region",
    )
