"""The activity intake's statements, on the driver (asyncpg) connection: four round trips per group.

Activity submissions are the platform's busiest write. On this path every database round trip
costs more CPU (a system call each way, an event-loop turn, the ORM and the adapter) than judging
dozens of activities, so a group of submissions is written with as few as possible:

1. ``BEGIN``, the region setting (row-level security) and generic plans, in one simple-protocol
   message of utility statements (nothing to plan);
2. the plan indicators of the whole group;
3. the activities, their outbox events and the audit entries in one statement (events only for
   rows really inserted, in the order given, an employee's in one outbox row; an entry only if one
   of its activities was inserted), answering with the ids inserted;
4. ``COMMIT``.

The connection comes from the service's SQLAlchemy pool (so it is sized and closed with the rest),
taken without a SQLAlchemy ``Connection`` around it; SQLAlchemy starts no transaction on it, so
returning it costs no round trip.
"""

from __future__ import annotations

import operator
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from shared.auth import REGION_ID
from shared.contracts.reporting import ActivityReported
from shared.db import CONNECTION_LOST, REGION_SETTING
from shared.outbox import ENVELOPE_SEPARATOR, OutboxWriter, event_id_series
from shared.region_time import DEFAULT_TIMEZONE

#: Columns of an accepted activity as the intake inserts them, with their PostgreSQL types: the
#: fields of the ``intake_item`` type (migrations 0009, 0013), in the same order.
ACTIVITY_COLUMNS = {
    "activity_id": "varchar",
    "employee_id": "varchar",
    "plan_id": "varchar",
    "result_id": "varchar",
    "indicator_id": "varchar",
    "occurred_at": "timestamptz",
    "occurred_utc_offset": "int2",
    "quantity": "numeric",
    "denominator": "numeric",
    "description": "text",
    "obstacles": "text",
    "latitude": "numeric",
    "longitude": "numeric",
}
#: An audit entry's columns as the intake inserts them: the fields of ``intake_audit_entry``
#: (migration 0010) but for the activities it witnesses, in the same order.
_AUDIT_COLUMNS = ("region_id", "actor", "action", "subject", "detail", "client_address", "correlation_id")


_OFFSET = "occurred_utc_offset"
#: An item's columns before and after the device's offset, as ``as_text`` (the feed's copy of the
#: values, which leaves the offset out) holds them.
_BEFORE_OFFSET = operator.itemgetter(*tuple(ACTIVITY_COLUMNS)[: tuple(ACTIVITY_COLUMNS).index(_OFFSET)])
_AFTER_OFFSET = operator.itemgetter(*tuple(ACTIVITY_COLUMNS)[tuple(ACTIVITY_COLUMNS).index(_OFFSET) + 1 :])


def _item(as_text: dict[str, Any], offset_minutes: int) -> tuple[Any, ...]:
    """An activity's ``intake_item``: its columns, read from ``as_text`` (its values with numbers
    as text, as the feed shows them) but for the device's offset. Numbers travel as text: the
    driver's binary encoding of each ``Decimal`` cost more than the database's parsing of its text.
    Two ``itemgetter`` calls: a list patched number by number cost twice as much."""
    return (*_BEFORE_OFFSET(as_text), offset_minutes, *_AFTER_OFFSET(as_text))


def _item_columns() -> str:
    """The items' columns as the activities take them: numbers cast from their text."""
    return ", ".join(
        f"item.{name}::numeric AS {name}" if kind == "numeric" else f"item.{name}"
        for name, kind in ACTIVITY_COLUMNS.items()
    )


_AUDIT_VALUES = operator.itemgetter(*_AUDIT_COLUMNS)


def _audit_entry(entry: dict[str, Any]) -> tuple[Any, ...]:
    """An audit entry's ``intake_audit_entry``: its columns, then the ids of the activities it
    witnesses (activity ids hold no spaces (the API's pattern), so a space-joined list is unambiguous)."""
    return (*_AUDIT_VALUES(entry), " ".join(entry["witnesses"]))


_ITEMS, _REGION, _NOW, _AUDIT_ENTRIES, _EMPLOYEES, _EVENT_ACTIVITIES, _EVENTS = 1, 2, 3, 4, 5, 6, 7
#: The ids the plain insert looks up first, space-joined (``skip_stored=False`` only).
_PROBED = 8
#: Where an envelope's event id stands in it (``substring``'s first byte is 1), and its length.
_ID_FROM, _ID_LENGTH = len(b'{"event_id":"') + 1, 36

