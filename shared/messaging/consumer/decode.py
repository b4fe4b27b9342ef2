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
    """A decoded event with where it came from (one made for every record, by ``consumed`` or
    ``EventDecoder.decode_all``).

    Not frozen: a frozen dataclass sets each field through ``object.__setattr__`` (bench/README.md,
    session 22). No ``__init__``: its makers set the slots themselves (a class's ``__init__`` is a
    frame called from C: ~1.4k instructions an event more; a named tuple is made cheaper still, but
    each field read by name then costs ~200 instructions where a slot's ~30; callgrind of a replay
    worker, session 35).
    """

    envelope: EnvelopeHead
    #: None: another consumer's event on a shared topic, skipped.
    event: Event | None
    record: ConsumerRecord[bytes, bytes]
    #: The envelope's fields the runner and the inbox read, read once from the envelope's
    #: ``__dict__``: a pydantic model's field read by name goes through its class's ``__getattr__``
    #: hook, which keeps CPython from specializing it (~390 instructions a read, ~150 a key of the
    #: dict, ~30 a slot), and they read these seven times an event.
    event_id: uuid.UUID
    type: str
    region_id: str
    correlation_id: str | None


def consumed(
    envelope: EnvelopeHead, event: Event | None, record: ConsumerRecord[bytes, bytes]
) -> ConsumedEvent:
    """The consumed event of an envelope, its event (if handled) and its record (the two steps';
    ``EventDecoder.decode_all`` makes its own the same way in its loop)."""
    head = envelope.__dict__
    item: ConsumedEvent = _new_object(ConsumedEvent)
    item.envelope = envelope
    item.event = event
    item.record = record
    item.event_id = head["event_id"]
    item.type = head["type"]
    item.region_id = head["region_id"]
    item.correlation_id = head["correlation_id"]
    return item


#: An object of a class made without calling its ``__init__`` (``ConsumedEvent``).
_new_object = object.__new__


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
        decoded, poison = self.decode_all((record,))
        return decoded[0] if decoded else poison[0][1:]

    def decode_all(
        self, records: Iterable[ConsumerRecord[bytes, bytes]]
    ) -> tuple[list[ConsumedEvent], list[Poison]]:
        """Each record's event as ``decode`` reads it, in order, and the records that are poison, each
        with why.

        One call a batch, the steps of ``decode`` and ``consumed`` written out in its loop: two Python
        frames a record less (a replay decodes every event of a partition's history).
        """
        decoded: list[ConsumedEvent] = []
        poison: list[Poison] = []
        validate_json = self._envelopes.validate_json
        for record in records:
            try:
                envelope: EnvelopeHead = validate_json(record.value or b"")
            except ValidationError:
                outcome = decode(record, self._handled)
                if isinstance(outcome, ConsumedEvent):
                    decoded.append(outcome)
                else:
                    poison.append((record, *outcome))
                continue
            # Read from the models' ``__dict__`` (see ``ConsumedEvent``): a handled type's envelope
            # holds its event as its payload, another consumer's (``OthersEnvelope``) no payload at all.
            head = envelope.__dict__
            event: Event | None = head.get("payload")
            if event is not None and event.__dict__["region_id"] != head["region_id"]:
                poison.append((record, DeadLetterReason.INVALID_PAYLOAD, _OTHER_REGION))
                continue
            item: ConsumedEvent = _new_object(ConsumedEvent)
            item.envelope = envelope
            item.event = event
            item.record = record
            item.event_id = head["event_id"]
            item.type = head["type"]
            item.region_id = head["region_id"]
            item.correlation_id = head["correlation_id"]
            decoded.append(item)
        return decoded, poison


#: A record that is a dead letter, with why (``DeadLetterReason``, the error's text).
Poison = tuple[ConsumerRecord[bytes, bytes], DeadLetterReason, str]
_OTHER_REGION = "payload region differs from the envelope's region"


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
            return consumed(envelope, None, record)
        return DeadLetterReason.UNKNOWN_TYPE, f"unknown event type {envelope.type!r}"
    try:
        event = EVENT_TYPES[envelope.type].model_validate(envelope.payload)
    except ValidationError as exc:
        return DeadLetterReason.INVALID_PAYLOAD, str(exc)
    if event.region_id != envelope.region_id:
        return DeadLetterReason.INVALID_PAYLOAD, _OTHER_REGION
    return consumed(envelope, event, record)
