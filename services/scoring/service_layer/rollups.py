"""Unit rollups: what the dashboards show of a unit's employee summaries, kept as the summaries change.

A rollup row (``unit_rollups``) is a function of the summaries with its unit and period, nothing
else: the employees, those measured and the exact sum of their achievements, the rater-decided
ones, the live predicates counted, and the ranking best first (the rewards order:
``domain.rewards.ranking_key``). The summary refresh calls ``refresh_unit_rollups`` with the rows it
wrote or removed, in its transaction; each unit-period concerned (the unit a row names now and the
one it named before: an employee who moved left one unit and joined another) is recomputed from
the summaries in one statement. So whatever changes the summaries (events in any order, dated
moves, decisions, a replay's refresh at its end) changes the rollups with them, and a frozen
period's summaries, left alone, leave its rollups alone.

Two consumers may refresh summaries of one unit at once. Recomputing in a statement that cannot
see the other's uncommitted summaries would lose them, so each unit-period is locked first (a
transaction lock, taken in one order), and the statement after the lock sees every summary
committed before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select, text, union
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import employee_scores, unit_rollups
from services.scoring.domain.predicate import Predicate

#: An (employee, period key) row of employee_scores.
SummaryKey = tuple[str, str]
#: A (unit, period key) row of unit_rollups.
UnitPeriod = tuple[str, str]


class Counted(NamedTuple):
    """What a summary row gives its unit-period's rollup: nothing else of the row is counted."""

    unit_id: str
    job_type: str
    rater_id: str | None
    achievement: Decimal | None
    predicate: str | None
    proposed_predicate: str | None


#: The summary columns a rollup is made of, besides the row's key.
ROLLUP_COLUMNS = Counted._fields

_BEST_FIRST = [p.value for p in sorted(Predicate, key=lambda p: -p.rank)]

#: Transaction locks on the unit-periods, in lock-key order so that two never wait in a cycle.
_LOCK_UNIT_PERIODS = text(
    "SELECT pg_advisory_xact_lock(lock_key) FROM (SELECT DISTINCT "
    "hashtextextended(:region_id || '/' || unit_id || '/' || period, 18) AS lock_key "
    "FROM unnest(CAST(:units AS text[]), CAST(:periods AS text[])) AS t(unit_id, period) "
    "ORDER BY lock_key OFFSET 0) AS ordered"
)

_PREDICATE_COUNTS = ", ".join(
    f"'{value}', count(*) FILTER (WHERE live_predicate = '{value}')" for value in _BEST_FIRST
)

