"""The activity intake's statements, on the driver (asyncpg) connection: four round trips per group.

Activity submissions are the platform's busiest write. On this path every database round trip
costs more CPU (a system call each way, an event-loop turn, the ORM and the adapter) than judging
dozens of activities, so a group of submissions is written with as few as possible:

1. ``BEGIN``, the region setting (row-level security) and generic plans, in one simple-protocol
   message of utility statements (nothing to plan);
2. the plan indicators of the whole group;
3. the activities, their outbox events and the audit entries in one statement (events only for
   rows really inserted, in the order given; an entry only if one of its activities was inserted),
   answering with the ids inserted;
4. ``COMMIT``.

The connection comes from the service's SQLAlchemy pool (so it is sized and closed with the rest),
taken without a SQLAlchemy ``Connection`` around it; SQLAlchemy starts no transaction on it, so
returning it costs no round trip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from services.reporting.adapters.live_feed import decimal_as_text
from shared.auth import REGION_ID
from shared.contracts.reporting import ActivityReported
from shared.db import CONNECTION_LOST, REGION_SETTING
from shared.outbox import EVENT_COLUMN_TYPES, OutboxWriter
from shared.region_time import DEFAULT_TIMEZONE

#: Columns of an accepted activity as the intake inserts them, with their PostgreSQL types.
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
#: The outbox rows' columns come from the one outbox writer (shared/outbox.py), which builds the rows.
_EVENT_COLUMNS = EVENT_COLUMN_TYPES
_AUDIT_COLUMNS = {
    "region_id": "varchar",
    "actor": "varchar",
    "action": "varchar",
    "subject": "varchar",
    "detail": "text",
    "client_address": "varchar",
    "correlation_id": "varchar",
}


def _arrays(columns: dict[str, str], first: int) -> str:
    # Numbers travel as text: the driver's binary encoding of each Decimal cost more than the
    # database's parsing of its text.
    return ", ".join(
        f"${first + n}::text[]::numeric[]" if kind == "numeric" else f"${first + n}::{kind}[]"
        for n, kind in enumerate(columns.values())
    )


def _column(rows: Sequence[dict[str, Any]], name: str, kind: str) -> list[Any]:
    if kind == "numeric":
        return [None if row[name] is None else str(row[name]) for row in rows]
    return [row[name] for row in rows]


_ACTIVITY_COUNT = len(ACTIVITY_COLUMNS)
_REGION, _NOW = _ACTIVITY_COUNT + 1, _ACTIVITY_COUNT + 2
_EVENTS_FROM = _ACTIVITY_COUNT + 3
_EVENT_ACTIVITIES = _EVENTS_FROM + len(_EVENT_COLUMNS)
_AUDIT_FROM = _EVENT_ACTIVITIES + 1
_AUDIT_WITNESSES = _AUDIT_FROM + len(_AUDIT_COLUMNS)


def _insert_activities_and_events(outbox: str) -> str:
    """Activities from arrays (one prepared statement whatever the count; a multi-row VALUES would be
    a new statement per count) and, in the same statement, the events of the rows really inserted
    (into the ``outbox`` table) and the audit entries."""
    return f"""
