"""The event envelope and the base of every event contract (pure pydantic, no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

#: Partitions of every topic, and the one place the number is decided: it bounds the consumer
#: instances per group and the replay's worker processes, and cannot shrink once topics exist
#: (deploy/README.md sizes it for a province and for the country, and a test holds the two equal).
DEFAULT_PARTITIONS = 6


class Event(BaseModel):
    """Base of every event: one frozen model per event type, its topic declared on the class.

    Within a version only additive changes are allowed (new optional fields); a breaking change
    is a new class on a new ``.v2`` topic, published beside the old one for a while. Unknown
    fields are ignored so an older consumer still reads a newer producer's additive change.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    topic: ClassVar[str]

    region_id: str = Field(description="The region (pemerintah daerah) the fact belongs to.")

    @classmethod
    def event_type(cls) -> str:
        """The type name carried in the envelope (the class name, e.g. ``WorkPlanApproved``)."""
        return cls.__name__

    def partition_key(self) -> str:
        """The aggregate id used as the Kafka key, so that one aggregate's events stay in order."""
        raise NotImplementedError


def _standard_time(value: object) -> object:
    """A sent time as the standard library parses it: one sent in UTC (as every producer sends an
    envelope's) then has the standard library's ``UTC`` as its zone, another offset a standard
    ``timezone``, where pydantic gives each time a zone object of its own whose offset is asked from
    Python: comparing two such times costs ~4,100 instructions against ~400, asking one its instant
    ~6,300, and a consumer does both several times an event (its freshness, touches, stamps, the
    activity's period and deltas). The instant and the offset are the same; any other text or value
    is left to pydantic."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return value


#: A time as events carry it, parsed as the standard library does (``_standard_time``).
SentTime = Annotated[datetime, BeforeValidator(_standard_time)]


class EnvelopeHead(BaseModel):
    """Every field of the envelope but its payload: what a consumer's handler is given beside the
    event, which the consumer validates straight from the payload's JSON (``shared.messaging.consumer``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    type: str
    occurred_at: SentTime
    producer: str
    region_id: str
    correlation_id: str | None = None
    causation_id: str | None = None


class Envelope(EnvelopeHead):
    """The thin envelope every message carries on the wire (CloudEvents-like)."""

    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        producer: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        """Put an event in an envelope with a fresh id."""
        return cls(
            event_id=event_id or uuid.uuid4(),
            type=event.event_type(),
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            region_id=event.region_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=event.model_dump(mode="json"),
        )
