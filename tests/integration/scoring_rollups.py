"""The unit rollups recomputed straight from employee summaries: what the stored rollups must equal.

Written plainly, with the domain's ranking order (``domain.rewards.ranking_key``), so that the SQL
that keeps the rollups is checked against an independent statement of what they mean.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import unit_ranking, unit_rollups
from services.scoring.domain.predicate import Predicate
from services.scoring.domain.rewards import RewardCandidate, ranking_key
from services.scoring.service_layer.schemas import RankingEntry

_ANSWERED_RANKING = TypeAdapter(list[RankingEntry])


def _current(row: Any) -> str | None:
    """The predicate that counts live: the confirmed one, else the proposal."""
    return row.predicate or row.proposed_predicate or None


def _order(row: Any) -> tuple[int, bool, Fraction, str]:
    current = _current(row)
    return ranking_key(
        RewardCandidate(
            row.employee_id,
            row.unit_id,
            row.job_type,
            row.period,
            Predicate(current) if current else Predicate.SANGAT_KURANG,
            None if row.achievement is None else Fraction(row.achievement),
        )
    )


def expected_rollups(summaries: Iterable[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (unit, period) with at least one summary: counts, exact achievement sum, predicates, ranking."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in summaries:
        groups.setdefault((row.unit_id, row.period), []).append(row)
    rollups: dict[tuple[str, str], dict[str, Any]] = {}
    for key, rows in groups.items():
        achievements = [row.achievement for row in rows if row.achievement is not None]
        predicates = Counter(_current(row) for row in rows)
        ranking = [
            {
                "rank": position,
                "employee_id": row.employee_id,
                "job_type": row.job_type,
                "rater_id": row.rater_id,
                "predicate": _current(row),
                "achievement": None if row.achievement is None else str(row.achievement),
            }
            for position, row in enumerate(sorted(rows, key=_order), start=1)
        ]
        rollups[key] = {
            "employees": len(rows),
            "measured": len(achievements),
            "achievement_sum": sum(achievements, Decimal(0)) if achievements else None,
            "decided": sum(1 for row in rows if row.predicate),
            "predicate_counts": {p.value: predicates[p.value] for p in Predicate},
            "ranking": ranking,
            # As the unit dashboard answers it: the validated entries' JSON.
            "ranking_json": _ANSWERED_RANKING.dump_json(_ANSWERED_RANKING.validate_python(ranking)).decode(),
        }
    return rollups


#: The unit dashboard's ranking of a unit-period, everyone's, as its read function writes it.
_DASHBOARD_RANKING = text(
    "SELECT ranking FROM unit_dashboard_read(:region_id, :unit_id, :period, :year_keys, '', true, NULL)"
)


async def stored_rollups(session: AsyncSession, region: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored rollups in the shape of ``expected_rollups``: each unit-period's figures, and its
    ranking as the unit dashboard reads it from the ranking's entries (``ranking_json``), which
    with each entry's rater is ``ranking``. A unit-period with entries and no figures, or figures
    and no entries, shows as one whose other half is missing."""
    figures = (await session.execute(select(unit_rollups).where(unit_rollups.c.region_id == region))).all()
    entries = (await session.execute(select(unit_ranking).where(unit_ranking.c.region_id == region))).all()
    raters = {(row.employee_id, row.period): row.rater_id for row in entries}
    stored: dict[tuple[str, str], dict[str, Any]] = {
        (row.unit_id, row.period): {name: getattr(row, name) for name in _FIGURES} for row in figures
    }
    for unit_id, period in {*stored, *((row.unit_id, row.period) for row in entries)}:
        answered = await session.scalar(
            _DASHBOARD_RANKING,
            {"region_id": region, "unit_id": unit_id, "period": period, "year_keys": [period]},
        )
        ranking = [
            entry | {"rater_id": raters[(entry["employee_id"], period)]} for entry in json.loads(answered)
        ]
        stored.setdefault((unit_id, period), {}).update(ranking=ranking, ranking_json=answered)
    return stored


#: The figures a rollup row holds.
_FIGURES = ("employees", "measured", "achievement_sum", "decided", "predicate_counts")


def summary(region: str, employee_id: str, period: str, **figures: Any) -> dict[str, Any]:
    """An employee_scores row with the columns the rollups read, the others at plain values."""
    return {
        "region_id": region,
        "employee_id": employee_id,
        "period": period,
        "plan_id": f"{employee_id}-plan",
        "additional_bonus": Decimal(0),
        "activity_count": 0,
        "indicator_outcomes": [],
        "rule_set_from": date(2026, 1, 1),
        "proposed_result_rating": "MEETS",
        "proposal_reasons": [],
        "job_type": "clerk",
        "rater_id": None,
        "achievement": None,
        "predicate": None,
        "proposed_predicate": None,
    } | figures
