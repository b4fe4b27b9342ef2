"""A consumer's batch: what the broker's first fetch brings, topped up with what follows at once."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.settings import BrokerKind, ServiceSettings

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


#: How long an idle consumer's fetch waits at Apache Kafka (ms): a fetch every 50 ms on quiet topics
#: was most of an idle service's CPU and of the broker's (reporting and scoring 0.017-0.021 of a
#: core each, 0.006-0.008 with 500; the broker 0.06-0.11, 0.02-0.03).
KAFKA_IDLE_FETCH_WAIT_MS = 500


@dataclass(frozen=True, slots=True)
class FetchWaits:
    """How long the consumer's fetches wait at the broker for their bytes: ``busy_ms`` (the wait it
    is made with) while records come, ``idle_ms`` from a poll that found none until one finds some.

    Apache Kafka answers a fetch as soon as ``consumer_fetch_min_bytes`` came, so with one byte a
    longer wait there costs a quiet topic's next event nothing. It is not kept while records come:
    aiokafka keeps one fetch in flight a broker, for the partitions of which it holds nothing, so
    a fetch of partitions read to their end would wait it out while the others' next records wait
    behind it (a catch-up of uneven partitions took 8.5 s with 500 against 5.5 s with 50;
    a replay's workers 20% longer, session 24). Tansu answers a fetch that found nothing only when
    its wait is over, so there the wait is every event's latency on a quiet topic: it stays short.
    """

    busy_ms: int
    idle_ms: int

    @classmethod
    def of(cls, settings: ServiceSettings) -> FetchWaits:
        """A service's: the gathering's wait (``consumer_gather_ms``) while busy, and while idle too
        unless the broker is Apache Kafka and a fetch is answered at its first byte."""
        busy = settings.consumer_gather_ms
        if settings.kafka_broker is BrokerKind.KAFKA and settings.consumer_fetch_min_bytes == 1:
            return cls(busy_ms=busy, idle_ms=max(busy, KAFKA_IDLE_FETCH_WAIT_MS))
        return cls(busy_ms=busy, idle_ms=busy)

    def follow(self, consumer: AIOKafkaConsumer, *, idle: bool) -> None:
        """Have the consumer's next fetch requests wait ``idle_ms`` or ``busy_ms``."""
        # aiokafka (pinned) reads it each time it builds a fetch request, and has no public setter.
        consumer._fetcher._fetch_max_wait_ms = self.idle_ms if idle else self.busy_ms


async def fetch_batch(
    consumer: AIOKafkaConsumer, batch_size: int, top_up: TopUp, waits: FetchWaits | None = None
) -> tuple[Records, float]:
    """Up to a batch of records, and when its first ones arrived (``time.time()``): what the first
    fetch brings, topped up with what follows at once.

    The broker answers a fetch with little at a time (a few records per partition), while each
    transaction has a fixed cost; so, as long as more keeps arriving within the top-up's wait,
    the batch is filled up to ``batch_size`` for at most the top-up's limit. When the topics
    are quiet the first records wait only one short top-up. With ``waits``, the consumer's next
    fetches wait as long as the first poll found it idle or busy (``FetchWaits``).
    """
    batches: Records = await consumer.getmany(timeout_ms=200, max_records=batch_size)
    if waits is not None:  # before any await: the fetcher builds its next request after this
        waits.follow(consumer, idle=not batches)
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
