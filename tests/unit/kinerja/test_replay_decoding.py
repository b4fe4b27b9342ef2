"""A replay's workers and the live consumer accept and refuse the very same records.

A replay applies a topic's whole history again: an event the live consumer dead-lettered must not
count in the rebuilt views, nor one it applied be refused. Both decode with the runner's
``EventDecoder`` of the service's handled types; this table holds the two alike, each bad record
refused for its reason, whatever a faster decoder for either might change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import orjson
import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import MetaData

from kinerja.replay.scratch import scratch_definition
from kinerja.services import definition
from shared.contracts.reporting import ActivityReported
from shared.db import outbox_table
from shared.messaging.consumer import DeadLetterReason
from shared.messaging.consumer.decode import ConsumedEvent, EventDecoder, decode
from shared.outbox import OutboxWriter

_LIVE = definition("scoring")
_REPLAY = scratch_definition(_LIVE)


def _handled(service: Any) -> frozenset[str]:
    """The event types a service's consumer handles (scoring's handlers need no context to be named)."""
    return frozenset(cls.event_type() for cls in service.handlers(cast(Any, None)))


HANDLED = _handled(_LIVE)
LIVE, REPLAY = EventDecoder(HANDLED), EventDecoder(_handled(_REPLAY))

_REPORTED = ActivityReported(
    region_id="rb-medan",
    activity_id="0190aaaa-0000-7000-8000-000000000001",
    employee_id="rb-medan-7",
    plan_id="p1",
    result_id="p1-r1",
    indicator_id="p1-i1",
    occurred_at=datetime(2026, 3, 8, 7, 14, 41, 76272, tzinfo=UTC),
    quantity=Decimal("13"),
    denominator=Decimal("17"),
    description="Perekaman KTP-el",
    evidence_sha256=["ab" * 32],
)
_PUBLISHED: dict[str, Any] = orjson.loads(
    cast(bytes, OutboxWriter(outbox_table(MetaData()), producer="reporting").row(_REPORTED)["value"])
)


def _sent(envelope: dict[str, Any] | None = None, **payload: Any) -> bytes:
    """The published report with some of its envelope's and payload's fields changed (``...``: left out)."""
    body = {**_PUBLISHED["payload"], **payload}
    sent: dict[str, Any] = {"payload": {name: value for name, value in body.items() if value is not ...}}
    head = {**_PUBLISHED, **sent, **(envelope or {})}
    return orjson.dumps({name: value for name, value in head.items() if value is not ...})


_UNDECODABLE, _INVALID = DeadLetterReason.UNDECODABLE, DeadLetterReason.INVALID_PAYLOAD

#: Records both must refuse, with the reason each is a dead letter.
REFUSED: dict[str, tuple[bytes, DeadLetterReason]] = {
    "not JSON": (b"{not json", _UNDECODABLE),
    "an id that is no UUID": (_sent({"event_id": "not-a-uuid"}), _UNDECODABLE),
    "a time without its offset": (_sent({"occurred_at": "2026-03-08T07:14:41"}), _UNDECODABLE),
    "a time in the basic form": (_sent({"occurred_at": "20260308T071441Z"}), _UNDECODABLE),
    "no producer": (_sent({"producer": ...}), _UNDECODABLE),
    "a payload that is a list": (_sent({"payload": []}), _UNDECODABLE),
    "an unknown type": (_sent({"type": "ActivityForgotten"}), DeadLetterReason.UNKNOWN_TYPE),
    "an offset of 60 minutes": (_sent(occurred_at="2026-03-08T14:14:41+07:60"), _INVALID),
    "an activity time without offset": (_sent(occurred_at="2026-03-08T14:14:41"), _INVALID),
    "a quantity that is no number": (_sent(quantity="tiga"), _INVALID),
    "a quantity NaN": (_sent(quantity="NaN"), _INVALID),
    "an infinite quantity": (_sent(quantity="Infinity"), _INVALID),
    "an id that is a number": (_sent(activity_id=5), _INVALID),
    "no description": (_sent(description=...), _INVALID),
    "evidence that is no list": (_sent(evidence_sha256="ab"), _INVALID),
    "another region's payload": (_sent(region_id="rb-belawan"), _INVALID),
}

#: Records both must accept, though not as the outbox writes them.
ACCEPTED: dict[str, bytes] = {
    "as published": _sent(),
    "fields no contract names": _sent({"traceparent": "00-ab"}, channel="mobile"),
    "a quantity as a JSON number": _sent(quantity=13, denominator=17.5),
    "a quantity with an exponent": _sent(quantity="1.3e1"),
    "no denominator": _sent(denominator=...),
    "an id in capitals without hyphens": _sent({"event_id": _PUBLISHED["event_id"].replace("-", "").upper()}),
    "an offset of +00:00": _sent({"occurred_at": "2026-03-08T07:14:41.076272+00:00"}),
}


def _record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("reporting.activity.v1", 0, 7, 0, 0, b"rb-medan-7", value, None, 10, len(value), [])


def _outcome(outcome: ConsumedEvent | tuple[DeadLetterReason, str]) -> object:
    """What a decoder made of a record, comparable: the reason, or the envelope's and event's fields."""
    if isinstance(outcome, tuple):
        return outcome[0]
    head = {name: value for name, value in outcome.envelope.__dict__.items() if name != "payload"}
    return head, outcome.event


def test_the_replay_decodes_the_types_the_live_consumer_handles() -> None:
    assert REPLAY._handled == LIVE._handled == HANDLED


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_record_is_refused_alike(case: str) -> None:
    value, reason = REFUSED[case]
    live, replay = LIVE.decode(_record(value)), REPLAY.decode(_record(value))
    assert _outcome(live) == _outcome(replay) == _outcome(decode(_record(value), HANDLED)) == reason
    batch, poison = REPLAY.decode_all([_record(value)])
    assert batch == []
    assert [found[1] for found in poison] == [reason]


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_an_odd_record_is_accepted_alike(case: str) -> None:
    value = ACCEPTED[case]
    live, replay = LIVE.decode(_record(value)), REPLAY.decode(_record(value))
    assert isinstance(live, ConsumedEvent)
    assert isinstance(replay, ConsumedEvent)
    assert _outcome(live) == _outcome(replay) == _outcome(decode(_record(value), HANDLED))
    assert isinstance(live.event, ActivityReported)


def test_a_batch_keeps_its_records_order_and_names_each_poison_record() -> None:
    records = [
        _record(ACCEPTED["as published"]),
        _record(REFUSED["not JSON"][0]),
        _record(_sent(quantity="2")),
    ]
    decoded, poison = REPLAY.decode_all(records)
    assert [item.record for item in decoded] == [records[0], records[2]]
    assert [(record, reason) for record, reason, _ in poison] == [(records[1], DeadLetterReason.UNDECODABLE)]
