"""The activity intake's statements, on the driver (asyncpg) connection: four round trips per group.

Activity submissions are the platform's busiest write. On this path every database round trip
costs more CPU (a system call each way, an event-loop turn, the ORM and the adapter) than judging
dozens of activities, so a group of submissions is written with as few as possible:

1. ``BEGIN``, the region setting (row-level security) and generic plans, in one simple-protocol
   message of utility statements (nothing to plan);
2. the plan indicators of the whole group;
3. the activities, their outbox events and the audit entries in one statement (events only for
   rows really inserted, in the order given, an employee's in one outbox row; an entry only if one
   of its activities was inserted), answering with the ids inserted (or, for a group tried
   plainly, which inserts all or none, counting them in its command tag);
4. ``COMMIT``.

The connection comes from the service's SQLAlchemy pool (so it is sized and closed with the rest),
taken without a SQLAlchemy ``Connection`` around it; SQLAlchemy starts no transaction on it, so
returning it costs no round trip. The statements' text is ``intake_statements``'.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from services.reporting.adapters.intake_statements import (
    ACTIVITIES_AMONG,
    ACTIVITY_COLUMNS,
    AUDIT_COLUMNS,
    GENERIC_PLANS,
    HEAD_COLUMNS,
    INDICATORS_AMONG,
    PRIMARY_KEY,
    SAVEPOINT,
    insert_activities_and_events,
    region_literal,
)
from shared.contracts.reporting import ActivityReported
from shared.db import CONNECTION_LOST, REGION_SETTING
from shared.json_rows import json_row_values
from shared.outbox import ENVELOPE_SEPARATOR, OutboxWriter, event_id_series

#: An activity's JSON row (``ACTIVITY_COLUMNS``): its id, its indicator's, its own values, then the
#: device's offset. The columns its group's items of one indicator share (``row_head``: employee,
#: plan, result and indicator) travel once an indicator, as the statement's heads.
ROW_HEAD_COLUMNS = HEAD_COLUMNS
ROW_OWN_COLUMNS = ACTIVITY_COLUMNS[2:-1]
if ACTIVITY_COLUMNS[:2] != ("activity_id", "indicator_id") or ROW_HEAD_COLUMNS[-1] != "indicator_id":
    raise RuntimeError("an activity's JSON row must start with its id, then its indicator's, its head's last")
if ACTIVITY_COLUMNS[-1] != "occurred_utc_offset":
    raise RuntimeError("an activity's JSON row must end with the device's offset")
row_head = operator.itemgetter(*ROW_HEAD_COLUMNS)


def activity_row(
    activity_id: str, head: tuple[Any, ...], own: dict[str, Any], offset_text: str
) -> tuple[Any, ...]:
    """An activity's JSON row (``json_row_values``): its id, its indicator's (the last of ``head``,
    ``row_head`` of the fields its indicator's items share), ``own``'s values (``ROW_OWN_COLUMNS``,
    in order: its values with numbers as text, as the feed shows them), then the device's offset,
    which the feed leaves out.
    Numbers travel as text: the driver's binary encoding of each ``Decimal`` cost more than the
    database's parsing of its text. Joined from the parts at hand: its twelve values read by name
    from the feed's copy cost ~1,500 instructions an item more (callgrind, session 35).

    The offset too (``offset_text``: its minutes as text): as a JSON number it was parsed into a
    ``numeric`` with the rest of the JSON, then written back as text to be read as the column's
    ``smallint`` (~800 instructions of PostgreSQL's an item; bench/README.md, session 35)."""
    return (activity_id, head[-1], *own.values(), offset_text)


_AUDIT_VALUES = operator.itemgetter(*AUDIT_COLUMNS)


def _audit_entry(entry: dict[str, Any], *, witnessed: bool = True) -> tuple[Any, ...]:
    """An audit entry's ``intake_audit_entry``: its columns, then the ids of the activities it
    witnesses (activity ids hold no spaces (the API's pattern), so a space-joined list is unambiguous),
    or NULL where ``witnessed`` is false (the plain insert does not read them)."""
    return (*_AUDIT_VALUES(entry), " ".join(entry["witnesses"]) if witnessed else None)


def _outbox_value(parts: list[bytes]) -> bytes:
    """An employee's outbox row's value: its events' envelopes, joined from their parts (``emitter``)."""
    parts[0] = _EVENT_START  # the first envelope has none before it
    return b"".join(parts)


#: The fields of ``ActivityReported`` an accepted activity's values hold (all but its evidence).
REPORTED_FIELDS = tuple(name for name in ActivityReported.model_fields if name != "evidence_sha256")
#: Where the reported fields end in an activity's JSON as the feed shows it (``IntakeTransaction.emitter``).
REPORTED_FIELDS_END = b',"latitude":'


#: An envelope's first part, before its event id; the same after another envelope of its outbox row
#: (``ENVELOPE_SEPARATOR`` first); and its last part, after its payload: evidence is attached later,
#: each with its own event.
_EVENT_START = b'{"event_id":"'
_NEXT_EVENT_START = ENVELOPE_SEPARATOR + _EVENT_START
_EVENT_END = b',"evidence_sha256":[]}}'


class IntakeTransaction:
    """One open transaction restricted to one region.

    ``plainly``: its group is inserted without ``ON CONFLICT`` (a group of batches), in the
    savepoint ``BEGIN`` set for it.
    """

    def __init__(
        self,
        driver: Any,
        region_id: str,
        outbox: OutboxWriter,
        insert_statements: tuple[str, str],
        *,
        plainly: bool = False,
    ) -> None:
        self._driver = driver
        self.region_id = region_id
        self._outbox = outbox
        #: The insert for new ids only, and the one that skips stored ids.
        self._insert_new, self._insert_skipping_stored = insert_statements
        #: Whether the next insert is tried plainly (``SAVEPOINT`` set, nothing inserted since).
        self._plainly = plainly
        #: The activities' JSON rows (``activity_row``).
        self._items: list[tuple[Any, ...]] = []
        #: Each indicator's row head (``row_head``), by the indicator's id: its items' employee,
        #: plan and result (``intake_statements._insert_activities``).
        self._heads: dict[str, tuple[Any, ...]] = {}
        #: Each employee's activity ids and the parts of its outbox row's value (``emitter``), in the
        #: order emitted (employees by their first).
        self._events: dict[str, tuple[list[str], list[bytes]]] = {}
        #: The envelopes' fields by correlation id (every item of a request has its request's), and
        #: what writes them: a group's events differ in their correlation id alone.
        self._envelopes: dict[str | None, bytes] = {}
        self._envelope_after_id: Callable[[str | None], bytes] | None = None
        #: The events' ids, in the order they are emitted.
        self._event_ids = event_id_series()

    def emitter(
        self, employee_id: str, correlation_id: str | None, submitted_at: datetime
    ) -> Callable[[str, tuple[Any, ...], dict[str, Any], bytes, str], None]:
        """What queues a request's activities (``employee_id``'s, under ``correlation_id``) for
        ``insert``, each with its event, written if the activity is new: one event per activity, in
        the same order. Made at the request's first activity: employees' events go in that order.
        ``submitted_at``: the moment the group is written, the events' time.

        It takes an activity's id, its row's parts (``activity_row``), its JSON as the feed shows it
        (its event's payload is cut from it) and the device's offset in minutes as text. An
        indicator's activities share its head (``row_head``). What every activity of
        the request shares is looked up once: an ``emit`` an activity looking up its envelope and
        its employee's events cost ~950 instructions an item more (callgrind, session 35).
        """
        after_id = self._envelopes.get(correlation_id)
        if after_id is None:
            if self._envelope_after_id is None:
                self._envelope_after_id = self._outbox.envelopes_after_id(
                    ActivityReported, region_id=self.region_id, occurred_at=submitted_at
                )
            # After the event id's closing quote.
            after_id = self._envelopes[correlation_id] = b'"' + self._envelope_after_id(correlation_id)
        events = self._events.get(employee_id)
        if events is None:
            events = self._events[employee_id] = ([], [])
        items, heads, (activity_ids, parts), event_ids = self._items, self._heads, events, self._event_ids
        add_parts = parts.extend

        def emit(
            activity_id: str, head: tuple[Any, ...], own: dict[str, Any], shown: bytes, offset_text: str
        ) -> None:
            items.append(activity_row(activity_id, head, own, offset_text))
            heads[head[-1]] = head
            activity_ids.append(activity_id)
            # The event's payload is cut from the feed's JSON rather than written again: a dict of
            # the event's fields and its encoding cost ~1.3 µs an item (bench/README.md, session 20).
            # The cut is exact: inside a JSON string every ``"`` is escaped, so ``,"latitude":`` is
            # found only as the key. Found from the end (the fields after it are fewer bytes), by
            # ``rpartition`` (one argument, no parsing of them): a slice to ``rindex``'s cost ~750
            # instructions an item more (callgrind, session 36). The values were validated as
            # ``ActivityCreate`` and hold the plan's ids as the database keeps them: validating them
            # again as the event cost 9% of a batch item's CPU (session 8).
            payload, found, _ = shown.rpartition(REPORTED_FIELDS_END)
            if not found:
                raise ValueError("an activity's JSON without its latitude")
            # The envelope as parts of its employee's outbox row, joined once for all its events
            # (``insert``): each envelope joined, then the row of them, cost ~1,200 instructions an item
            # more (callgrind, session 38). Each starts with the separator (taken off the first).
            add_parts((_NEXT_EVENT_START, next(event_ids), after_id, payload, _EVENT_END))

        return emit

    async def indicators_among(self, indicator_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The active plan indicators among these ids, each with its employee and the employee's rater.

        As dicts: each is read by name seven times an item it judges (a batch's 500 items share an
        indicator), and a driver's record looks a name up slower than a dict (~1,300 instructions an
        item; bench/README.md, session 24).
        """
        rows = await self._driver.fetch(INDICATORS_AMONG, self.region_id, list(indicator_ids))
        return [dict(row) for row in rows]

    async def activities_among(self, activity_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The stored activities among these ids (those of this region)."""
        rows = await self._driver.fetch(ACTIVITIES_AMONG, self.region_id, list(activity_ids))
        return [dict(row) for row in rows]

    async def insert(self, count: int, audit_entries: Sequence[dict[str, Any]], now: datetime) -> set[str]:
        """Insert the ``count`` activities emitted whose id is new, with their events and the audit
        entries that witnessed one of those; the ids really inserted.

        Each audit entry names the activities it records under ``witnesses`` (a list of ids).
        """
        items, self._items = self._items, []
        events, self._events = self._events, {}
        heads, self._heads = self._heads, {}
        if len(items) != count:
            raise ValueError(f"{count} activities, {len(items)} emitted")
        # An employee's events travel joined, as its outbox row holds them: the database no longer
        # sorts and joins 500 envelopes a batch (bench/README.md, session 21).
        values = [_outbox_value(parts) for _, parts in events.values()]
        rows = json_row_values(items)
        # The heads' columns (``HEAD_COLUMNS``), one array each.
        head_columns = [list(column) for column in zip(*heads.values(), strict=True)] or [
            [] for _ in HEAD_COLUMNS
        ]
        # Each employee's activity ids and each entry's witnesses are read only by the insert
        # skipping stored ids: the plain one takes NULL in their place (receiving those ids cost
        # PostgreSQL ~370 instructions a batch item; bench/README.md, session 38).
        if self._plainly:
            entries = [_audit_entry(entry, witnessed=False) for entry in audit_entries]
            arguments = (rows, self.region_id, now, entries, list(events), None, values, *head_columns)
            # A group of batches is tried plainly: ON CONFLICT descends the primary key twice a row
            # (its check, then the insert), 14-21% of the statement's CPU (bench/README.md, session
            # 22). A phone resends its unanswered queue from its start: the statement first looks
            # up each employee's first and last id and inserts nothing if one is stored, and the
            # resend is written skipping stored ids (the failed insert it replaced left an ERROR in
            # the server's log for every resend). Looking up every id cost as much as ON CONFLICT
            # (bench/README.md, session 23). A stored id elsewhere in the group, or one a concurrent
            # group committed while this one waited for its key, refuses the statement: rolled back
            # to the savepoint, the group is written skipping stored ids.
            self._plainly = False
            probed = " ".join(f"{ids[0]} {ids[-1]}" for ids, _ in events.values())
            try:
                status = await self._driver.execute(self._insert_new, *arguments, probed)
            except UniqueViolationError as exc:
                if exc.constraint_name != PRIMARY_KEY:
                    raise
                await self._driver.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            else:
                # All or none: counted by the command tag (``INSERT 0 <rows>``), not answered with
                # their ids (500 rows a batch for the database to send and the driver to read).
                written = int(status.rpartition(" ")[2])
                if written == count:
                    return set(itertools.chain.from_iterable(ids for ids, _ in events.values()))
                if written:
                    raise RuntimeError(f"{written} of {count} activities inserted plainly")
                # Nothing inserted: a probed id is stored (a resend).
        entries = [_audit_entry(entry) for entry in audit_entries]
        activity_ids = [" ".join(ids) for ids, _ in events.values()]
        arguments = (rows, self.region_id, now, entries, list(events), activity_ids, values, *head_columns)
        rows = await self._driver.fetch(self._insert_skipping_stored, *arguments)
        return {row[0] for row in rows}


class ConnectionLost(Exception):
    """The connection was found dropped; it was discarded and the work may be sent again."""


class IntakeStore:
    """Transactions of the intake on connections of the service's pool, writing the service's outbox."""

    def __init__(self, engine: AsyncEngine, *, outbox: OutboxWriter) -> None:
        self._engine = engine
        self._outbox = outbox
        self._insert_statements = (
            insert_activities_and_events(outbox.table.name, skip_stored=False),
            insert_activities_and_events(outbox.table.name),
        )

    @asynccontextmanager
    async def transaction(self, region_id: str, *, plainly: bool = False) -> AsyncIterator[IntakeTransaction]:
        """A transaction restricted to ``region_id``: committed when the block ends, rolled back on error.

        ``plainly``: its activities are tried without ``ON CONFLICT`` (``IntakeTransaction``), in a
        savepoint set for it. Raises ``ConnectionLost`` when the pooled connection turns out to be
        dropped.
        """
        # The pool's connection itself, without SQLAlchemy's Connection around it: checking one out
        # and back through a Connection cost a group 55 µs of CPU, a fifth of its fixed part
        # (bench/README.md, session 9). Returned to the pool as it is: the driver's transaction is
        # over by then, and SQLAlchemy, which started none, has none to reset.
        pooled = await self._engine.raw_connection()
        try:
            driver: Any = pooled.driver_connection
            begin = f"BEGIN; SET LOCAL {REGION_SETTING} = {region_literal(region_id)}; {GENERIC_PLANS}"
            try:
                # The savepoint only where a plain insert may be rolled back to it.
                await driver.execute(f"{begin}; SAVEPOINT {SAVEPOINT}" if plainly else begin)
                yield IntakeTransaction(
                    driver, region_id, self._outbox, self._insert_statements, plainly=plainly
                )
                await driver.execute("COMMIT")
            except CONNECTION_LOST as exc:
                # The pool must not hand this connection out again.
                await greenlet_spawn(pooled.invalidate, exc)
                raise ConnectionLost(str(exc)) from exc
            except BaseException:
                try:
                    await driver.execute("ROLLBACK")
                except Exception as exc:
                    await greenlet_spawn(pooled.invalidate, exc)
                raise
        finally:
            pooled.close()
