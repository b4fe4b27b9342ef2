"""What every handler does alike: name its event, read the period it names, keep a late event aside."""

from __future__ import annotations

import orjson
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import late_events
from services.scoring.domain.activity import Stamp
from services.scoring.domain.periods import parse_period_key
from services.scoring.metrics import LATE_EVENTS
from shared.contracts import EnvelopeHead, Event
from shared.messaging.consumer import EventRejected
from shared.refusals import Refusal

#: Makes one of an activity's value objects (named tuples: ``Stamp``, ``ActivityIdentity``,
#: ``ActivityMeasure``, ``ActivityChange``) from all its fields without the named tuple's
#: ``__new__``, a Python function (every activity event makes three or four of them).
new_value = tuple.__new__


def stamp_of(envelope: EnvelopeHead) -> Stamp:
    """The event's stamp (when it happened, its id): of two changes to one fact, the later wins."""
    return new_value(Stamp, (envelope.occurred_at, event_id_of(envelope)))


def event_id_of(envelope: EnvelopeHead) -> str:
    """The event's id as the rows it changes record it (``str(UUID)``'s text)."""
    # Written by orjson in C, its quotes cut: 3.6k instructions where ``UUID.__str__``, Python's
    # formatting of the id's integer, took 8.4k (every activity event's stamp; bench/README.md,
    # session 21). tests/unit/scoring/test_event_id_text.py holds the two equal.
    return orjson.dumps(envelope.event_id)[1:-1].decode()


async def divert_late(
    session: AsyncSession, envelope: EnvelopeHead, event: Event, *, period: str, subject_id: str
) -> None:
    """Keep an event for a closed period aside: recorded, visible to auditors, never applied.

    Its payload is stored as the event's JSON: the consumer validated the event straight from the
    record, never keeping the payload as a ``dict`` (a late event is rare; every event is decoded).
    """
    await session.execute(
        insert(late_events)
        .values(
            event_id=event_id_of(envelope),
            region_id=envelope.region_id,
            event_type=envelope.type,
            period=period,
            subject_id=subject_id,
            payload=event.model_dump(mode="json"),
            occurred_at=envelope.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["region_id", "event_id"])
    )
    LATE_EVENTS.labels(envelope.type).inc()


def period_key_of(key: str) -> str:
    """A period key from another service, refused (dead-lettered) when it names no period."""
    try:
        return parse_period_key(key).key
    except Refusal as exc:
        raise EventRejected(f"not a period: {key!r}") from exc
