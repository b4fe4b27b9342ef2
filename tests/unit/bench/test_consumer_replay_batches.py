"""The consumer replay's stream (``bench.scoring_consumer_replay``): the same records in every run,
each on its key's partition, and batches of a fixed size and shape that keep each partition's order."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from bench.scoring_consumer_events import FixedIds, activity_events, population_events
from bench.scoring_consumer_replay import batches, records
from shared.contracts import TOPICS

_SENT = datetime(2026, 12, 6, 5, tzinfo=UTC)


def _stream(count: int) -> list[ConsumerRecord[bytes, bytes]]:
    ids = FixedIds(1)
    _, plans = population_events(20, ids)
    return records(activity_events(plans, count, now=_SENT, ids=ids), "reporting", _SENT)


def test_the_same_records_every_time_each_on_its_keys_partition() -> None:
    first, again = _stream(200), _stream(200)

    assert [(r.partition, r.offset, r.key, r.value) for r in first] == [
        (r.partition, r.offset, r.key, r.value) for r in again
    ]
    partitions = list(range(TOPICS[first[0].topic]))
    for record in first:
        assert record.partition == DefaultPartitioner()(record.key, partitions, partitions)


def test_batches_are_full_keep_each_partitions_order_and_follow_the_fetches() -> None:
    stream = _stream(900)
    made = list(batches(stream, 100, 40))

    assert all(sum(map(len, batch.values())) == 100 for batch in made)
    assert sorted((r.partition, r.offset) for b in made for rs in b.values() for r in rs) == sorted(
        (r.partition, r.offset) for r in stream
    )
    taken: dict[TopicPartition, list[int]] = {}
    for batch in made:
        for partition, held in batch.items():
            assert {r.partition for r in held} == {partition.partition}
            taken.setdefault(partition, []).extend(r.offset for r in held)
    assert all(offsets == list(range(len(offsets))) for offsets in taken.values())
    # A fetch brings 40 a partition: the first batch holds the first partitions' first 40 each.
    assert [len(held) for held in made[0].values()] == [40, 40, 20]
