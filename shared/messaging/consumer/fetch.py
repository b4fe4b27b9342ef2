"""A consumer's batch: what the broker's first fetch brings, topped up with what follows at once."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

#: Records by partition, each partition's in order.
Records = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


@dataclass(frozen=True, slots=True)
class TopUp:
    """Once a batch's first records arrived, how long the runner waits for more each time (it stops
    when none came), and at most in all: a little latency for much fewer, larger transactions."""

    wait_ms: int
    limit_ms: int
    #: Stop once the consumer holds every record the broker had at its last answer (a replay reads
    #: what the topics already hold: waiting then brings nothing, and each phase's last batch
    #: waited ``wait_ms`` for it).
    until_caught_up: bool = False

    @classmethod
    def within(cls, limit_ms: int) -> TopUp:
        """A top-up of at most ``limit_ms``, waiting a fifth of it for each more (the live one's 10 of 50)."""
        return cls(wait_ms=max(limit_ms // 5, 1), limit_ms=limit_ms)


#: The live consumer's: events reach the views within tens of milliseconds.
LIVE_TOP_UP = TopUp.within(50)
#: A replay's: nobody waits on a single event, and every batch has a fixed cost (the broker may
#: hand out only a few records per partition and fetch).
REPLAY_TOP_UP = TopUp(wait_ms=250, limit_ms=2000, until_caught_up=True)


async def fetch_batch(consumer: AIOKafkaConsumer, batch_size: int, top_up: TopUp) -> tuple[Records, float]:
    """Up to a batch of records, and when its first ones arrived (``time.time()``): what the first
    fetch brings, topped up with what follows at once.

    The broker answers a fetch with little at a time (a few records per partition), while each
    transaction has a fixed cost; so, as long as more keeps arriving within the top-up's wait,
    the batch is filled up to ``batch_size`` for at most the top-up's limit. When the topics
    are quiet the first records wait only one short top-up.
    """
    batches: Records = await consumer.getmany(timeout_ms=200, max_records=batch_size)
    arrived = time.time()
    count = sum(len(records) for records in batches.values())
    deadline = time.monotonic() + top_up.limit_ms / 1000
    while 0 < count < batch_size:
        left_ms = (deadline - time.monotonic()) * 1000
        if left_ms <= 0 or (top_up.until_caught_up and await _caught_up(consumer)):
            break
        more = await consumer.getmany(
            timeout_ms=int(min(top_up.wait_ms, left_ms)) or 1, max_records=batch_size - count
        )
        if not more:
            break
        for partition, records in more.items():
            batches.setdefault(partition, []).extend(records)
            count += len(records)
    return batches, arrived


async def _caught_up(consumer: AIOKafkaConsumer) -> bool:
    """Whether the consumer has handed out every assigned partition's records up to its high
    watermark as the broker's last fetch answer told it (unknown before a partition's first answer)."""
    for partition in consumer.assignment():
        end = consumer.highwater(partition)
        if end is None or await consumer.position(partition) < end:
            return False
    return True
