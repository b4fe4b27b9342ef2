"""The activity intake's SQL: the statements ``intake_store`` runs for a group, and the columns
of the activities' JSON rows and the ``intake_audit_entry`` values they take.

Written once when the store is made (each a prepared statement of the driver, planned once per
connection), so a group's work is its arguments alone.
"""

from __future__ import annotations

import re

from sqlalchemy.dialects.postgresql import asyncpg

from services.reporting.adapters.tables import activities
from services.reporting.domain.resend import ACTIVITY_CONTENT
from shared.auth import REGION_ID
from shared.contracts.reporting import ActivityReported
from shared.json_rows import select_from_json_rows
from shared.outbox import ENVELOPE_SEPARATOR
from shared.region_time import DEFAULT_TIMEZONE

#: Columns of an accepted activity as its JSON row holds them (``shared.json_rows``: read by
#: position, typed as the ``activities`` table's columns): its id, what the field app decided (its
#: indicator first), and the device's offset (last: the feed's copy lacks it).
ACTIVITY_COLUMNS = ("activity_id", *ACTIVITY_CONTENT, "occurred_utc_offset")
#: What an activity takes from its indicator, as the group's heads hold it once an indicator (its
#: employee, plan and result, then the indicator's id): not repeated in each item's JSON row.
HEAD_COLUMNS = ("employee_id", "plan_id", "result_id", "indicator_id")
#: An audit entry's columns as the intake inserts them: the fields of ``intake_audit_entry``
#: (migration 0010) but for the activities it witnesses, in the same order.
AUDIT_COLUMNS = ("region_id", "actor", "action", "subject", "detail", "client_address", "correlation_id")


def _items() -> str:
    """The group's items (``$1``, their ``json_rows``) as the activities' columns: one JSON text
    instead of an array of ``intake_item``, whose every element and field the driver checked and
    encoded in Python (27.6k instructions an item, a sixth of a batch item's; bench/README.md,
    sessions 22 and 25).

    Cheaper-looking texts measured and left (session 36, callgrind on the backend): each column
    as an array literal, +1.0% a batch item (``array_in`` reads a character at a time); each
    column split by ``string_to_array``, 20.4k instructions an item to read against the JSON's
    20.7k (a value split out costs about what its JSON element did). Most of reading an item is
    its values' input functions (its time's alone 4.4k), whatever the text.
    """
    # As the driver's dialect writes it: parameters numbered ``$n``.
    dialect = asyncpg.dialect()  # type: ignore[no-untyped-call]
    text = str(select_from_json_rows(activities, ACTIVITY_COLUMNS).compile(dialect=dialect))
    # The rows are the statement's first parameter: the select's only one, numbered 1 alone.
    if f"${_ITEMS} AS JSONB" not in text or "$2" in text:
        raise RuntimeError(f"the items' select must read its rows from ${_ITEMS}: {text}")
    return text


_ITEMS, _REGION, _NOW, _AUDIT_ENTRIES, _EMPLOYEES, _EVENT_ACTIVITIES, _EVENTS = 1, 2, 3, 4, 5, 6, 7
#: The heads' columns (``HEAD_COLUMNS``), one array each.
_HEADS = (8, 9, 10, 11)
#: The ids the plain insert looks up first, space-joined (``skip_stored=False`` only).
_PROBED = 12
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


