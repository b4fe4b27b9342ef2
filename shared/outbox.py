"""The one writer of a service's outbox: what a request's unit of work, an event handler's batch and
reporting's intake emit becomes an outbox row here, in the caller's transaction."""

from __future__ import annotations

import functools
import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Insert, Table, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import Event
from shared.observability import correlation_id_var

#: An outbox row's columns besides its region, with their PostgreSQL types: for a statement that
#: inserts the rows from arrays (``unnest``), as reporting's intake does.
EVENT_COLUMN_TYPES = {
    "event_id": "uuid",
    "topic": "varchar",
    "partition_key": "varchar",
    "event_type": "varchar",
    "value": "bytea",
}
_OUTBOX_COLUMNS = (*EVENT_COLUMN_TYPES, "region_id")
_AUDIT_COLUMNS = ("region_id", "actor", "action", "subject", "detail", "client_address", "correlation_id")

#: What separates the envelopes of an outbox row that holds several events of one partition key
#: (reporting's intake writes an employee's events of a transaction as one row): compact JSON, as
#: orjson, pydantic and the intake's statement write it, holds no raw newline, so a row of one event
#: is its envelope alone, as ever.
ENVELOPE_SEPARATOR = b"\n"


def envelopes_of(value: bytes) -> list[bytes]:
    """The envelopes an outbox row's value holds, in their order: each is one event (one message)."""
    return value.split(ENVELOPE_SEPARATOR)


#: A version 7 UUID's version and variant bits (RFC 9562), and the mask of its random bits.
_UUID7_MARKS = 0x7000_8000_0000_0000_0000
_UUID7_RANDOM = 0x0FFF_3FFF_FFFF_FFFF_FFFF


def new_event_id() -> uuid.UUID:
    """A new event id, ordered by the time it was drawn (UUID version 7: milliseconds, then 74
    random bits).

    Every consumer keeps the ids it applied in its ``processed_events`` under a unique key: random
    ids (version 4) landed all over that index, so each batch's insert touched (and, after every
    checkpoint, wrote whole to the WAL) a page per row; ids in time order go to its right edge.
    PostgreSQL 18's ``uuidv7()`` draws them alike (reporting's intake).
    """
    moment = time.time_ns() // 1_000_000
    return uuid.UUID(int=(moment << 80) | (int.from_bytes(os.urandom(10)) & _UUID7_RANDOM) | _UUID7_MARKS)


#: An event id's last 48 bits, which a series counts up (``event_id_series``), and how many ids a
#: series holds at most: its first id's count starts low enough never to wrap.
_SERIES_COUNTED = (1 << 48) - 1
_SERIES_SPAN = 1 << 20


def event_id_series() -> Iterator[bytes]:
    """Event ids as their text, in order, for the events of one transaction: the first drawn as
    ``new_event_id`` draws one, each next one the one before plus one (in its last 48 bits, up to
    a million ids).

    For a writer of hundreds of events at once (reporting's intake): PostgreSQL's ``uuidv7()``
    cost ~5 µs of its CPU an id (a strong random draw each), ``new_event_id`` ~1.5 µs of Python
    (a system call each); a series costs one draw, then one formatting an id. Unique as drawn ids
    are: two series share ids only if they were drawn in the same millisecond with the same 26
    random bits before the counted ones, and their counted ranges overlap (~10^-19 for two series
    in one millisecond). Time-ordered as ``new_event_id``'s, and in order within the series.
    """
    first = new_event_id().int
    start = first & _SERIES_COUNTED
    if start > _SERIES_COUNTED - _SERIES_SPAN:
        start -= _SERIES_SPAN
    digits = b"%032x" % first
    head = b"%s-%s-%s-%s-" % (digits[:8], digits[8:12], digits[12:16], digits[16:20])
    # An id's text is its block's of 256 (the head and the count's first ten digits, written once a
    # block) joined to its last two digits: each id formatted whole (``b"%012x" % count``) cost
    # ~1,350 instructions (callgrind, session 34).
    blocks = (map((head + b"%010x" % block).__add__, _LAST_DIGITS) for block in itertools.count(start >> 8))
    return itertools.islice(itertools.chain.from_iterable(blocks), start & 0xFF, None)


#: The last two hex digits of an id's count, each of its 256 values (``event_id_series``).
_LAST_DIGITS = tuple(b"%02x" % low for low in range(256))


@functools.cache
def _insert_into(table: Table) -> Insert:
    """One INSERT statement object per table, so its cache key and compiled form are reused."""
    return insert(table)


