"""A batch's activity events folded into the activities' states and stored, one statement each way.

Each activity is a contributions row; the progress rows it counted in before and counts in after a
change are touched, and what the change adds to their totals is noted (``note_activity_change``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import JSON, String, bindparam, cast, column, func, null, select

from services.scoring.adapters.sql_arrays import per_key
from services.scoring.adapters.tables import contributions
from services.scoring.domain.activity import (
    ActivityIdentity,
    ActivityMeasure,
    ActivityState,
    ActivityStatus,
    Stamp,
)
from services.scoring.domain.calendar import Calendar
from services.scoring.service_layer.projections.backlog import ActivityChange, RegionWork, ViewBacklog
from services.scoring.service_layer.projections.evidence import check_shared_evidence
from services.scoring.service_layer.projections.handling import divert_late
from services.scoring.service_layer.views import (
    ProgressKey,
    RegionFacts,
    counted_keys,
    decimal_of,
    exact,
    note_activity_change,
    now,
    touch,
)
from services.scoring.service_layer.views.contribution_rows import (
    ACTIVITY_ID,
    CONTRIBUTION_COLUMNS,
    DENOMINATOR,
    EMPLOYEE_ID,
    EVIDENCE_SHA256,
    INDICATOR_ID,
    MEASURE_CORRECTED,
    MEASURE_STAMP_AT,
    MEASURE_STAMP_ID,
    OCCURRED_AT,
    OCCURRED_UTC_OFFSET,
    PERIOD,
    QUANTITY,
    REPORTED,
    RESULT_ID,
    STATUS,
    STATUS_STAMP_AT,
    STATUS_STAMP_ID,
    ContributionRow,
)
from shared.json_rows import insert_from_json_rows, json_row_values, upsert
from shared.messaging.consumer import EventRejected
from shared.messaging.scope import Batch
from shared.region_time import as_sent, utc_offset_minutes


def _state_of(row: ContributionRow) -> ActivityState:
    """An activity's state as its stored contributions row holds it."""
    identity = (
        ActivityIdentity(row[EMPLOYEE_ID], row[INDICATOR_ID], row[RESULT_ID] or "") if row[REPORTED] else None
    )
    denominator = row[DENOMINATOR]
    measure = (
        ActivityMeasure(
            as_sent(row[OCCURRED_AT], row[OCCURRED_UTC_OFFSET]),
            # Remembered by value, as a reported quantity's is (a Fraction made from a Decimal is
            # checked against the abstract number classes first).
            exact(row[QUANTITY]),
            None if denominator is None else exact(denominator),
        )
        if row[OCCURRED_AT] is not None
        else None
    )
    measure_stamp_at, status_stamp_at = row[MEASURE_STAMP_AT], row[STATUS_STAMP_AT]
    return ActivityState(
        identity=identity,
        measure=measure,
        measure_stamp=Stamp(measure_stamp_at, row[MEASURE_STAMP_ID]) if measure_stamp_at else None,
        measure_corrected=row[MEASURE_CORRECTED],
        status=ActivityStatus(row[STATUS]),
        status_stamp=Stamp(status_stamp_at, row[STATUS_STAMP_ID]) if status_stamp_at else None,
        evidence=tuple(row[EVIDENCE_SHA256]),
    )


class RegionDays:
    """A region calendar's periods by local day: the period an activity counts in, looked up by its
    day in the region's zone.

    ``Calendar.period_of`` asked two cached functions (the period kind, an enum, hashed in Python)
    and the period's key through its descriptor: ~8,600 instructions of an activity row's ~31,000.
    Each day's period is still the calendar's own, asked once a day.
    """

    __slots__ = ("_calendar", "from_utc", "periods", "zone")

    def __init__(self, region_calendar: Calendar) -> None:
        self._calendar = region_calendar
        self.zone = ZoneInfo(region_calendar.timezone)
        #: The zone's own ``fromutc``: a time of this zone whose fields are UTC's, as its local time.
        self.from_utc = self.zone.fromutc
        #: Each local day's period, as ``(its key, its year)``.
        self.periods: dict[date, tuple[str, int]] = {}

    def add(self, at: datetime, day: date) -> tuple[str, int]:
        """The period of ``at`` (whose local day is ``day``), kept for its day."""
        if len(self.periods) >= _DAYS_KEPT:
            self.periods.clear()
        period = self._calendar.period_of(at)
        found = self.periods[day] = (period.key, period.year)
        return found


