"""Kafka clients configured the one way this platform uses them."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaConnectionError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
    for_code,
)
from aiokafka.partitioner import murmur2
from aiokafka.protocol.metadata import MetadataRequest

from shared.contracts import TOPICS, dead_letter_topic

log = logging.getLogger(__name__)

#: Every service's consumer group; their dead-letter topics are created up front with the rest.
CONSUMER_GROUPS = ("kinerja-scoring", "kinerja-reporting", "kinerja-feedback", "kinerja-planning")


def make_producer(bootstrap_servers: str, *, client_id: str, idempotent: bool = False) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas.

    The relay's is idempotent where the broker allows it (``ServiceSettings.kafka_idempotent_producer``):
    a retried batch is then neither duplicated nor reordered within its partition. Consumers
    de-duplicate by event id all the same, which stays the guarantee (Tansu, the embedded
    fallback, has no idempotent producers).
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotent,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


@functools.lru_cache(maxsize=65_536)
def _key_hash(key: bytes) -> int:
    # Pure Python in aiokafka (about 15 µs a key); a relay sends the same employees' keys again and again.
    hashed: int = murmur2(key) & 0x7FFFFFFF
    return hashed


def partition_of(key: bytes, partitions: Sequence[int]) -> int:
    """The partition a keyed message goes to: the default partitioner's choice (the Java client's
    murmur2 of the key), so every producer of the platform puts a key where the others do."""
    return partitions[_key_hash(key) % len(partitions)]


async def topics_missing(client: AIOKafkaClient, topics: Iterable[str]) -> set[str]:
    """Which of ``topics`` the broker does not have, by asking about those alone and creating none.

    A Metadata request that names a topic lets Tansu create it (with its default of 4 partitions)
    unless the request forbids it (``tests/integration/test_relay_topics.py``); Apache Kafka here
    creates none either way (``auto.create.topics.enable=false``). Asking about every topic instead
    creates none too, but decoding the whole cluster's answer was 28% of the relay's CPU.
    """
    node = client.get_random_node()
    if node is None:
        raise KafkaConnectionError("no broker known to ask for the topics' metadata")
    answer = await client.send(node, MetadataRequest(sorted(topics), allow_auto_topic_creation=False))
    missing: set[str] = set()
    for error, topic, *_ in answer.topics:
        if error == UnknownTopicOrPartitionError.errno:
            missing.add(topic)
        elif error:  # e.g. a leader not elected yet: the batch fails and is retried
            raise for_code(error)(f"metadata of {topic}")
    return missing


def make_consumer(
    bootstrap_servers: str,
    *,
    group_id: str,
    topics: Iterable[str],
    max_records: int,
    fetch_max_wait_ms: int = 50,
    fetch_min_bytes: int = 1,
) -> AIOKafkaConsumer:
    """A consumer with auto-commit off: offsets are committed only after the effect is committed."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        # The wait while records come (``FetchWaits.busy_ms``): aiokafka's one fetch in flight a
        # broker would hold the partitions with more behind the ones read to their end for the
        # default 500 ms. A service that gathers larger batches (``consumer_gather_ms``) waits
        # longer, for more bytes; the runner lengthens it while the topics are quiet
        # (``FetchWaits``: Apache Kafka answers at the first byte, Tansu only when it is over).
        fetch_max_wait_ms=fetch_max_wait_ms,
        fetch_min_bytes=fetch_min_bytes,
        session_timeout_ms=20_000,
        heartbeat_interval_ms=3_000,
        retry_backoff_ms=200,
    )


def all_topics() -> dict[str, int]:
    """Every topic of the platform with its partition count, dead-letter topics included."""
    topics = dict(TOPICS)
    for group in CONSUMER_GROUPS:
        topics[dead_letter_topic(group)] = 1
    return topics


#: Every topic keeps every event: ``kinerja replay`` rebuilds views from the first one, and the
#: dead-letter topics are the record of what was refused. Size the disks (deploy/README.md).
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


def topic_specs(replication_factor: int, topics: dict[str, int] | None = None) -> list[NewTopic]:
    """How each topic is created: its partitions, the replication factor, unlimited retention."""
    wanted = topics if topics is not None else all_topics()
    return [
        NewTopic(name, num_partitions=n, replication_factor=replication_factor, topic_configs=KEEP_FOREVER)
        for name, n in wanted.items()
    ]


async def ensure_topics(
    bootstrap_servers: str, topics: dict[str, int] | None = None, *, replication_factor: int = 1
) -> list[str]:
    """Create missing topics (the embedded broker does not auto-create); returns those created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="kinerja-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in topic_specs(replication_factor, topics) if spec.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return sorted(t.name for t in missing)
    finally:
        await admin.close()
