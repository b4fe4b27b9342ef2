"""How long a consumer's fetches wait at the broker: long on Apache Kafka while the topics are quiet
(it answers at the first byte), the gathering's wait while records come and on Tansu (it answers a
fetch that found nothing only when the wait is over)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from services.feedback.settings import FeedbackSettings
from services.reporting.settings import ReportingSettings
from services.scoring.settings import ScoringSettings
from shared.messaging.consumer import LIVE_TOP_UP, FetchWaits
from shared.messaging.consumer.fetch import KAFKA_IDLE_FETCH_WAIT_MS, fetch_batch
from shared.settings import BrokerKind

PARTITION = TopicPartition("planning.plan.v1", 0)


def test_on_kafka_an_idle_consumer_fetches_with_the_long_wait() -> None:
    for settings in (
        ScoringSettings(kafka_broker=BrokerKind.KAFKA),
        ReportingSettings(kafka_broker=BrokerKind.KAFKA),
    ):
        assert FetchWaits.of(settings) == FetchWaits(busy_ms=50, idle_ms=KAFKA_IDLE_FETCH_WAIT_MS)
    assert KAFKA_IDLE_FETCH_WAIT_MS == 500


def test_on_tansu_the_wait_stays_the_gathering() -> None:
    assert FetchWaits.of(ScoringSettings(kafka_broker=BrokerKind.TANSU)) == FetchWaits(busy_ms=50, idle_ms=50)
    feedback = FeedbackSettings(kafka_broker=BrokerKind.TANSU)
    assert FetchWaits.of(feedback) == FetchWaits(busy_ms=1000, idle_ms=1000)


def test_a_fetch_waiting_for_more_than_a_byte_keeps_its_wait_on_kafka_too() -> None:
    # Feedback's fetch waits for 64 KiB: its wait is how long its events are held, idle or not.
    assert FetchWaits.of(FeedbackSettings(kafka_broker=BrokerKind.KAFKA)) == FetchWaits(1000, 1000)
    scoring = ScoringSettings(kafka_broker=BrokerKind.KAFKA, consumer_fetch_min_bytes=16 * 1024)
    assert FetchWaits.of(scoring) == FetchWaits(busy_ms=50, idle_ms=50)


class _Consumer:
    """A consumer whose polls find the given numbers of records, in turn; ``_fetcher`` as aiokafka's
    holds the wait its next fetch requests are built with."""

    def __init__(self, *found: int) -> None:
        self.found = list(found)
        self._fetcher = SimpleNamespace(_fetch_max_wait_ms=50)

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        count = self.found.pop(0) if self.found else 0
        if not count:
            return {}
        record = ConsumerRecord(PARTITION.topic, 0, 0, 0, 0, None, b"{}", None, 2, 0, [])
        return {PARTITION: [record] * count}


async def test_the_runner_s_fetch_follows_whether_the_topics_are_quiet() -> None:
    waits = FetchWaits(busy_ms=50, idle_ms=500)
    consumer = _Consumer(0, 3, 0, 0)
    await fetch_batch(consumer, 500, LIVE_TOP_UP, waits)
    assert consumer._fetcher._fetch_max_wait_ms == 500
    batches, _ = await fetch_batch(consumer, 500, LIVE_TOP_UP, waits)
    assert len(batches[PARTITION]) == 3
    assert consumer._fetcher._fetch_max_wait_ms == 50
    await fetch_batch(consumer, 500, LIVE_TOP_UP, waits)
    assert consumer._fetcher._fetch_max_wait_ms == 500


async def test_without_waits_the_consumer_keeps_the_wait_it_was_made_with() -> None:
    consumer = _Consumer(0)
    await fetch_batch(consumer, 500, LIVE_TOP_UP)
    assert consumer._fetcher._fetch_max_wait_ms == 50