def insert_activities_and_events(outbox: str, *, skip_stored: bool = True) -> str:
    """Activities from their JSON rows (one prepared statement whatever the count; a multi-row
    VALUES would be a new statement per count) and, in the same statement, the events of
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
    The plain insert inserts all its rows or none: it writes every event and entry whole once any
    row was, without these look-ups (~0.9 µs of PostgreSQL's CPU an item, session 27).

    ``skip_stored``: an activity whose id is stored already is left out (``ON CONFLICT DO
    NOTHING``). Without it, each new row descends the primary key once, not twice (the conflict
    check, then the insert), and the statement inserts nothing at all when one of the probed ids
    (``$8``, space-joined: each employee's first and last) is stored: the group is then a resend,
    written by the skipping statement without an error. A stored id the probe missed, or one a
    concurrent group committed meanwhile, fails the statement (``pk_activities``). It is the
    activities' own ``INSERT`` (its command tag counts the rows inserted, all or none), the events
    and entries beside it under the same probe; the skipping one answers with the ids inserted.
    """
    columns, audit_columns = ", ".join(ACTIVITY_COLUMNS), ", ".join(AUDIT_COLUMNS)
    employees = f"""unnest(${_EMPLOYEES}::varchar[], ${_EVENT_ACTIVITIES}::text[])
                WITH ORDINALITY AS employee(employee_id, activity_ids, number)"""
    # An employee's events (a batch's: ~300 KB) read where the bound array holds them, by its place:
    # unnested beside the ids, each was copied into the function scan's store first (zeroed, then
    # written: ~1,200 instructions an item of PostgreSQL's; bench/README.md, session 37).
    value = f"(${_EVENTS}::bytea[])[employee.number]"
    if skip_stored:
        events = f"""(
        SELECT employee.employee_id, employee.number, CASE
            WHEN counted.written = cardinality(ids.activity_ids) THEN {value}
            -- Some were stored before (resent): only the others' events, in their order.
            ELSE (
                SELECT string_agg(convert_to(event.envelope, 'UTF8'), '{_SEPARATOR}'::bytea ORDER BY event.n)
                FROM unnest(
                    string_to_array(
                        convert_from({value}, 'UTF8'), convert_from('{_SEPARATOR}'::bytea, 'UTF8')
                    ),
                    ids.activity_ids
                ) WITH ORDINALITY AS event(envelope, activity_id, n)
                WHERE {_IS_INSERTED.format("event.activity_id")}
            )
        END AS value
        FROM {employees},
            -- Each split and counted once an employee (as columns, not expressions repeated).
            string_to_array(employee.activity_ids, ' ') AS ids(activity_ids),
            LATERAL (
                SELECT count(*) FROM unnest(ids.activity_ids) AS event(activity_id)
                WHERE {_IS_INSERTED.format("event.activity_id")}
            ) AS counted(written)
        WHERE counted.written > 0
    ) AS events"""
        witnessed = f"""EXISTS (
        SELECT FROM unnest(string_to_array(entry.witnesses, ' ')) AS witness(activity_id)
        WHERE {_IS_INSERTED.format("witness.activity_id")}
    )"""
        return f"""
WITH inserted AS (
    {_insert_activities(columns, _SKIP_STORED)}
    RETURNING activity_id
), published AS (
    {_insert_events(outbox, events)}
), audited AS (
    {_insert_audit_entries(audit_columns, witnessed)}
)
SELECT activity_id FROM inserted
"""
    # The probed ids looked up by the primary key whatever the statistics, as ACTIVITIES_AMONG
    # looks ids up (which says why). The statement is planned once a connection, maybe on a
    # table never analyzed; a time index's plan read all of the region's rows until
    # autovacuum's ANALYZE (8 ids among 200,000 rows: 550 ms instead of 0.03).
    probe = f"""SELECT NOT EXISTS (
        SELECT FROM unnest(string_to_array(${_PROBED}::text, ' ')) AS probed(activity_id), LATERAL (
            SELECT FROM activities
            WHERE region_id = ${_REGION}::varchar AND activity_id = ANY(ARRAY[probed.activity_id])
            ORDER BY activity_id
            LIMIT 1
        ) AS stored
    ) AS new"""
    # Probed once for the three (a CTE's one row): written out in each, the look-ups ran three
    # times, ~150 instructions of PostgreSQL's a batch item (session 38).
    new = "(SELECT new FROM probe)"
    # All or nothing (a stored id refuses the statement, a probed one inserts none): every event
    # and entry is written whole under the same probe, without looking up each id. No
    # ``RETURNING``: the inserted rows were kept in the CTE's store only to be counted, and
    # returning them checks each against the region policy a second time (a ``SELECT`` policy's
    # check); the command tag counts them.
    events = f"""(
        SELECT employee.employee_id, employee.number, {value} AS value FROM {employees} WHERE {new}
    ) AS events"""
    return f"""
WITH probe AS MATERIALIZED (
    {probe}
), published AS (
    {_insert_events(outbox, events)}
), audited AS (
    {_insert_audit_entries(audit_columns, new)}
)
{_insert_activities(columns, f"WHERE {new}")}
"""


