"""Event contracts and the topic registry, built from the contract classes themselves."""

from __future__ import annotations

from shared.contracts import feedback, planning, reporting, scoring
from shared.contracts.base import DEFAULT_PARTITIONS, Envelope, EnvelopeHead, Event

__all__ = [
    "DEFAULT_PARTITIONS",
    "EVENT_TYPES",
    "TOPICS",
    "Envelope",
    "EnvelopeHead",
    "Event",
    "dead_letter_topic",
]


def _all_event_classes() -> list[type[Event]]:
    found: list[type[Event]] = []
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


#: Every event type by its envelope type name.
EVENT_TYPES: dict[str, type[Event]] = {cls.event_type(): cls for cls in _all_event_classes()}

#: Every topic and its partition count, the topics derived from the contracts (never listed by hand).
TOPICS: dict[str, int] = {cls.topic: DEFAULT_PARTITIONS for cls in EVENT_TYPES.values()}


def dead_letter_topic(consumer_group: str) -> str:
    """The dead-letter topic of one consumer group."""
    return f"dlq.{consumer_group}"


# Imported for their side effect of defining subclasses; kept referenced for linters.
_CONTRACT_MODULES = (feedback, planning, reporting, scoring)