# The statement writes ActivityReported's routing as literals: checked to need no quoting.
_TOPIC, _EVENT_TYPE = ActivityReported.topic, ActivityReported.event_type()
assert all(re.fullmatch(r"[\w.-]+", name) for name in (_TOPIC, _EVENT_TYPE))
#: The envelopes' separator as a ``bytea`` literal's text.
_SEPARATOR = "\\x" + ENVELOPE_SEPARATOR.hex()
#: Of an inserted activity (among the ``inserted`` rows of the statement below): ``IS TRUE`` keeps
#: the ``IN`` a hashed subplan, the inserted ids hashed once for all the rows that ask. Left bare,
#: it was planned as a nested loop, reading the inserted rows again for each asking row.
_IS_INSERTED = "({} IN (SELECT activity_id FROM inserted)) IS TRUE"
_SKIP_STORED = "ON CONFLICT (region_id, activity_id) DO NOTHING"


def _insert_activities_and_events(outbox: str, *, skip_stored: bool = True) -> str:
    """Activities from an array of ``intake_item`` (one prepared statement whatever the count; a
    multi-row VALUES would be a new statement per count) and, in the same statement, the events of
    the rows really inserted (into the ``outbox`` table) and the audit entries.

    Each item's event is written whole by ``emit``; the statement takes the topic, type and key
    (the employee) from here: per event, one array element instead of six. The ids
    are time-ordered (``shared.outbox.event_id_series``): the consumers' ``processed_events``
    primary keys then grow at their right edge instead of at random pages (bench/README.md,
    session 12). PostgreSQL's ``uuidv7()`` drew them before, ~5 µs of its CPU an id (session 19).

    An employee's events are ONE outbox row (its ``event_id`` the first event's, read from its
    envelope), their envelopes in the items' order, separated as ``shared.outbox.envelopes_of``
    reads them; the relay sends each as its own message. A batch request's 500 events were 500
    rows, each with its index entries, and 500 rows for the relay to mark sent (session 19). The
    intake sends them so joined, with their activities' ids: the row is written as sent when all
    its activities were inserted, and rebuilt of the inserted ones' events otherwise (a resend).
    Each item carrying its event, the statement sorted and joined 500 envelopes a batch: ~3 µs of
    its CPU an item (bench/README.md, session 21).

    An audit entry is written if one of the activities it witnesses was, looked up among the
    inserted ids hashed once. The inserted rows scanned for each entry (its list split again for
    each row read) cost a group of four 500-item batches 69 µs of PostgreSQL's CPU an item instead
    of 21, and a group of 200 single submissions 59 instead of 29 (bench/README.md, session 21).

    ``skip_stored``: an activity whose id is stored already is left out (``ON CONFLICT DO
    NOTHING``). Without it, each new row descends the primary key once, not twice (the conflict
    check, then the insert), and the statement inserts nothing at all when one of the probed ids
    (``$8``, space-joined: each employee's first and last) is stored: the group is then a resend,
    written by the skipping statement without an error. A stored id the probe missed, or one a
    concurrent group committed meanwhile, fails the statement (``pk_activities``).
    """
    columns, audit_columns = ", ".join(ACTIVITY_COLUMNS), ", ".join(_AUDIT_COLUMNS)
    if skip_stored:
        condition = _SKIP_STORED
    else:
        # Each probed id looked up by the primary key (LIMIT keeps it a nested index scan: planned
        # as a join, the whole table could be read).
        condition = f"""WHERE NOT EXISTS (
        SELECT FROM unnest(string_to_array(${_PROBED}::text, ' ')) AS probed(activity_id),
            LATERAL (
                SELECT FROM activities
                WHERE region_id = ${_REGION}::varchar AND activity_id = probed.activity_id
                LIMIT 1
            ) AS stored
    )"""
    return f"""
WITH inserted AS (
    INSERT INTO activities ({columns}, region_id, status, submitted_at, revision)
    SELECT {_item_columns()}, ${_REGION}, 'submitted', ${_NOW}, 1
    FROM unnest(${_ITEMS}::intake_item[]) AS item({columns})
    {condition}
    RETURNING activity_id
), published AS (
    INSERT INTO {outbox} (event_id, topic, partition_key, event_type, value, region_id)
    SELECT convert_from(substring(events.value FROM {_ID_FROM} FOR {_ID_LENGTH}), 'UTF8')::uuid,
           '{_TOPIC}', events.employee_id, '{_EVENT_TYPE}', events.value, ${_REGION}
    FROM (
        SELECT employee.employee_id, employee.number, CASE
            WHEN counted.written = cardinality(ids.activity_ids) THEN employee.value
            -- Some were stored before (resent): only the others' events, in their order.
            ELSE (
                SELECT string_agg(convert_to(event.envelope, 'UTF8'), '{_SEPARATOR}'::bytea ORDER BY event.n)
                FROM unnest(
                    string_to_array(
                        convert_from(employee.value, 'UTF8'), convert_from('{_SEPARATOR}'::bytea, 'UTF8')
                    ),
                    ids.activity_ids
                ) WITH ORDINALITY AS event(envelope, activity_id, n)
                WHERE {_IS_INSERTED.format("event.activity_id")}
            )
        END AS value
        FROM unnest(${_EMPLOYEES}::varchar[], ${_EVENT_ACTIVITIES}::text[], ${_EVENTS}::bytea[])
                WITH ORDINALITY AS employee(employee_id, activity_ids, value, number),
            -- Each split and counted once an employee (as columns, not expressions repeated).
            string_to_array(employee.activity_ids, ' ') AS ids(activity_ids),
            LATERAL (
                SELECT count(*) FROM unnest(ids.activity_ids) AS event(activity_id)
                WHERE {_IS_INSERTED.format("event.activity_id")}
            ) AS counted(written)
        WHERE counted.written > 0
    ) AS events
    -- In the items' order, so the rows' ids grow with their events'.
    ORDER BY events.number
), audited AS (
    INSERT INTO audit_log ({audit_columns})
    SELECT {", ".join(f"entry.{name}" for name in _AUDIT_COLUMNS)}
    FROM unnest(${_AUDIT_ENTRIES}::intake_audit_entry[]) AS entry({audit_columns}, witnesses)
    WHERE EXISTS (
        SELECT FROM unnest(string_to_array(entry.witnesses, ' ')) AS witness(activity_id)
        WHERE {_IS_INSERTED.format("witness.activity_id")}
    )
)
SELECT activity_id FROM inserted
"""


