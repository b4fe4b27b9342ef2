"""A replay's worker keeps the cyclic garbage collector out of its batches: off while one is applied
(its objects are all alive until it commits: a collection inside walked them to free nothing), on
again after it, even when the batch fails; the live consumer leaves the collector alone."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from sqlalchemy import MetaData

from shared.db import processed_events_table
from shared.messaging.consumer import EventConsumer

PARTITION = TopicPartition("reporting.activity.v1", 0)


class _Client:
    """The broker's consumer and producer as a batch uses them; a dead letter notes whether the
    collector was on when it was sent (an undecodable record is one, while the batch is applied)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.collector_on: list[bool] = []
        self.fail = fail

    async def send_and_wait(self, *_: Any, **__: Any) -> None:
        self.collector_on.append(gc.isenabled())
        if self.fail:
            raise RuntimeError("the broker is gone")

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return {PARTITION}

    def highwater(self, partition: TopicPartition) -> int:
        return 1


def _runner(client: _Client, **options: Any) -> EventConsumer[Any]:
    return EventConsumer(
        consumer=client,
        dead_letter_producer=client,
        group_id="scoring",
        session_factory=None,  # type: ignore[arg-type]
        processed_events=processed_events_table(MetaData()),
        outbox=None,  # type: ignore[arg-type]
        handlers={},
        **options,
    )


def _batch() -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
    return {PARTITION: [ConsumerRecord(PARTITION.topic, 0, 0, 0, 0, None, b"{}", None, 0, 2, [])]}


async def test_a_replay_batch_runs_without_the_collector_and_gives_it_back() -> None:
    client = _Client()
    await _runner(client, collect_between_batches=True).process_batches(_batch())
    assert client.collector_on == [False]
    assert gc.isenabled()


async def test_the_collector_comes_back_after_a_failed_batch() -> None:
    client = _Client(fail=True)
    with pytest.raises(RuntimeError):
        await _runner(client, collect_between_batches=True).process_batches(_batch())
    assert client.collector_on == [False]
    assert gc.isenabled()


async def test_the_live_consumer_leaves_the_collector_on() -> None:
    client = _Client()
    await _runner(client).process_batches(_batch())
    assert client.collector_on == [True]