#: Each touched unit-period recomputed from its summaries: upserted, or deleted when none is left.
#: An employee without a predicate ranks as the lowest one; the ids compare as Python's strings do.
#: The ranking is kept twice: its entries with their raters (a rater's dashboard shows their own
#: team's), and as the unit dashboard answers it (``RankingEntry``'s fields in order, compact), so
#: that a read does not write it again from the entries (0.6-0.8 ms of PostgreSQL a read). The
#: entries are written as JSON text too (``to_json`` escapes each string) and parsed once: the same
#: document for about a tenth less of the statement than ``jsonb_agg`` of ``jsonb_build_object``s.
#: The fields both rankings share are escaped once an employee, and the answered ranking's entries
#: written by ``format`` as well (``row_to_json`` of a row built for each entry writes the same text).
_RECOMPUTE = text(
    f"""
WITH touched AS (
    SELECT DISTINCT unit_id, period
    FROM unnest(CAST(:units AS text[]), CAST(:periods AS text[])) AS t(unit_id, period)
),
ranked AS (
    SELECT m.*, row_number() OVER (
        PARTITION BY m.unit_id, m.period
        ORDER BY array_position(CAST(:best_first AS text[]), coalesce(m.live_predicate, :worst)),
                 m.achievement IS NULL, m.achievement DESC, m.employee_id COLLATE "C"
    ) AS rank
    FROM (
        SELECT l.*,
               to_json(l.employee_id)::text AS employee_json, to_json(l.job_type)::text AS job_type_json,
               coalesce(to_json(l.live_predicate)::text, 'null') AS predicate_json,
               coalesce(to_json(l.achievement::text)::text, 'null') AS achievement_json
        FROM (
            SELECT s.unit_id, s.period, s.employee_id, s.job_type, s.rater_id, s.achievement, s.predicate,
                   coalesce(nullif(s.predicate, ''), nullif(s.proposed_predicate, '')) AS live_predicate
            FROM touched t
            JOIN employee_scores s
              ON s.region_id = :region_id AND s.unit_id = t.unit_id AND s.period = t.period
        ) AS l
    ) AS m
),
computed AS (
    SELECT unit_id, period,
           count(*) AS employees,
           count(achievement) AS measured,
           sum(achievement) AS achievement_sum,
           count(nullif(predicate, '')) AS decided,
           jsonb_build_object({_PREDICATE_COUNTS}) AS predicate_counts,
           CAST('[' || string_agg(format(
               '{{"rank":%s,"employee_id":%s,"job_type":%s,"rater_id":%s,"predicate":%s,"achievement":%s}}',
               rank, employee_json, job_type_json, coalesce(to_json(rater_id)::text, 'null'),
               predicate_json, achievement_json
           ), ',' ORDER BY rank) || ']' AS jsonb) AS ranking,
           '[' || string_agg(format(
               '{{"rank":%s,"employee_id":%s,"job_type":%s,"predicate":%s,"achievement":%s}}',
               rank, employee_json, job_type_json, predicate_json, achievement_json
           ), ',' ORDER BY rank) || ']' AS ranking_json
    FROM ranked
    GROUP BY unit_id, period
),
emptied AS (
    DELETE FROM unit_rollups r USING touched t
    WHERE r.region_id = :region_id AND r.unit_id = t.unit_id AND r.period = t.period
      AND NOT EXISTS (SELECT FROM computed c WHERE c.unit_id = t.unit_id AND c.period = t.period)
)
INSERT INTO unit_rollups
    (region_id, unit_id, period, employees, measured, achievement_sum, decided, predicate_counts, ranking,
     ranking_json)
SELECT :region_id, unit_id, period, employees, measured, achievement_sum, decided, predicate_counts, ranking,
       ranking_json
FROM computed
ON CONFLICT (region_id, unit_id, period) DO UPDATE SET
    employees = excluded.employees,
    measured = excluded.measured,
    achievement_sum = excluded.achievement_sum,
    decided = excluded.decided,
    predicate_counts = excluded.predicate_counts,
    ranking = excluded.ranking,
    ranking_json = excluded.ranking_json
"""
)


async def refresh_unit_rollups(
    session: AsyncSession,
    region_id: str,
    *,
    before: Mapping[SummaryKey, Any],
    written: Iterable[Mapping[str, Any]],
    removed: Iterable[SummaryKey],
) -> None:
    """Recompute the rollups a summary refresh changed: ``before`` holds the rows as they were
    (by key, each with at least the ``ROLLUP_COLUMNS``), ``written`` the rows' new values,
    ``removed`` the keys of the rows it deleted.

    A row written with the same ``ROLLUP_COLUMNS`` (a new activity count, an indicator's figures,
    an achievement already at its cap) is counted in its rollup as it was, so its unit-period is
    not recomputed for it: a recomputation reads every summary of the unit and writes its ranking.
    """
    touched: set[UnitPeriod] = set()
    for values in written:
        key = (values["employee_id"], values["period"])
        previous = before.get(key)
        if previous is not None and all(getattr(previous, name) == values[name] for name in ROLLUP_COLUMNS):
            continue
        touched.add((values["unit_id"], values["period"]))
        if previous is not None:
            touched.add((previous.unit_id, values["period"]))
    for key in removed:
        if (previous := before.get(key)) is not None:
            touched.add((previous.unit_id, key[1]))
    await recompute_unit_rollups(session, region_id, touched)


async def recompute_unit_rollups(
    session: AsyncSession, region_id: str, touched: Iterable[UnitPeriod]
) -> None:
    """Recompute these unit-periods' rollups from the summaries, under their locks."""
    keys = sorted(set(touched))
    if not keys:
        return
    parameters = {"region_id": region_id, "units": [u for u, _ in keys], "periods": [p for _, p in keys]}
    await session.execute(_LOCK_UNIT_PERIODS, parameters)
    await session.execute(
        _RECOMPUTE, parameters | {"best_first": _BEST_FIRST, "worst": Predicate.SANGAT_KURANG.value}
    )


async def rebuild_unit_rollups(session: AsyncSession, region_id: str) -> None:
    """Every rollup of a region recomputed from its summaries (views filled without the refresh)."""
    keys = await session.execute(
        union(
            select(employee_scores.c.unit_id, employee_scores.c.period).where(
                employee_scores.c.region_id == region_id
            ),
            select(unit_rollups.c.unit_id, unit_rollups.c.period).where(
                unit_rollups.c.region_id == region_id
            ),
        )
    )
    await recompute_unit_rollups(session, region_id, [(unit_id, period) for unit_id, period in keys])