#: Local days a region's ``RegionDays`` keeps (a year of events needs 366).
_DAYS_KEPT = 4096


@lru_cache(maxsize=64)
def region_days(region_calendar: Calendar) -> RegionDays:
    """The calendar's days, one object a calendar (a batch asks once a region)."""
    return RegionDays(region_calendar)


#: A device's fixed offset (a ``datetime.timezone``, as an event's time is parsed into; equal offsets
#: are one key): its minutes east of UTC and its ``timedelta``, a few distinct ones. Asked of the
#: ``timedelta`` each time, ~4,000 instructions an activity's row; by the ``timedelta`` the time
#: gave (a call of its zone's method by name), ~1,900; by the zone itself, ~200.
_FIXED_OFFSETS: dict[tzinfo, tuple[int, timedelta]] = {}


#: Makes a time from its day, its fields and a zone (a function of C; ``replace`` parses keywords).
_combine = datetime.combine


def stored_row(
    state: ActivityState,
    activity_id: str,
    employee_id: str,
    event_id: str,
    region_id: str,
    days: RegionDays,
    measured_row: ContributionRow | None = None,
) -> ContributionRow:
    """The contributions row of an activity's state after an event, every column in the table's
    order, built at once: the row the batch stores, and what its deltas and touched rows read
    (``updated_at`` is None: the batch's stamp is the statement's parameter, ``_STAMPED``).

    ``measured_row``: a row built with the same ``days`` from a state with this state's very measure
    (the same object: a verification, a rejection or a file keeps it), whose measured columns (the
    time, its offset, period and year, the quantities) are then this row's as they are.
    """
    # Each part read once: an activity's row is built at every change (29.4k instructions a new
    # activity's row before; bench/README.md, session 21). The named tuples unpacked (``_fields``):
    # a field read by name goes through its getter, unspecialized in CPython 3.11 (~230
    # instructions), an unpacked one ~110.
    identity, measure, measure_stamp, measure_corrected, status, status_stamp, evidence = state
    if measured_row is not None:
        period_key, year, occurred_at, offset, quantity, denominator = measured_row[PERIOD : DENOMINATOR + 1]
    elif measure is None:
        occurred_at = period_key = year = offset = quantity = denominator = None
    else:
        sent, measured, measured_base = measure
        device_zone = sent.tzinfo
        # The instant in UTC, as PostgreSQL gives a stored row back (the offset sent is the column
        # beside it): the batch's deltas subtract it from the epoch and compare it with the stored
        # rows' latest, and two times of different zone objects ask each zone its offset there
        # (~18k instructions an event with phones' +07:00 against +00:00's; session 29).
        fixed = _FIXED_OFFSETS.get(device_zone)  # type: ignore[arg-type]
        if fixed is None:  # a new offset, or a zone whose offset varies (none at all is refused)
            offset = utc_offset_minutes(sent)
            if type(device_zone) is timezone:
                _FIXED_OFFSETS[device_zone] = (offset, device_zone.utcoffset(None))
            occurred_at = sent if device_zone is UTC else sent.astimezone(UTC)
            day = occurred_at.astimezone(days.zone).date()
        else:
            # By a fixed offset's arithmetic: ``astimezone`` asks each zone its offset by the
            # method's name (CPython 3.11 makes the name's string anew each call), ~2,900
            # instructions to UTC and ~3,900 on to the region's day; this ~5,100 for both. The
            # same instant and day (tests/unit/scoring/test_stored_row_periods.py).
            offset, shift = fixed
            in_utc = sent - shift  # UTC's fields, still labelled with the device's zone
            utc_day, utc_time = in_utc.date(), in_utc.time()
            occurred_at = sent if device_zone is UTC else _combine(utc_day, utc_time, UTC)
            day = days.from_utc(_combine(utc_day, utc_time, days.zone)).date()
        period_key, year = days.periods.get(day) or days.add(occurred_at, day)
        quantity = decimal_of(measured)
        denominator = None if measured_base is None else decimal_of(measured_base)
    # In the order of ``CONTRIBUTION_COLUMNS`` (tests/unit/scoring/test_stored_row_periods.py
    # reads each value back by its column's name).
    return (
        activity_id,
        region_id,
        employee_id,
        None if identity is None else identity.indicator_id,
        None if identity is None else identity.result_id,
        period_key,
        year,
        occurred_at,
        offset,
        quantity,
        denominator,
        identity is not None,
        # The member itself, a ``str`` (written as its value): ``.value`` is a descriptor's call.
        status,
        None if measure_stamp is None else measure_stamp.at,
        None if measure_stamp is None else measure_stamp.event_id,
        measure_corrected,
        None if status_stamp is None else status_stamp.at,
        None if status_stamp is None else status_stamp.event_id,
        # A tuple: written as a JSON array, as the stored list is.
        evidence,
        event_id,
        None,
    )


