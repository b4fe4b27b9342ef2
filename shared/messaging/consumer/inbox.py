"""The consumer's inbox: a processed-events row per applied event, so a redelivery is a no-op.

The row is written in the transaction that applies the event, so an event counts as processed
exactly when its effect is committed; its unique event id turns a second delivery into nothing.

A replay reads each partition from its start with one reader, into an empty inbox: its events are
new but for a relay's rare re-sends, so its inbox (``mostly_new``) copies a batch's rows in plainly
(``COPY``, binary) and asks which were new only when the unique index refuses one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import Table, Uuid, bindparam, case, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.json_rows import insert_from_json_rows, json_rows
from shared.messaging.consumer.decode import ConsumedEvent

# The driver's own UUID type (C), made from an id's 16 bytes (big-endian, as ``uuid.UUID.bytes``).
# Why: the driver writes one of these as it is, but encodes a standard ``uuid.UUID`` by its
# ``bytes`` property, a Python function: ~1,680 instructions an id against ~1,130 made and written
# this way (callgrind of a replay worker, session 34), for every event a replay's COPY records
# (``Inbox._copy_in``, its one use). It is not asyncpg's public API: named here alone, pinned with
# asyncpg in pyproject, and held by tests/unit/shared/test_driver_uuid.py, which fails saying what
# to do if an upgrade changes it.
try:
    from asyncpg.pgproto import pgproto

    DriverUUID = pgproto.UUID
except (ImportError, AttributeError) as error:
    raise ImportError(
        "asyncpg moved or removed asyncpg.pgproto.pgproto.UUID, as which the replay's COPY sends its "
        "ids: see DriverUUID in shared/messaging/consumer/inbox.py and tests/unit/shared/test_driver_uuid.py"
    ) from error

_PROCESSED_COLUMNS = ("event_id", "topic", "partition", "offset")


def _mark_batch_processed_statement(processed: Table) -> Any:
    """Record a batch's events as processed with one statement; returns one row: NULL when every
    event was new (as nearly always), else the array of the ids new to the table.

    The ids came back a row each, read one by one through SQLAlchemy's cursor and the driver's
    ``UUID``, to learn what the batch already knew: all of them were new.
    """
    fresh = (
        insert_from_json_rows(processed, _PROCESSED_COLUMNS)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(processed.c.event_id)
        .cte("fresh")
    )
    every_one_new = func.count() == bindparam("sent")
    # None new at all is an empty array (``array_agg`` of no row is NULL).
    ids = func.coalesce(func.array_agg(fresh.c.event_id), literal_column("'{}'::uuid[]", ARRAY(Uuid())))
    return select(case((every_one_new, None), else_=ids)).select_from(fresh)


class Inbox:
    """A service's ``processed_events`` table, as the consumer runner records in it."""

    def __init__(self, processed: Table, *, mostly_new: bool = False) -> None:
        self._processed = processed
        self._mark_batch_processed = _mark_batch_processed_statement(processed)
        self._mostly_new = mostly_new

    async def record_batch(self, session: AsyncSession, items: Sequence[ConsumedEvent]) -> set[int]:
        """Record a batch's events as processed in one statement; the ids not processed before, each
        as its integer (``UUID.int``).

        Integers, because a ``uuid.UUID`` hashes in Python and the driver's returned ids compare
        with the envelopes' through their ``int`` property, made anew each time: the batch looks
        each event up and takes it out (1.3 µs an event, against 0.3 for integers).
        """
        # The first delivery's position wins for in-batch duplicates.
        firsts = {item.event_id.int: item for item in reversed(items)}
        if self._mostly_new:
            try:
                # In a savepoint, so that a refusal leaves the batch's transaction usable.
                async with session.begin_nested():
                    await self._copy_in(session, firsts.values())
                return set(firsts)
            except UniqueViolationError:
                pass  # an event of the batch was applied before: ask which, as the live inbox does
        rows: dict[str, Any] = {
            "rows": json_rows(
                (
                    {
                        "event_id": item.event_id,
                        "topic": item.record.topic,
                        "partition": item.record.partition,
                        "offset": item.record.offset,
                    }
                    for item in firsts.values()
                ),
                _PROCESSED_COLUMNS,
            )
        }
        fresh = await session.scalar(self._mark_batch_processed, {**rows, "sent": len(firsts)})
        return set(firsts) if fresh is None else {event_id.int for event_id in fresh}

    async def _copy_in(self, session: AsyncSession, items: Iterable[ConsumedEvent]) -> None:
        """The events' rows copied into the table on the session's own connection, in its
        transaction (the connection's search path names the service's schema).

        ``COPY`` takes the rows as the driver encodes them, with neither a JSON text to write nor
        one to parse: against ``insert_from_json_rows`` 1.6 against 2.7 µs of PostgreSQL's CPU a
        row, and 1.9 against 2.1 of the client's (batches of 2,000 time-ordered ids, alternated).
        The ids go as ``DriverUUID``s: the same 16 bytes, cheaper to encode.
        """
        driver = (await (await session.connection()).get_raw_connection()).driver_connection
        assert driver is not None  # an open connection's
        await driver.copy_records_to_table(
            self._processed.name,
            records=[
                (
                    DriverUUID(item.event_id.int.to_bytes(16, "big")),
                    item.record.topic,
                    item.record.partition,
                    item.record.offset,
                )
                for item in items
            ],
            columns=_PROCESSED_COLUMNS,
        )

    async def record(self, session: AsyncSession, item: ConsumedEvent) -> bool:
        """Record one event as processed; whether it was not processed before."""
        inserted = await session.execute(
            insert(self._processed)
            .values(
                event_id=item.event_id,
                topic=item.record.topic,
                partition=item.record.partition,
                offset=item.record.offset,
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(self._processed.c.event_id)
        )
        return inserted.first() is not None
