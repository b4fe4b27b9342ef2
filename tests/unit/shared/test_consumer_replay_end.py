"""A replay's consumer ends its phase without waiting: its last batch is not topped up once it holds
everything the broker had, and the runner stops before fetching again once its ends are applied."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from sqlalchemy import MetaData

from shared.db import processed_events_table
from shared.messaging.consumer import LIVE_TOP_UP, REPLAY_TOP_UP, EventConsumer, TopUp
from shared.messaging.consumer.fetch import fetch_batch

PARTITION = TopicPartition("reporting.activity.v1", 0)


def _record(offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(PARTITION.topic, PARTITION.partition, offset, 0, 0, None, b"{}", None, 2, 0, [])


class _Broker:
    """A consumer of one partition holding ``held`` records, handed out ``per_fetch`` at a time; a
    fetch finding nothing waits its whole timeout, as aiokafka's does."""

    def __init__(self, held: int, per_fetch: int) -> None:
        self.held, self.per_fetch, self.next, self.waited_ms = held, per_fetch, 0, 0

    def assignment(self) -> set[TopicPartition]:
        return {PARTITION}

    def highwater(self, partition: TopicPartition) -> int:
        return self.held

    async def position(self, partition: TopicPartition) -> int:
        return self.next

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        count = min(self.per_fetch, max_records, self.held - self.next)
        if not count:
            self.waited_ms += timeout_ms
            return {}
        records = [_record(offset) for offset in range(self.next, self.next + count)]
        self.next += count
        return {PARTITION: records}


async def test_a_replay_does_not_top_up_a_batch_holding_everything_the_broker_had() -> None:
    broker = _Broker(held=300, per_fetch=100)
    batches, _ = await fetch_batch(broker, 10_000, REPLAY_TOP_UP)
    assert len(batches[PARTITION]) == 300
    assert broker.waited_ms == 0


async def test_a_replay_tops_up_while_the_broker_holds_more() -> None:
    broker = _Broker(held=300, per_fetch=100)
    batches, _ = await fetch_batch(broker, 200, REPLAY_TOP_UP)
    assert len(batches[PARTITION]) == 200


async def test_the_live_consumer_still_waits_for_more_once_caught_up() -> None:
    """Live, more events may arrive any moment: the top-up waits for them as before."""
    broker = _Broker(held=300, per_fetch=100)
    batches, _ = await fetch_batch(broker, 10_000, LIVE_TOP_UP)
    assert len(batches[PARTITION]) == 300
    assert broker.waited_ms == LIVE_TOP_UP.wait_ms
    assert not LIVE_TOP_UP.until_caught_up
    assert TopUp.within(50) == LIVE_TOP_UP


async def test_the_runner_stops_before_fetching_once_its_ends_are_applied() -> None:
    """A replay's worker used to poll five times a second and stop the runner, which was waiting in
    a fetch meanwhile (~0.2 s each phase's end); now the runner asks before each fetch."""
    broker = _Broker(held=0, per_fetch=100)
    runner: EventConsumer[Any] = EventConsumer(
        consumer=broker,
        dead_letter_producer=None,
        group_id="scoring",
        session_factory=None,  # type: ignore[arg-type]
        processed_events=processed_events_table(MetaData()),
        outbox=None,  # type: ignore[arg-type]
        handlers={},
        top_up=REPLAY_TOP_UP,
    )
    started = time.monotonic()
    await asyncio.wait_for(runner.run(asyncio.Event(), until=lambda: True), timeout=5)
    assert time.monotonic() - started < 0.1
    assert broker.waited_ms == 0