def _late_period(facts: RegionFacts, stored: str | None, new: str | None, at: datetime) -> str | None:
    """The first (by key) of the periods an activity counted in and counts in that was closed
    before its event happened, if any."""
    if stored is not None and new is not None and new < stored:
        stored, new = new, stored
    for key in (stored, new):
        if key is not None and facts.is_frozen(key, at):
            return key
    return None


async def apply_changes(batch: Batch[ViewBacklog], facts: RegionFacts, work: RegionWork) -> None:
    """Fold the batch's activity events, in order, into the activities' states and store them.

    The activities are read (locked) and written with one statement each; every view row an
    activity counted in before or counts in after a change is touched by that change's event.
    """
    session = batch.session
    if not work.changes:
        return
    region_id = facts.region_id
    activity_ids = sorted({change.activity_id for change in work.changes})
    states: dict[str, ActivityState] = {}
    # Each activity's row with the progress rows it counts in, asked once a row (the touches and
    # the deltas both read them).
    rows: dict[str, _Counted] = {}
    # A replay looks up only the activities its process stored before: each other one was looked
    # up in vain (~10k of PostgreSQL's instructions an activity, most of a replay's).
    replayed = None if batch.replay_backlog is None else batch.replay_backlog.activities_stored(region_id)
    wanted = (
        activity_ids
        if replayed is None
        else [activity_id for activity_id in activity_ids if hash(activity_id) in replayed]
    )
    # Plain tuples of the table's columns (a SQLAlchemy row finds a column by position or name only
    # through Python): what ``stored_row`` builds.
    result = (
        await session.execute(
            _LOCK_CONTRIBUTIONS, {"region_id": region_id, "activity_ids": orjson.dumps(wanted).decode()}
        )
        if wanted
        else ()
    )
    for stored in map(tuple, result):
        states[stored[ACTIVITY_ID]] = _state_of(stored)
        rows[stored[ACTIVITY_ID]] = (stored, counted_keys(stored[EMPLOYEE_ID], stored))
    before_batch = dict(rows)  # each activity as the progress rows' stored totals count it
    changed: dict[str, _Counted] = {}
    evidence: list[tuple[ActivityChange, ActivityState]] = []
    stamp = now()  # the batch's, for every row it stores
    days = region_days(facts.calendar)
    for change in work.changes:
        # Its fields unpacked once (see ``stored_row``): the loop read them ~14 times a change.
        envelope, event, activity_id, employee_id, fold, event_id, at = change
        counted = rows.get(activity_id)
        row = None if counted is None else counted[0]
        if row is not None and row[EMPLOYEE_ID] != employee_id:
            raise EventRejected(f"activity {activity_id} belongs to another employee")
        before = states.get(activity_id, _UNKNOWN)
        after = fold(before)
        if after == before:
            continue
        # A change that kept the measure of a row this batch built (a verification, a rejection, a
        # file, mostly of a report in the same batch) keeps that row's measured columns: their
        # times and period were ~5k instructions a row (``stored_row``). Not a stored row's: the
        # region's calendar may have changed since it was written.
        measured_row = row if activity_id in changed and after[1] is before[1] else None
        values = stored_row(after, activity_id, employee_id, event_id, region_id, days, measured_row)
        # Most regions have no closed period: nothing can be late there (the check's calls were
        # ~3,500 instructions a change).
        late = (
            _late_period(facts, row[PERIOD] if row is not None else None, values[PERIOD], at)
            if facts.closures
            else None
        )
        if late is not None:
            await divert_late(session, envelope, event, period=late, subject_id=employee_id)
            continue
        keys = counted_keys(employee_id, values)
        if not after.same_apart_from_evidence(before):  # evidence alone counts in no total
            # Same employee as the row's, checked above.
            touched = keys if counted is None else list({*counted[1], *keys})
            for progress_key in touched:
                touch(work.progress, progress_key, event_id, at)
        states[activity_id] = after
        rows[activity_id] = changed[activity_id] = (values, keys)
        # Claims are checked once the activity is reported and whenever it names a new file,
        # whichever of the two arrives first.
        if (
            after.identity is not None
            and after.evidence
            and (before.identity is None or after.evidence != before.evidence)
        ):
            evidence.append((change, after))
    # A replay refreshes its rows from the facts at its very end: what a change adds to the stored
    # totals (for the live refresh) would be thrown away.
    if batch.replay_backlog is None:
        for activity_id, (values, keys) in changed.items():
            before_row, before_keys = before_batch.get(activity_id, _NOT_STORED)
            note_activity_change(work.deltas, activity_id, before_row, before_keys, values, keys)
    if changed:
        # An activity the locked read did not find is inserted plainly: an upsert's speculative
        # insertion (a look-up of the key first, a confirmation record after) was paid by every new
        # activity. Its events are keyed by its employee, so one consumer applies them (in a
        # rebalance the inbox's rows make the second wait); if another transaction inserted it
        # meanwhile, the insert fails and the batch is retried, and reads it then.
        # In the lock's order (the batch's ids, sorted once).
        for statement, found in ((_INSERT_CONTRIBUTIONS, False), (_STORE_CONTRIBUTIONS, True)):
            ids = [
                activity_id
                for activity_id in activity_ids
                if activity_id in changed and (activity_id in before_batch) is found
            ]
            if ids:
                # Each row's values already in the statement's columns' order.
                rows_text = json_row_values([changed[activity_id][0] for activity_id in ids])
                await session.execute(statement, {"rows": rows_text, _STAMPED: stamp})
        if replayed is not None:
            replayed.update(map(hash, changed))
    if evidence:
        await check_shared_evidence(batch, region_id, evidence, facts.calendar)


