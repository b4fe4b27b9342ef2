"""Unit rollups: what the dashboards show of a unit's employee summaries, kept as the summaries change.

A unit-period's rollup is a function of the summaries with its unit and period, nothing else: the
employees, those measured and the exact sum of their achievements, the rater-decided ones, the live
predicates counted (``unit_rollups``), and the ranking best first (the rewards order:
``domain.rewards.ranking_key``). The ranking is kept as an entry a summary (``unit_ranking``: what
the figures count, where it ranks, the entry as the unit dashboard answers it), which the dashboard
orders and numbers as it reads them.

The summary refresh calls ``refresh_unit_rollups`` with the keys of the rows it wrote or removed, in
its transaction, and one statement brings the rollups up to them: each of those entries is written
again from its summary where it differs (removed with it), and what each changed entry counted
before is taken off its unit-period's figures (the unit it named before: an employee who moved left
one unit and joined another) and what it counts now added to its unit-period's. So whatever changes
the summaries (events in any order, dated moves, decisions, a replay's refresh at its end) changes
the rollups with them, and a frozen period's summaries, left alone, leave its rollups alone. A
change costs its own entries and figures: the ranking was one document a unit-period (two, ~70 KB
each for 500 employees), written whole for any change, its figures counted from every summary.

Two consumers may refresh summaries of one unit at once. Each adds its differences to the figures
as the row stands when it gets the row's lock (``ON CONFLICT DO UPDATE`` reads the latest version),
so neither's is lost whatever the order; a transaction takes the rows' locks in one order (by unit
and period), so that two never wait in a cycle. An entry follows its summary's row: two
transactions writing one summary are ordered by that row's lock first, and what an entry counted
before is its version this statement replaced (``RETURNING old``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.domain.predicate import Predicate

#: An (employee, period key) row of employee_scores and of unit_ranking.
SummaryKey = tuple[str, str]
#: A (unit, period key) row of unit_rollups.
UnitPeriod = tuple[str, str]

_BEST_FIRST = [p.value for p in sorted(Predicate, key=lambda p: -p.rank)]

_PREDICATE_COUNTS = ", ".join(
    f"'{value}', coalesce(sum(sign) FILTER (WHERE predicate = '{value}'), 0)" for value in _BEST_FIRST
)
_PREDICATE_SUMS = ", ".join(
    f"'{value}', coalesce((r.predicate_counts ->> '{value}')::bigint, 0) "
    f"+ (excluded.predicate_counts ->> '{value}')::bigint"
    for value in _BEST_FIRST
)

#: The summaries' entries as the ranking stores them: each key an index look-up whatever the plan
#: (a lateral kept apart by ``OFFSET 0``: a generic plan joined the keys to a scan of the region's
#: summaries, four times the statement's time). The entry is ``RankingEntry``'s JSON after its rank
#: (``to_json`` escapes each string); its rank is its place in the order (``rank_key``, then the
#: id) when the dashboard reads it.
_SUMMARIES = """
WITH summaries AS (
    SELECT s.*
    FROM unnest(CAST(:employees AS text[]), CAST(:periods AS text[])) AS k(employee_id, period)
    CROSS JOIN LATERAL (
        SELECT s.employee_id, s.period, s.unit_id, s.job_type, s.rater_id, s.achievement,
               coalesce(nullif(s.predicate, ''), nullif(s.proposed_predicate, '')) AS predicate,
               coalesce(s.predicate, '') <> '' AS decided
        FROM employee_scores s
        WHERE s.region_id = :region_id AND s.employee_id = k.employee_id AND s.period = k.period
        OFFSET 0
    ) AS s
),
"""

_INSERT_ENTRIES = """
    INSERT INTO unit_ranking AS r
        (region_id, employee_id, period, unit_id, achievement, predicate, decided, rater_id, entry)
    SELECT :region_id, employee_id, period, unit_id, achievement, predicate, decided, rater_id,
           format('"employee_id":%s,"job_type":%s,"predicate":%s,"achievement":%s}',
                  to_json(employee_id), to_json(job_type), coalesce(to_json(predicate)::text, 'null'),
                  coalesce(to_json(achievement::text)::text, 'null'))
    FROM summaries
"""

#: Each unit-period's differences (``counted``: +1 what an entry counts now, -1 what it counted
#: before) added to its figures, made where there are none: returns each unit-period's employees
#: after.
_ADD_DIFFERENCES = f"""
differences AS (
    SELECT unit_id, period,
           sum(sign) AS employees,
           coalesce(sum(sign) FILTER (WHERE achievement IS NOT NULL), 0) AS measured,
           sum(sign * achievement) AS achievement_sum,
           coalesce(sum(sign) FILTER (WHERE decided), 0) AS decided,
           jsonb_build_object({_PREDICATE_COUNTS}) AS predicate_counts
    FROM counted
    GROUP BY unit_id, period
)
INSERT INTO unit_rollups AS r
    (region_id, unit_id, period, employees, measured, achievement_sum, decided, predicate_counts)