_INDICATORS_AMONG = f"""
SELECT p.indicator_id, p.employee_id, p.plan_id, p.result_id, p.year, p.aggregation, p.qualitative,
       t.supervisor_id AS rater_id
FROM plan_indicators p
LEFT JOIN LATERAL (
    -- The rater today in the region's zone (shared/read_models.py's rule, by the primary key's index).
    SELECT supervisor_id FROM team_members
    WHERE region_id = p.region_id AND employee_id = p.employee_id
      AND effective_from <= (now() AT TIME ZONE coalesce(
          (SELECT timezone FROM regions WHERE region_id = p.region_id), '{DEFAULT_TIMEZONE}'))::date
    ORDER BY effective_from DESC
    LIMIT 1
) t ON true
WHERE p.region_id = $1 AND p.active AND p.indicator_id = ANY($2::varchar[])
"""

_ACTIVITIES_AMONG = "SELECT * FROM activities WHERE region_id = $1 AND activity_id = ANY($2::varchar[])"


#: The intake's prepared statements planned once per connection. Left to choose, PostgreSQL
#: planned the indicators' look-up afresh for every group (its generic plan looked dearer than a
#: custom one, the plan being the same): ~0.3 ms of its CPU a group, twice what it then took to
#: run (pg_stat_statements, bench/README.md, session 11).
_GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"

#: Set by ``BEGIN``'s message for a group of batches: its insert runs in it without ``ON CONFLICT``
#: (a group is new but for resends), and a stored id refuses it by the primary key's name.
_SAVEPOINT, _PRIMARY_KEY = "before_insert", "pk_activities"


def _literal(region_id: str) -> str:
    """The region id as a SQL literal: the parameterless BEGIN message cannot bind it.

    Tokens carry only slugs (shared.auth refuses others), so this never refuses a request.
    """
    if not REGION_ID.fullmatch(region_id):
        raise ValueError(f"not a region id: {region_id[:70]!r}")
    return f"'{region_id}'"


#: The fields of ``ActivityReported`` an accepted activity's values hold (all but its evidence).
REPORTED_FIELDS = tuple(name for name in ActivityReported.model_fields if name != "evidence_sha256")
#: Where the reported fields end in an activity's JSON as the feed shows it (``reported_event``).
REPORTED_FIELDS_END = b',"latitude":'


