"""Decoding a record: an envelope and its event, or the reason it is a dead letter."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Container, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Annotated, Any, Generic, Literal, TypeVar, cast

from aiokafka import ConsumerRecord
from pydantic import Field, TypeAdapter, ValidationError, create_model

from shared.contracts import EVENT_TYPES, Envelope, EnvelopeHead, Event
from shared.messaging.consumer.dead_letters import DeadLetterReason

EventType = TypeVar("EventType", bound=Event)


@dataclass(slots=True, init=False)
class ConsumedEvent:
    """A decoded event with where it came from (one made for every record).

    Not frozen: a frozen dataclass sets each field through ``object.__setattr__`` (bench/README.md,
    session 22). Made by position: with keywords (it was ``kw_only``) its ``__init__`` cost ~1,300
    instructions more (a replay worker's 150.2k an event -> 148.8k; callgrind, session 33).
    """

    envelope: EnvelopeHead
    #: None: another consumer's event on a shared topic, skipped.
    event: Event | None
    record: ConsumerRecord[bytes, bytes]
    #: The envelope's fields the runner and the inbox read, read once here from the envelope's
    #: ``__dict__``: a pydantic model's field read by name goes through its class's ``__getattr__``
    #: hook, which keeps CPython from specializing it (~390 instructions a read, ~150 a key of the
    #: dict, ~30 a slot), and they read these seven times an event.
    event_id: uuid.UUID
    type: str
    region_id: str
    correlation_id: str | None

    def __init__(
        self, envelope: EnvelopeHead, event: Event | None, record: ConsumerRecord[bytes, bytes]
    ) -> None:
        self.envelope = envelope
        self.event = event
        self.record = record
        head = envelope.__dict__
        self.event_id = head["event_id"]
        self.type = head["type"]
        self.region_id = head["region_id"]
        self.correlation_id = head["correlation_id"]


class TypedEnvelope(EnvelopeHead, Generic[EventType]):
    """An envelope whose payload is read as its event: one per event type a consumer handles."""

    payload: EventType


class EventDecoder:
    """Decodes the records of a consumer that handles some event types (by name).

    An envelope and its event are validated in one pass over the JSON: a union of one envelope
    model per handled type, told apart by ``type``, whose payload is the event's own model (the
    envelope's payload read as a ``dict`` and then validated again into the event cost 75.0k
    instructions an activity event, this 57.1k; bench/README.md, session 21). Another consumer's
    event type is read as the head alone. Anything else (an unknown type, a broken envelope or
    payload) is judged again, rarely, by the two steps that tell which it is.
    """

    def __init__(self, handled: Iterable[str]) -> None:
        self._handled = frozenset(handled)
        members = [_typed_envelope(EVENT_TYPES[name]) for name in sorted(self._handled)]
        others = tuple(sorted(set(EVENT_TYPES) - self._handled))
        if others:
            members.append(
                create_model("OthersEnvelope", __base__=EnvelopeHead, type=(_LITERAL[others], ...))
            )
        union: Any = reduce(operator.or_, members)
        if len(members) > 1:
            union = Annotated[union, Field(discriminator="type")]
        # The adapter's core validator itself: ``TypeAdapter.validate_json`` is a Python frame that
        # passes it seven keywords, 0.6k-4.1k (2.3k on average) of an activity event's 47.7k
        # decoding instructions (callgrind, four hash seeds, session 24).
        self._envelopes = TypeAdapter(union).validator

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> ConsumedEvent | tuple[DeadLetterReason, str]:
        """The record's event, if its type is handled (None for another consumer's); else why it is poison."""
        try:
            envelope: EnvelopeHead = self._envelopes.validate_json(record.value or b"")
        except ValidationError:
            return decode(record, self._handled)
        if not isinstance(envelope, TypedEnvelope):
            return ConsumedEvent(envelope, None, record)
        event: Event = envelope.payload
        consumed = ConsumedEvent(envelope, event, record)
        if event.region_id != consumed.region_id:
            return DeadLetterReason.INVALID_PAYLOAD, "payload region differs from the envelope's region"
        return consumed


#: Types spelt at run time (an event type's name, its class): what mypy cannot check statically.
_LITERAL: Any = Literal
_TYPED_ENVELOPE: Any = TypedEnvelope


def _typed_envelope(event_type: type[Event]) -> type[EnvelopeHead]:
    name = event_type.event_type()
    model = create_model(f"{name}Envelope", __base__=_TYPED_ENVELOPE[event_type], type=(_LITERAL[name], ...))
    return cast(type[EnvelopeHead], model)


def decode(
    record: ConsumerRecord[bytes, bytes], handled: Container[str]
) -> ConsumedEvent | tuple[DeadLetterReason, str]:
    """The record's event in two steps (the envelope, then its payload as the event), telling why a
    record is poison: an undecodable envelope, an unknown type or an invalid payload."""
    try:
        envelope = Envelope.model_validate_json(record.value or b"")
    except ValidationError as exc:
        return DeadLetterReason.UNDECODABLE, str(exc)
    if envelope.type not in handled:
        if envelope.type in EVENT_TYPES:
            # Another consumer's event on a shared topic: not ours to apply, not poison either.
            return ConsumedEvent(envelope=envelope, event=None, record=record)
        return DeadLetterReason.UNKNOWN_TYPE, f"unknown event type {envelope.type!r}"
    try:
        event = EVENT_TYPES[envelope.type].model_validate(envelope.payload)
    except ValidationError as exc:
        return DeadLetterReason.INVALID_PAYLOAD, str(exc)
    if event.region_id != envelope.region_id:
        return DeadLetterReason.INVALID_PAYLOAD, "payload region differs from the envelope's region"
    return ConsumedEvent(envelope=envelope, event=event, record=record)