@functools.cache
def _audit_and_outbox_row(audit_log: Table, outbox: Table) -> Insert:
    """One audit entry and one outbox row in ONE statement (a data-modifying CTE): one round trip.

    Executed with the outbox row's values and the audit entry's under ``audit_<column>``.
    """
    entry = (
        insert(audit_log)
        .values({name: bindparam(f"audit_{name}", type_=audit_log.c[name].type) for name in _AUDIT_COLUMNS})
        .cte("audit_entry")
    )
    return (
        insert(outbox)
        .values({name: bindparam(name, type_=outbox.c[name].type) for name in _OUTBOX_COLUMNS})
        .add_cte(entry)
    )


@dataclass(frozen=True, slots=True)
class OutboxWriter:
    """Builds a service's outbox rows (the envelope, routing and producer) and writes them.

    Rows are written through the caller's session, so an event is committed with the state change
    that caused it or not at all (the relay publishes it later).
    """

    table: Table
    producer: str

    def row(
        self,
        event: Event,
        *,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """The outbox row of an event: its envelope (by default with the current correlation id).

        The envelope's JSON is written directly (the fields of ``Envelope``, which consumers parse):
        building and dumping an ``Envelope`` model around an event that is already valid doubled the
        cost of every event on the busiest paths.
        """
        return self.row_of(
            type(event),
            # Serialized by the event's own (compiled) serializer.
            event.__pydantic_serializer__.to_json(event),
            region_id=event.region_id,
            partition_key=event.partition_key(),
            causation_id=causation_id,
            occurred_at=occurred_at,
            correlation_id=correlation_id,
        )

    def row_of(
        self,
        event_class: type[Event],
        payload: bytes,
        *,
        region_id: str,
        partition_key: str,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """The outbox row of an event of ``event_class`` whose payload is already JSON.

        For a caller that writes the payload from values validated before (reporting's intake): it
        answers for the payload reading back as the event the model would build.
        """
        event_id = new_event_id()
        rest = self.envelope_after_id(
            event_class,
            region_id=region_id,
            occurred_at=occurred_at or datetime.now(UTC),
            correlation_id=correlation_id or correlation_id_var.get(),
            causation_id=causation_id,
        )
        return {
            "event_id": event_id,
            "topic": event_class.topic,
            "partition_key": partition_key,
            "event_type": event_class.event_type(),
            "region_id": region_id,
            "value": b'{"event_id":"%s"%s%s}' % (str(event_id).encode(), rest, payload),
        }

    def envelope_after_id(
        self,
        event_class: type[Event],
        *,
        region_id: str,
        occurred_at: datetime,
        correlation_id: str | None,
        causation_id: str | None = None,
    ) -> bytes:
        """An envelope's JSON after its event id up to its payload: ``,"type":...,"payload":``.

        An envelope is its event id (first), these fields, then the payload (last).
        """
        return self.envelopes_after_id(
            event_class, region_id=region_id, occurred_at=occurred_at, causation_id=causation_id
        )(correlation_id)

    def envelopes_after_id(
        self,
        event_class: type[Event],
        *,
        region_id: str,
        occurred_at: datetime,
        causation_id: str | None = None,
    ) -> Callable[[str | None], bytes]:
        """``envelope_after_id`` for events that differ in their correlation id alone (a group of
        requests' events): the other fields written once, the id of each written in between."""
        fields = {
            "type": event_class.event_type(),
            "occurred_at": occurred_at,
            "producer": self.producer,
            "region_id": region_id,
        }
        before = b',%s,"correlation_id":' % orjson.dumps(fields)[1:-1]
        after = b',"causation_id":%s,"payload":' % orjson.dumps(causation_id)

        def envelope_after_id(correlation_id: str | None) -> bytes:
            return before + orjson.dumps(correlation_id) + after

        return envelope_after_id

    async def write(
        self,
        session: AsyncSession,
        rows: Sequence[dict[str, Any]],
        *,
        audit_log: Table | None = None,
        audit: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Insert the rows (and audit entries, into ``audit_log``) in the session's transaction."""
        if len(rows) == 1 and len(audit) == 1 and audit_log is not None:
            # The common case of a request (one change, one event): both rows in one round trip.
            params = rows[0] | {f"audit_{name}": value for name, value in audit[0].items()}
            await session.execute(_audit_and_outbox_row(audit_log, self.table), params)
            return
        if audit and audit_log is not None:
            await session.execute(_insert_into(audit_log), list(audit))
        if rows:
            await session.execute(_insert_into(self.table), list(rows))
