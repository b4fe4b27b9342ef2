"""The unit rollups recomputed straight from employee summaries: what the stored rollups must equal.

Written plainly, with the domain's ranking order (``domain.rewards.ranking_key``), so that the SQL
that keeps the rollups is checked against an independent statement of what they mean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from services.scoring.domain.predicate import Predicate
from services.scoring.domain.rewards import RewardCandidate, ranking_key


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
        rollups[key] = {
            "employees": len(rows),
            "measured": len(achievements),
            "achievement_sum": sum(achievements, Decimal(0)) if achievements else None,
            "decided": sum(1 for row in rows if row.predicate),
            "predicate_counts": {p.value: predicates[p.value] for p in Predicate},
            "ranking": [
                {
                    "rank": position,
                    "employee_id": row.employee_id,
                    "job_type": row.job_type,
                    "rater_id": row.rater_id,
                    "predicate": _current(row),
                    "achievement": None if row.achievement is None else str(row.achievement),
                }
                for position, row in enumerate(sorted(rows, key=_order), start=1)
            ],
        }
    return rollups


def stored_rollups(rows: Iterable[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Stored rollup rows in the shape of ``expected_rollups``."""
    names = ("employees", "measured", "achievement_sum", "decided", "predicate_counts", "ranking")
    return {(row.unit_id, row.period): {name: getattr(row, name) for name in names} for row in rows}
