"""The target an indicator has in one period, from its annual target and its period split."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from services.scoring.domain.achievement import Aggregation
from services.scoring.domain.periods import Period, PeriodKind


def period_target(
    aggregation: Aggregation,
    annual: Fraction | None,
    split: Mapping[str, Fraction],
    period: Period,
) -> Fraction | None:
    """Target kuantitatif of a period: the plan's own split when it gives one for the period.

    Without a split, a SUM target is spread evenly over the year's periods (400 documents a year is
    100 a quarter); averages, latest values and ratios are levels, so the annual target holds as is.
    """
    if period.key in split:
        return split[period.key]
    if annual is None:
        return None
    if period.kind is PeriodKind.YEAR or aggregation is not Aggregation.SUM:
        return annual
    return annual / period.kind.per_year