def _insert_activities(columns: str, condition: str) -> str:
    """The group's activities (``$1``), new in the region (``$2``) at ``$3``, under ``condition``;
    each with its indicator's employee, plan and result from the group's heads (``$8``-``$11``).

    An item's JSON row leaves those out: its indicator's are the same for all its items, and each
    value in the JSON was parsed, then read and copied out again, for every item (2.4% of
    PostgreSQL's instructions an item, the heads' hash join paid; bench/README.md, session 35). The
    heads are hashed once and each item finds its own by the indicator's id; an item whose
    indicator has no head gets no employee and fails the statement (a NOT NULL column), never a
    row without them.
    """
    heads = ", ".join(f"${n}::varchar[]" for n in _HEADS)
    # The indicator's id too is read from the head: the item's, read out of its JSON for the hash
    # and again for the match, is not read a third time (the join holds them equal). Each item
    # reading its head's columns at its head's place (an array subscript each, the items' values
    # read once in a subquery) cost 1.5% more a batch item than this join (session 36).
    own = [name for name in ACTIVITY_COLUMNS if name not in HEAD_COLUMNS]
    inserted = ", ".join([*own, *HEAD_COLUMNS, "region_id", "status", "submitted_at", "revision"])
    selected = ", ".join([*(f"item.{name}" for name in own), *(f"head.{name}" for name in HEAD_COLUMNS)])
    return f"""INSERT INTO activities ({inserted})
    SELECT {selected}, ${_REGION}, 'submitted', ${_NOW}, 1
    FROM ({_items()}) AS item({columns})
    LEFT JOIN unnest({heads}) AS head({", ".join(HEAD_COLUMNS)}) ON head.indicator_id = item.indicator_id
    {condition}"""


def _insert_events(outbox: str, events: str) -> str:
    """Each employee's events (``events``: a subquery's rows) as one ``outbox`` row."""
    return f"""INSERT INTO {outbox} (event_id, topic, partition_key, event_type, value, region_id)
    SELECT convert_from(substring(events.value FROM {_ID_FROM} FOR {_ID_LENGTH}), 'UTF8')::uuid,
           '{_TOPIC}', events.employee_id, '{_EVENT_TYPE}', events.value, ${_REGION}
    FROM {events}
    -- In the items' order, so the rows' ids grow with their events'.
    ORDER BY events.number"""


def _insert_audit_entries(audit_columns: str, witnessed: str) -> str:
    """The group's audit entries (``$4``) for which ``witnessed`` holds."""
    return f"""INSERT INTO audit_log ({audit_columns})
    SELECT {", ".join(f"entry.{name}" for name in AUDIT_COLUMNS)}
    FROM unnest(${_AUDIT_ENTRIES}::intake_audit_entry[]) AS entry({audit_columns}, witnesses)
    WHERE {witnessed}"""


INDICATORS_AMONG = f"""
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

#: Each id looked up by the primary key whatever the statistics (planned once a connection, maybe on
#: a table never analyzed). As ``activity_id = ANY($2)`` the key's scan was costed as ten descents
#: (an array of unknown length) and the region's time index won on 1,000-5,000 rows, then read the
#: region's every row until autovacuum's first ANALYZE; an id's own look-up by equality tied with
#: it on fewer rows. A one-element ``ANY`` ordered by the id is one descent whose order only the key
#: gives: the key at every size (session 32). One row an id (ids are unique per region).
ACTIVITIES_AMONG = """
SELECT stored.* FROM unnest($2::varchar[]) AS asked(activity_id), LATERAL (
    SELECT * FROM activities
    WHERE region_id = $1 AND activity_id = ANY(ARRAY[asked.activity_id])
    ORDER BY activity_id
    LIMIT 1
) AS stored
"""


#: The intake's prepared statements planned once per connection. Left to choose, PostgreSQL
#: planned the indicators' look-up afresh for every group (its generic plan looked dearer than a
#: custom one, the plan being the same): ~0.3 ms of its CPU a group, twice what it then took to
#: run (pg_stat_statements, bench/README.md, session 11).
GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"

#: Set by ``BEGIN``'s message for a group of batches: its insert runs in it without ``ON CONFLICT``
#: (a group is new but for resends), and a stored id refuses it by the primary key's name.
SAVEPOINT, PRIMARY_KEY = "before_insert", "pk_activities"


def region_literal(region_id: str) -> str:
    """The region id as a SQL literal: the parameterless BEGIN message cannot bind it.

    Tokens carry only slugs (shared.auth refuses others), so this never refuses a request.
    """
    if not REGION_ID.fullmatch(region_id):
        raise ValueError(f"not a region id: {region_id[:70]!r}")
    return f"'{region_id}'"