SELECT :region_id, unit_id, period, employees, measured, achievement_sum, decided, predicate_counts
FROM differences
ORDER BY unit_id, period
ON CONFLICT (region_id, unit_id, period) DO UPDATE SET
    employees = r.employees + excluded.employees,
    measured = r.measured + excluded.measured,
    achievement_sum = CASE WHEN r.measured + excluded.measured > 0
                           THEN coalesce(r.achievement_sum, 0) + coalesce(excluded.achievement_sum, 0) END,
    decided = r.decided + excluded.decided,
    predicate_counts = jsonb_build_object({_PREDICATE_SUMS})
RETURNING r.unit_id, r.period, r.employees
"""

#: The written summaries' ranking entries written again where they differ, the removed summaries'
#: removed, and each changed entry's difference to its unit-periods' figures added to them (-1 what
#: it counted before, where it was; +1 what it counts now).
_WRITE_ENTRIES = text(
    _SUMMARIES
    + "written AS ("
    + _INSERT_ENTRIES
    + """
    ON CONFLICT (region_id, employee_id, period) DO UPDATE SET
        unit_id = excluded.unit_id,
        achievement = excluded.achievement,
        predicate = excluded.predicate,
        decided = excluded.decided,
        rater_id = excluded.rater_id,
        entry = excluded.entry
    WHERE (r.unit_id, r.achievement, r.predicate, r.decided, r.rater_id, r.entry)
          IS DISTINCT FROM (excluded.unit_id, excluded.achievement, excluded.predicate, excluded.decided,
                            excluded.rater_id, excluded.entry)
    RETURNING new.unit_id, new.period, new.achievement, new.predicate, new.decided,
              old.unit_id AS unit_before, old.achievement AS achievement_before,
              old.predicate AS predicate_before, old.decided AS decided_before
),
removed AS (
    DELETE FROM unit_ranking r
    USING unnest(CAST(:removed_employees AS text[]), CAST(:removed_periods AS text[]))
          AS k(employee_id, period)
    WHERE r.region_id = :region_id AND r.employee_id = k.employee_id AND r.period = k.period
    RETURNING r.unit_id, r.period, r.achievement, r.predicate, r.decided
),
counted AS (
    SELECT 1 AS sign, unit_id, period, achievement, predicate, decided FROM written
    UNION ALL
    SELECT -1, unit_before, period, achievement_before, predicate_before, decided_before
    FROM written WHERE unit_before IS NOT NULL
    UNION ALL
    SELECT -1, unit_id, period, achievement, predicate, decided FROM removed
),
"""
    + _ADD_DIFFERENCES
)

#: The entries of summaries whose entries are not stored yet (a rebuild's fresh schema) inserted
#: plainly, each counted in its unit-period's figures: the upsert above looked each entry's key up
#: before inserting it, compared it with the stored one and returned the one it replaced.
_INSERT_NEW_ENTRIES = text(
    _SUMMARIES
    + "counted AS ("
    + _INSERT_ENTRIES
    + """
    RETURNING 1 AS sign, unit_id, period, achievement, predicate, decided
),
"""
    + _ADD_DIFFERENCES
)

#: Rollups left without an employee, removed.
_REMOVE_EMPTIED = text(
    """
DELETE FROM unit_rollups r
USING unnest(CAST(:units AS text[]), CAST(:periods AS text[])) AS t(unit_id, period)
WHERE r.region_id = :region_id AND r.unit_id = t.unit_id AND r.period = t.period AND r.employees = 0
"""
)

#: The unit-periods' rollup rows locked, made first where there is none (empty, to be counted): a
#: refresh adding to one then waits until the count is committed.
_LOCK_ROLLUPS = text(
    """
INSERT INTO unit_rollups AS r
    (region_id, unit_id, period, employees, measured, achievement_sum, decided, predicate_counts)
SELECT :region_id, unit_id, period, 0, 0, NULL, 0, '{}'
FROM unnest(CAST(:units AS text[]), CAST(:periods AS text[])) AS t(unit_id, period)
ORDER BY unit_id, period
ON CONFLICT (region_id, unit_id, period) DO UPDATE SET employees = r.employees
"""
)

_COUNTS = ", ".join(f"'{value}', count(*) FILTER (WHERE r.predicate = '{value}')" for value in _BEST_FIRST)

#: The unit-periods' figures counted from their entries, whole (their rows locked first).
_COUNT_FIGURES = text(
    f"""
UPDATE unit_rollups u SET
    employees = c.employees,
    measured = c.measured,
    achievement_sum = c.achievement_sum,
    decided = c.decided,
    predicate_counts = c.predicate_counts