def reported_event(shown: bytes, event_id: bytes, after_id: bytes) -> bytes:
    """An accepted activity's ``ActivityReported`` envelope; ``shown``: the activity's JSON as the
    feed shows it, whose fields before ``latitude`` are the event's (``REPORTED_FIELDS``, whatever
    their order; the intake checks it); ``event_id``: its id's text; ``after_id``: the envelope's
    fields (``OutboxWriter.envelope_after_id``).

    The event's payload is cut from the feed's JSON rather than written again: a dict of the event's
    fields and its encoding cost ~1.3 µs an item (bench/README.md, session 20). The cut is exact:
    inside a JSON string every ``"`` is escaped, so ``,"latitude":`` is found only as the key. The
    values were validated as ``ActivityCreate`` and hold the plan's ids as the database keeps them:
    validating them again as the event cost 9% of a batch item's CPU (session 8). A unit test holds
    the envelope to read back as the one the event's model gives.
    """
    payload = shown[: shown.index(REPORTED_FIELDS_END)]
    # Joined, not %-formatted: ~760 instructions an item fewer (bench/README.md, session 24).
    # Evidence is attached later, each with its own event.
    return b"".join((b'{"event_id":"', event_id, b'"', after_id, payload, b',"evidence_sha256":[]}}'))


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
        #: Whether the next insert is tried plainly (``_SAVEPOINT`` set, nothing inserted since).
        self._plainly = plainly
        self._items: list[tuple[Any, ...]] = []
        #: Each employee's activity ids and events, in the order emitted (employees by their first).
        self._events: dict[str, tuple[list[str], list[bytes]]] = {}
        #: The envelopes' fields by correlation id (every item of a request has its request's), and
        #: what writes them: a group's events differ in their correlation id alone.
        self._envelopes: dict[str | None, bytes] = {}
        self._envelope_after_id: Callable[[str | None], bytes] | None = None
        #: The events' ids, in the order they are emitted.
        self._event_ids = event_id_series()

    def emit(
        self,
        as_text: dict[str, Any],
        shown: bytes,
        offset_minutes: int,
        submitted_at: datetime,
        *,
        correlation_id: str | None,
    ) -> None:
        """Queue an activity for ``insert`` with its event, written if the activity is new: one
        event per activity, in the same order.

        ``as_text``: its values with their numbers as text, as the feed shows them (all but the
        device's offset, ``offset_minutes``); ``shown``: that as JSON; ``submitted_at``: the moment
        the group is written, the events' time.
        """
        after_id = self._envelopes.get(correlation_id)
        if after_id is None:
            if self._envelope_after_id is None:
                self._envelope_after_id = self._outbox.envelopes_after_id(
                    ActivityReported, region_id=self.region_id, occurred_at=submitted_at
                )
            after_id = self._envelopes[correlation_id] = self._envelope_after_id(correlation_id)
        self._items.append(_item(as_text, offset_minutes))
        events = self._events.get(employee_id := as_text["employee_id"])
        if events is None:
            events = self._events[employee_id] = ([], [])
        events[0].append(as_text["activity_id"])
        events[1].append(reported_event(shown, next(self._event_ids), after_id))

    async def indicators_among(self, indicator_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The active plan indicators among these ids, each with its employee and the employee's rater.

        As dicts: each is read by name seven times an item it judges (a batch's 500 items share an
        indicator), and a driver's record looks a name up slower than a dict (~1,300 instructions an
        item; bench/README.md, session 24).
        """
        rows = await self._driver.fetch(_INDICATORS_AMONG, self.region_id, list(indicator_ids))
        return [dict(row) for row in rows]

    async def activities_among(self, activity_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The stored activities among these ids (those of this region)."""
        rows = await self._driver.fetch(_ACTIVITIES_AMONG, self.region_id, list(activity_ids))
        return [dict(row) for row in rows]

    async def insert(self, count: int, audit_entries: Sequence[dict[str, Any]], now: datetime) -> set[str]:
        """Insert the ``count`` activities emitted whose id is new, with their events and the audit
        entries that witnessed one of those; the ids really inserted.

        Each audit entry names the activities it records under ``witnesses`` (a list of ids).
        """
        items, self._items = self._items, []
        events, self._events = self._events, {}
        if len(items) != count:
            raise ValueError(f"{count} activities, {len(items)} emitted")
        entries = [_audit_entry(entry) for entry in audit_entries]
        # An employee's events travel joined, as its outbox row holds them: the database no longer
        # sorts and joins 500 envelopes a batch (bench/README.md, session 21).
        activity_ids = [" ".join(ids) for ids, _ in events.values()]
        values = [ENVELOPE_SEPARATOR.join(envelopes) for _, envelopes in events.values()]
        arguments = (items, self.region_id, now, entries, list(events), activity_ids, values)
        if self._plainly:
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
                rows = await self._driver.fetch(self._insert_new, *arguments, probed)
            except UniqueViolationError as exc:
                if exc.constraint_name != _PRIMARY_KEY:
                    raise
                await self._driver.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            else:
                if rows:
                    return {row[0] for row in rows}
                # Nothing inserted: a probed id is stored (a resend).
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
            _insert_activities_and_events(outbox.table.name, skip_stored=False),
            _insert_activities_and_events(outbox.table.name),
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
            begin = f"BEGIN; SET LOCAL {REGION_SETTING} = {_literal(region_id)}; {_GENERIC_PLANS}"
            try:
                # The savepoint only where a plain insert may be rolled back to it.
                await driver.execute(f"{begin}; SAVEPOINT {_SAVEPOINT}" if plainly else begin)
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
