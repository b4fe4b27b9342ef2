"""Achievement (capaian) of one indicator: realisation from contributions, compared with its target.

All arithmetic is exact (:class:`fractions.Fraction`); convert to ``Decimal`` or ``float`` only at the edges.
The indicator and its target are in ``indicators.py``, how contributions (or a view row's running
totals) add up to a realisation in ``realisation.py``, and the achievement that follows, measured or
judged, in ``assessment.py``.
"""

from services.scoring.domain.achievement.assessment import (
    AchievementPolicy,
    IndicatorAchievement,
    JudgementScale,
    achievement_ratio,
    assess_indicator,
)
from services.scoring.domain.achievement.indicators import (
    AchievementBasis,
    Aggregation,
    Aspect,
    Direction,
    Indicator,
    Judgement,
    NumericTarget,
    QualitativeTarget,
    Target,
)
from services.scoring.domain.achievement.realisation import (
    Contribution,
    ContributionError,
    IndicatorAccumulator,
    Realisation,
    RealisationTotals,
    compute_realisation,
    realisation_from_totals,
)

__all__ = [
    "AchievementBasis",
    "AchievementPolicy",
    "Aggregation",
    "Aspect",
    "Contribution",
    "ContributionError",
    "Direction",
    "Indicator",
    "IndicatorAccumulator",
    "IndicatorAchievement",
    "Judgement",
    "JudgementScale",
    "NumericTarget",
    "QualitativeTarget",
    "Realisation",
    "RealisationTotals",
    "Target",
    "achievement_ratio",
    "assess_indicator",
    "compute_realisation",
    "realisation_from_totals",
]