FROM unnest(CAST(:units AS text[]), CAST(:periods AS text[])) AS t(unit_id, period)
CROSS JOIN LATERAL (
    SELECT count(*) AS employees,
           count(r.achievement) AS measured,
           sum(r.achievement) AS achievement_sum,
           count(*) FILTER (WHERE r.decided) AS decided,
           jsonb_build_object({_COUNTS}) AS predicate_counts
    FROM unit_ranking r
    WHERE r.region_id = :region_id AND r.unit_id = t.unit_id AND r.period = t.period
) AS c
WHERE u.region_id = :region_id AND u.unit_id = t.unit_id AND u.period = t.period
"""
)

#: Every summary and ranking entry of the given unit-periods (the entries of a summary gone or
#: moved elsewhere too), and whether the summary is there.
_KEYS_OF_UNIT_PERIODS = text(
    """
WITH touched AS (
    SELECT DISTINCT unit_id, period
    FROM unnest(CAST(:units AS text[]), CAST(:periods AS text[])) AS t(unit_id, period)
),
keys AS (
    SELECT s.employee_id, s.period
    FROM touched t
    JOIN employee_scores s ON s.region_id = :region_id AND s.unit_id = t.unit_id AND s.period = t.period
    UNION
    SELECT r.employee_id, r.period
    FROM touched t
    JOIN unit_ranking r ON r.region_id = :region_id AND r.unit_id = t.unit_id AND r.period = t.period
)
SELECT k.employee_id, k.period,
       EXISTS (SELECT FROM employee_scores s
               WHERE s.region_id = :region_id AND s.employee_id = k.employee_id AND s.period = k.period)
FROM keys k
"""
)

#: Every unit-period of a region's summaries and rollups.
_UNIT_PERIODS_OF_REGION = text(
    "SELECT unit_id, period FROM employee_scores WHERE region_id = :region_id "
    "UNION SELECT unit_id, period FROM unit_rollups WHERE region_id = :region_id"
)


async def refresh_unit_rollups(
    session: AsyncSession,
    region_id: str,
    *,
    written: Iterable[SummaryKey],
    removed: Iterable[SummaryKey],
    none_stored: bool = False,
) -> None:
    """Bring the rollups up to the summaries a refresh wrote (``written``: their keys) or removed.

    A summary written with the same unit, job type, rater, achievement and predicates (a new
    activity count, an indicator's figures, an achievement already at its cap) leaves its entry as
    it was and its unit-period's figures alone. ``none_stored``: no entry of these employees is
    stored yet (a rebuild's fresh schema, ``refresh_views``): the written ones' are inserted plainly
    (one found stored after all fails the insert) and there is none to remove.
    """
    if none_stored:
        await _write_entries(session, region_id, sorted(set(written)), [], _INSERT_NEW_ENTRIES)
        return
    await _write_entries(session, region_id, sorted(set(written)), sorted(set(removed)))


async def recompute_unit_rollups(
    session: AsyncSession, region_id: str, touched: Iterable[UnitPeriod]
) -> None:
    """These unit-periods' rollups recomputed from the summaries: the entries of every summary in them
    and of every entry in them written again (a unit-period an entry moved to changes too), then
    their figures counted whole from their entries, under their rows' locks."""
    unit_periods = sorted(set(touched))
    if not unit_periods:
        return
    written: list[SummaryKey] = []
    removed: list[SummaryKey] = []
    arrays = _unit_period_arrays(region_id, unit_periods)
    for employee_id, period, summarised in await session.execute(_KEYS_OF_UNIT_PERIODS, arrays):
        (written if summarised else removed).append((employee_id, period))
    await _write_entries(session, region_id, sorted(written), sorted(removed))
    await session.execute(_LOCK_ROLLUPS, arrays)
    await session.execute(_COUNT_FIGURES, arrays)
    await session.execute(_REMOVE_EMPTIED, arrays)


async def rebuild_unit_rollups(session: AsyncSession, region_id: str) -> None:
    """Every rollup of a region recomputed from its summaries (views filled without the refresh)."""
    keys = await session.execute(_UNIT_PERIODS_OF_REGION, {"region_id": region_id})
    await recompute_unit_rollups(session, region_id, [(unit_id, period) for unit_id, period in keys])


async def _write_entries(
    session: AsyncSession,
    region_id: str,
    written: list[SummaryKey],
    removed: list[SummaryKey],
    statement: TextClause = _WRITE_ENTRIES,
) -> None:
    """The entries of the ``written`` summaries written from them and those of the ``removed`` ones
    removed (by ``statement``), their differences added to their unit-periods' figures; a rollup
    left without an employee removed."""
    if not written and not removed:
        return
    counted = await session.execute(
        statement,
        {
            "region_id": region_id,
            "employees": [employee_id for employee_id, _ in written],
            "periods": [period for _, period in written],
            "removed_employees": [employee_id for employee_id, _ in removed],
            "removed_periods": [period for _, period in removed],
        },
    )
    emptied = [(unit_id, period) for unit_id, period, employees in counted if not employees]
    if emptied:
        await session.execute(_REMOVE_EMPTIED, _unit_period_arrays(region_id, emptied))


def _unit_period_arrays(region_id: str, unit_periods: list[UnitPeriod]) -> dict[str, object]:
    return {
        "region_id": region_id,
        "units": [unit_id for unit_id, _ in unit_periods],
        "periods": [period for _, period in unit_periods],
    }
