"""The campaign's view of the broker: events poisoned on purpose, the dead letters, consumer lag."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from kinerja.backup import committed_offsets
from shared.contracts import TOPICS, dead_letter_topic
from shared.messaging.kafka import CONSUMER_GROUPS

#: Topics poisoned on purpose: read by scoring; by reporting, scoring and feedback; by scoring.
POISONED_TOPICS = ("reporting.activity.v1", "planning.organisation.v1", "feedback.satisfaction_index.v1")
POISON_MARK = b"kinerja-chaos-poison:"


async def poison(bootstrap: str, count: int) -> set[str]:
    """Publish ``count`` undecodable events (not JSON) over the poisoned topics; returns their marks."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    marks: set[str] = set()
    try:
        for index in range(count):
            mark = uuid.uuid4().hex
            topic = POISONED_TOPICS[index % len(POISONED_TOPICS)]
            await producer.send_and_wait(topic, value=POISON_MARK + mark.encode(), key=mark.encode())
            marks.add(mark)
    finally:
        await producer.stop()
    return marks


@dataclass(frozen=True)
class DeadLetters:
    """What the dead-letter topics hold: the poisoned marks found, and anything else (by origin)."""

    poisoned: set[str]
    unexpected: list[str]


async def read_dead_letters(bootstrap: str) -> DeadLetters:
    """Every record of every group's dead-letter topic, from the start to the end seen now."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    poisoned: set[str] = set()
    unexpected: list[str] = []
    try:
        partitions = [TopicPartition(dead_letter_topic(group), 0) for group in CONSUMER_GROUPS]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        left = {partition for partition, end in ends.items() if end > 0}
        while left:
            for partition, records in (await consumer.getmany(*left, timeout_ms=1000)).items():
                for record in records:
                    value = record.value or b""
                    if value.startswith(POISON_MARK):
                        poisoned.add(value[len(POISON_MARK) :].decode())
                    else:
                        said = {key: raw.decode(errors="replace") for key, raw in record.headers}
                        unexpected.append(
                            f"{partition.topic}: {said.get('origin_topic')}@{said.get('origin_offset')} "
                            f"{said.get('reason')}: {said.get('error', '')[:200]}"
                        )
                    if record.offset + 1 >= ends[partition]:
                        left.discard(partition)
    finally:
        await consumer.stop()
    return DeadLetters(poisoned, unexpected)


async def _assigned_topics(bootstrap: str) -> dict[str, set[str]]:
    """The topics each consumer group's members hold now (one group per request: aiokafka cannot
    decode Apache Kafka 4's answer about several groups at once)."""
    topics: dict[str, set[str]] = {group: set() for group in CONSUMER_GROUPS}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for group in CONSUMER_GROUPS:
            for response in await admin.describe_consumer_groups([group]):
                for group_description in response.groups:
                    for member in group_description[5]:
                        if member[4]:
                            decoded = ConsumerProtocolMemberAssignment.decode(member[4])
                            topics[group] |= {partition.topic for partition in decoded.partitions()}
    finally:
        await admin.close()
    return topics


async def consumer_lag(bootstrap: str) -> dict[str, int]:
    """Each group's events not yet committed, over the topics it holds or has committed on."""
    committed = await committed_offsets(bootstrap, CONSUMER_GROUPS)
    assigned = await _assigned_topics(bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, n) for topic, count in TOPICS.items() for n in range(count)]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    lag: dict[str, int] = {}
    for group in CONSUMER_GROUPS:
        offsets = committed.get(group, {})
        lag[group] = group_lag(ends, offsets, assigned[group] | {key.rsplit(":", 1)[0] for key in offsets})
    return lag


def group_lag(ends: dict[TopicPartition, int], committed: dict[str, int], topics: set[str]) -> int:
    """A group's events not yet committed over its topics' partitions (``topic:partition`` keys).

    A partition committed past the end the broker reports lags by nothing: Tansu reports a
    multi-record batch's end as its first offset + 1, and the difference must not cancel another
    partition's lag (``settle`` waited for a sum that never came back to zero).
    """
    return sum(
        max(end - committed.get(f"{partition.topic}:{partition.partition}", 0), 0)
        for partition, end in ends.items()
        if partition.topic in topics
    )
