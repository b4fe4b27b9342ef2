"""Dead letters: an event that can never be applied goes to its group's ``dlq.`` topic, with why."""

from __future__ import annotations

import logging
from enum import StrEnum

from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.contracts import dead_letter_topic
from shared.observability import EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)

#: The longest error text a dead letter's header carries.
ERROR_TEXT_LIMIT = 500


class DeadLetterReason(StrEnum):
    """Why an event was dead-lettered: a small closed set that dashboards can count by."""

    UNDECODABLE = "undecodable"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_PAYLOAD = "invalid_payload"
    REJECTED = "rejected"
    HANDLER_FAILED = "handler_failed"


class DeadLetters:
    """Sends a consumer group's dead letters: the record as it came, its origin and the reason in
    headers (``origin_topic``, ``origin_partition``, ``origin_offset``, ``consumer_group``,
    ``reason``, ``error``)."""

    def __init__(self, producer: AIOKafkaProducer, group_id: str) -> None:
        self._producer = producer
        self._group_id = group_id

    async def send(self, record: ConsumerRecord[bytes, bytes], reason: DeadLetterReason, error: str) -> None:
        """Send one dead letter and wait for the broker's acknowledgement."""
        headers = [
            ("origin_topic", record.topic.encode()),
            ("origin_partition", str(record.partition).encode()),
            ("origin_offset", str(record.offset).encode()),
            ("consumer_group", self._group_id.encode()),
            ("reason", reason.value.encode()),
            ("error", error[:ERROR_TEXT_LIMIT].encode()),
        ]
        await self._producer.send_and_wait(
            dead_letter_topic(self._group_id), value=record.value, key=record.key, headers=headers
        )
        EVENTS_DEAD_LETTERED.labels(record.topic, reason.value).inc()
        log.warning(
            "event dead-lettered",
            extra={"fields": {"topic": record.topic, "offset": record.offset, "reason": reason.value}},
        )
