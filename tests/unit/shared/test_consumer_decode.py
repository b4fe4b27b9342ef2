"""How the consumer runner reads a record: its event, another consumer's event, or a dead letter's reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import MetaData

from shared.contracts.planning import RegionRegistered, UnitUpserted
from shared.contracts.reporting import ActivityReported
from shared.db import outbox_table
from shared.messaging.consumer import DeadLetterReason
from shared.messaging.consumer.decode import ConsumedEvent, EventDecoder, decode
from shared.outbox import OutboxWriter

OUTBOX = OutboxWriter(outbox_table(MetaData()), producer="test")
HANDLED = {RegionRegistered.event_type()}
Decode = Callable[[ConsumerRecord[bytes, bytes]], object]
#: The runner's one-pass decoder and the two steps it falls back on judge every record alike.
DECODERS = pytest.mark.parametrize(
    "decoding",
    [EventDecoder(HANDLED).decode, lambda value: decode(value, HANDLED)],
    ids=["one pass", "two steps"],
)


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


@DECODERS
def test_a_handled_event_is_decoded_with_its_envelope(decoding: Decode) -> None:
    outcome = decoding(record(as_published(RegionRegistered(region_id="medan", name="Kota Medan"))))
    assert isinstance(outcome, ConsumedEvent)
    assert outcome.event == RegionRegistered(region_id="medan", name="Kota Medan")
    assert outcome.envelope.region_id == "medan"
    assert outcome.record.offset == 7


@DECODERS
def test_another_consumers_event_is_skipped_not_poison(decoding: Decode) -> None:
    unit = UnitUpserted(region_id="medan", unit_id="u1", code="U1", name="Dinas", kind="agency")
    outcome = decoding(record(as_published(unit)))
    assert isinstance(outcome, ConsumedEvent)
    assert outcome.event is None


@DECODERS
def test_poison_records_are_named_by_their_reason(decoding: Decode) -> None:
    undecodable = decoding(record(b"{not json"))
    assert isinstance(undecodable, tuple)
    assert undecodable[0] is DeadLetterReason.UNDECODABLE
    envelope = orjson.loads(as_published(RegionRegistered(region_id="medan", name="Kota Medan")))
    unknown = decoding(record(orjson.dumps({**envelope, "type": "planning.Nothing"})))
    assert unknown == (DeadLetterReason.UNKNOWN_TYPE, "unknown event type 'planning.Nothing'")
    invalid = decoding(record(orjson.dumps({**envelope, "payload": {"region_id": "medan"}})))
    assert isinstance(invalid, tuple)
    assert invalid[0] is DeadLetterReason.INVALID_PAYLOAD
    elsewhere = decoding(record(orjson.dumps({**envelope, "region_id": "belawan"})))
    assert elsewhere == (
        DeadLetterReason.INVALID_PAYLOAD,
        "payload region differs from the envelope's region",
    )


def test_one_pass_reads_the_event_and_envelope_the_two_steps_read() -> None:
    reported = ActivityReported(
        region_id="medan",
        activity_id="a1",
        employee_id="e1",
        plan_id="p1",
        result_id="r1",
        indicator_id="i1",
        occurred_at=datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC),
        quantity=Decimal("2.5"),
        description="Perekaman KTP-el",
        evidence_sha256=["ab" * 32],
    )
    value = record(OUTBOX.row(reported)["value"])
    handled = {ActivityReported.event_type()}
    one_pass, two_steps = EventDecoder(handled).decode(value), decode(value, handled)
    assert isinstance(one_pass, ConsumedEvent)
    assert isinstance(two_steps, ConsumedEvent)
    assert one_pass.event == two_steps.event == reported
    head = set(type(one_pass.envelope).model_fields) - {"payload"}
    assert {name: getattr(one_pass.envelope, name) for name in head} == {
        name: getattr(two_steps.envelope, name) for name in head
    }
