"""The event envelope and the base of every event contract (pure pydantic, no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

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


#: The usual shape of a sent time, which pydantic's strict RFC 3339 reading and the standard
#: library's ``fromisoformat`` read alike: the extended form with a ``T``, seconds, a fraction of
#: 1-6 digits and ``Z`` or a ``±hh:mm`` offset. ``fromisoformat`` also reads forms pydantic refuses
#: (the basic form ``20261205T101500+0700``, week dates, ``+07``, an offset's 60 minutes or more,
#: no minutes, no zone, any separator), so it is given only text of this shape.
USUAL_TIME_SHAPE = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-5][0-9])"
)


class _UsualTimeByStandardLibrary:
    """Reads a sent time of the usual shape (``USUAL_TIME_SHAPE``) with the standard library, and
    leaves any other value to pydantic's aware ``datetime``, which accepts or refuses it as the
    contract does (a time without an offset is refused, as RFC 3339's ``date-time`` requires).

    A time read by the standard library has its ``UTC`` as the zone if sent in UTC (as every
    producer sends an envelope's), else a standard ``timezone``, where pydantic gives each time a
    zone object of its own whose offset is asked from Python: comparing two such times costs
    ~4,100 instructions against ~400, asking one its instant ~6,300, and a consumer does both
    several times an event (its freshness, touches, stamps, the activity's period and deltas).
    The instant and the offset are the same. The shape is checked by pydantic's own pattern and
    ``fromisoformat`` called without a Python frame: two times of an envelope cost 14,172
    instructions, where a Python check before ``fromisoformat`` cost 23,700-26,900 and
    ``fromisoformat`` unchecked 15,862 (callgrind, session 23).
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        usual = core_schema.no_info_after_validator_function(
            datetime.fromisoformat, core_schema.str_schema(pattern=f"^{USUAL_TIME_SHAPE}$")
        )
        contract = handler(source)
        return core_schema.union_schema(
            [usual, contract], mode="left_to_right", serialization=contract.get("serialization")
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The contract's schema is the aware ``datetime``'s (a ``date-time`` string), not the union's.
        return handler(core_schema.datetime_schema(tz_constraint="aware"))


#: A time as events carry it (``_UsualTimeByStandardLibrary``).
SentTime = Annotated[AwareDatetime, _UsualTimeByStandardLibrary]


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