#: An activity no event of the batch or before told of yet.
_UNKNOWN = ActivityState()
#: An activity's contributions row and the progress rows it counts in (``counted_keys``).
_Counted = tuple[ContributionRow, list[ProgressKey]]
#: What the batch read of an activity not stored yet: no row, counted nowhere.
_NOT_STORED: tuple[None, list[ProgressKey]] = (None, [])


def _lock_contributions_statement() -> Any:
    # The ids as one JSON text, not a text array: the driver checks each element of an array
    # against the abstract collection classes (~2,900 instructions an id; bench/README.md, session
    # 23), and a batch locks about one activity an event.
    ids = (
        func.json_array_elements_text(cast(bindparam("activity_ids", type_=String()), JSON()))
        .table_valued(column("activity_id", String()))
        .render_derived(name="k")
    )
    # Every column in the table's order, a stored row as ``stored_row`` builds one, but for when it
    # was written: no step reads it, and the driver made each ``timestamptz`` read a datetime
    # through a ``timedelta`` of three arguments (~6.2k instructions a value; callgrind of a replay
    # worker, session 35). NULL in its place keeps every other column's position.
    columns = [
        null().label(name) if name == "updated_at" else contributions.c[name] for name in CONTRIBUTION_COLUMNS
    ]
    query = (
        select(*columns)
        .where(
            contributions.c.region_id == bindparam("region_id"),
            contributions.c.activity_id == ids.c.activity_id,
        )
        .with_for_update()
    )
    return per_key(ids, query, "c")


# Built once (see ``sql_arrays``): the batch's activities read, locked, with one statement.
_LOCK_CONTRIBUTIONS = _lock_contributions_statement()
#: The batch's stamp, one parameter a statement: as each row's ISO text it was parsed anew for
#: every row (``timestamptz_in``, ~3.6k instructions of an inserted row's ~87k; bench/README.md).
_STAMPED = "updated_at"
# Built once, and one statement for a batch's new activities and one for its stored ones, however
# many (one JSON parameter). A row of twenty-one columns goes as an array of its values: read by
# position from jsonb, it cost PostgreSQL ~18 µs where as an object it cost ~22 (session 25).
_INSERT_CONTRIBUTIONS = insert_from_json_rows(contributions, CONTRIBUTION_COLUMNS, (_STAMPED,))
_STORE_CONTRIBUTIONS = upsert(_INSERT_CONTRIBUTIONS, CONTRIBUTION_COLUMNS, ("region_id", "activity_id"))
