"""The rebuild's bench envelopes its events as the services' relays send them: the moment in UTC.

Every service's outbox stamps an envelope ``datetime.now(UTC)``; the bench's stream runs in WIB, and
its envelopes carried ``+07:00``, which a consumer reads with a zone object of its own per event
(each comparison of two such times then asks both zones their offsets).
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC
from typing import Any, cast

from aiokafka import AIOKafkaProducer

from bench.scoring_rebuild_events import BatchProducer, activity_stream, planning_events, year_so_far
from shared.contracts import Envelope


class _Batch:
    def __init__(self, values: list[bytes]) -> None:
        self._values = values

    def append(self, *, key: bytes, value: bytes, timestamp: Any) -> object:
        self._values.append(value)
        return object()


class _Producer:
    """Holds what the bench appends to its record batches."""

    def __init__(self) -> None:
        self.values: list[bytes] = []

    def create_batch(self) -> _Batch:
        return _Batch(self.values)


def test_the_envelopes_carry_their_moment_in_utc() -> None:
    rng = random.Random(7)
    window = year_so_far()
    setup, people = planning_events(1, window[0].year, rng)
    assert window[0].utcoffset() != UTC.utcoffset(None)  # the stream's clock is not UTC's
    producer = _Producer()
    writer = BatchProducer(cast(AIOKafkaProducer, producer))
    sent = [(event, window[0], "planning") for event in setup[:3]]
    sent += [(event, at, "reporting") for event, at in activity_stream(people, 20, rng, window)]
    for event, at, name in sent:
        asyncio.run(writer.add(event, at, name))
    envelopes = [Envelope.model_validate_json(value) for value in producer.values]
    assert [envelope.occurred_at for envelope in envelopes] == [at for _, at, _ in sent]  # the same instants
    assert {envelope.occurred_at.tzinfo for envelope in envelopes} == {UTC}