WITH inserted AS (
    INSERT INTO activities ({", ".join(ACTIVITY_COLUMNS)}, region_id, status, submitted_at, revision)
    SELECT item.*, ${_REGION}, 'submitted', ${_NOW}, 1
    FROM unnest({_arrays(ACTIVITY_COLUMNS, 1)}) AS item
    ON CONFLICT (region_id, activity_id) DO NOTHING
    RETURNING activity_id
), published AS (
    INSERT INTO {outbox} ({", ".join(_EVENT_COLUMNS)}, region_id)
    SELECT {", ".join(f"event.{name}" for name in _EVENT_COLUMNS)}, ${_REGION}
    FROM unnest({_arrays(_EVENT_COLUMNS, _EVENTS_FROM)}, ${_EVENT_ACTIVITIES}::varchar[])
        WITH ORDINALITY AS event({", ".join(_EVENT_COLUMNS)}, activity_id, position)
    WHERE event.activity_id IN (SELECT activity_id FROM inserted)
    ORDER BY event.position
), audited AS (
    INSERT INTO audit_log ({", ".join(_AUDIT_COLUMNS)})
    SELECT {", ".join(f"entry.{name}" for name in _AUDIT_COLUMNS)}
    FROM unnest({_arrays(_AUDIT_COLUMNS, _AUDIT_FROM)}, ${_AUDIT_WITNESSES}::text[])
        AS entry({", ".join(_AUDIT_COLUMNS)}, witnesses)
    WHERE EXISTS (
        SELECT 1 FROM inserted WHERE inserted.activity_id = ANY(string_to_array(entry.witnesses, ' '))
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


def _literal(region_id: str) -> str:
    """The region id as a SQL literal: the parameterless BEGIN message cannot bind it.

    Tokens carry only slugs (shared.auth refuses others), so this never refuses a request.
    """
    if not REGION_ID.fullmatch(region_id):
        raise ValueError(f"not a region id: {region_id[:70]!r}")
    return f"'{region_id}'"


#: The fields of ``ActivityReported`` an accepted activity's values hold (all but its evidence).
_REPORTED_FIELDS = tuple(name for name in ActivityReported.model_fields if name != "evidence_sha256")


def reported_row(
    outbox: OutboxWriter, values: dict[str, Any], *, correlation_id: str | None
) -> dict[str, Any]:
    """The outbox row of an accepted activity's ``ActivityReported``, its payload written from the values.

    The values were validated as ``ActivityCreate`` and hold the plan's ids as the database keeps
    them: validating them again as the event cost 9% of a batch item's CPU (bench/README.md,
    session 8). A unit test holds the row to read back as the one the event's model gives.
    """
    payload = {name: values[name] for name in _REPORTED_FIELDS}
    payload["evidence_sha256"] = []  # evidence is attached later, each with its own event
    return outbox.row_of(
        ActivityReported,
        orjson.dumps(payload, default=decimal_as_text),
        region_id=values["region_id"],
        partition_key=values["employee_id"],  # ActivityReported.partition_key: the employee
        correlation_id=correlation_id,
    )


class IntakeTransaction:
    """One open transaction restricted to one region."""

    def __init__(self, driver: Any, region_id: str, outbox: OutboxWriter, insert_statement: str) -> None:
        self._driver = driver
        self.region_id = region_id
        self._outbox = outbox
        self._insert_statement = insert_statement
        self._events: list[dict[str, Any]] = []

    def emit(self, values: dict[str, Any], *, correlation_id: str | None) -> None:
        """Queue the event of an activity to insert (its values as inserted): written by ``insert``
        if the activity is new."""
        row = reported_row(self._outbox, values, correlation_id=correlation_id)
        self._events.append(row | {"activity_id": values["activity_id"]})

    async def indicators_among(self, indicator_ids: Sequence[str]) -> list[Any]:
        """The active plan indicators among these ids, each with its employee and the employee's rater."""
        rows: list[Any] = await self._driver.fetch(_INDICATORS_AMONG, self.region_id, list(indicator_ids))
        return rows

    async def activities_among(self, activity_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The stored activities among these ids (those of this region)."""
        rows = await self._driver.fetch(_ACTIVITIES_AMONG, self.region_id, list(activity_ids))
        return [dict(row) for row in rows]

    async def insert(
        self, activities: Sequence[dict[str, Any]], audit_entries: Sequence[dict[str, Any]], now: datetime
    ) -> set[str]:
        """Insert the activities whose id is new, with the emitted events of those and the audit
        entries that witnessed one of those; the ids really inserted.

        Each audit entry names the activities it records under ``witnesses`` (a list of ids).
        """
        events, self._events = self._events, []
        arguments: list[Any] = [_column(activities, name, kind) for name, kind in ACTIVITY_COLUMNS.items()]
        arguments += [self.region_id, now]
        arguments += [[event[name] for event in events] for name in _EVENT_COLUMNS]
        arguments.append([event["activity_id"] for event in events])
        arguments += [[entry[name] for entry in audit_entries] for name in _AUDIT_COLUMNS]
        # Activity ids hold no spaces (the API's pattern), so a space-joined list is unambiguous.
        arguments.append([" ".join(entry["witnesses"]) for entry in audit_entries])
        rows = await self._driver.fetch(self._insert_statement, *arguments)
        return {row[0] for row in rows}


class ConnectionLost(Exception):
    """The connection was found dropped; it was discarded and the work may be sent again."""


class IntakeStore:
    """Transactions of the intake on connections of the service's pool, writing the service's outbox."""

    def __init__(self, engine: AsyncEngine, *, outbox: OutboxWriter) -> None:
        self._engine = engine
        self._outbox = outbox
        self._insert_statement = _insert_activities_and_events(outbox.table.name)

    @asynccontextmanager
    async def transaction(self, region_id: str) -> AsyncIterator[IntakeTransaction]:
        """A transaction restricted to ``region_id``: committed when the block ends, rolled back on error.

        Raises ``ConnectionLost`` when the pooled connection turns out to be dropped.
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
                await driver.execute(begin)
                yield IntakeTransaction(driver, region_id, self._outbox, self._insert_statement)
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
