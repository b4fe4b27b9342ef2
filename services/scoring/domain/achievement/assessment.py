"""Achievement (capaian) of one indicator: its realisation against its target, or the rater's judgement."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from services.scoring.domain.achievement.indicators import (
    AchievementBasis,
    Direction,
    Indicator,
    Judgement,
    QualitativeTarget,
)
from services.scoring.domain.achievement.realisation import Realisation


@dataclass(frozen=True)
class JudgementScale:
    """Achievement ratio given to each rater judgement of a qualitative target."""

    not_met: Fraction = Fraction(0)
    partly_met: Fraction = Fraction(1, 2)
    met: Fraction = Fraction(1)
    exceeded: Fraction = Fraction(6, 5)

    def ratio(self, judgement: Judgement) -> Fraction:
        """Achievement ratio for a judgement."""
        match judgement:
            case Judgement.NOT_MET:
                return self.not_met
            case Judgement.PARTLY_MET:
                return self.partly_met
            case Judgement.MET:
                return self.met
            case Judgement.EXCEEDED:
                return self.exceeded


@dataclass(frozen=True)
class AchievementPolicy:
    """How realisation becomes achievement; part of a region's dated rule set."""

    cap: Fraction = Fraction(3, 2)
    judgements: JudgementScale = JudgementScale()

    def __post_init__(self) -> None:
        if self.cap < 1:
            raise ValueError("the achievement cap must be at least 1")


@dataclass(frozen=True)
class IndicatorAchievement:
    """Capaian indikator: realisation, target and the resulting (capped) achievement ratio."""

    indicator: Indicator
    realisation: Realisation
    basis: AchievementBasis
    achievement: Fraction | None
    capped: bool = False
    judgement: Judgement | None = None

    @property
    def verified_share(self) -> Fraction | None:
        """Share of the realisation backed by verified evidence; a rater's judgement counts as verified."""
        if self.basis is AchievementBasis.JUDGED:
            return Fraction(1)
        return self.realisation.verified_share


def _uncapped_ratio(direction: Direction, target: Fraction, realisation: Fraction) -> Fraction | None:
    """Achievement ratio before the cap; ``None`` stands for unbounded (no waiting beats any target)."""
    if direction is Direction.HIGHER_IS_BETTER:
        return realisation / target if target else Fraction(1)
    if realisation:
        return target / realisation
    return None if target else Fraction(1)


def achievement_ratio(
    direction: Direction, target: Fraction, realisation: Fraction, *, cap: Fraction
) -> Fraction:
    """Achievement ratio of a numeric target, capped so one indicator cannot mask the others.

    Higher is better: realisation / target; a zero target is simply met (1), since it gives no scale to
    measure over-achievement against. Lower is better: target / realisation; a zero realisation beats any
    positive target (the cap), meets a zero target exactly (1), and any realisation above a zero target
    scores 0.
    """
    ratio = _uncapped_ratio(direction, target, realisation)
    return cap if ratio is None else min(ratio, cap)


def assess_indicator(
    indicator: Indicator,
    realisation: Realisation,
    policy: AchievementPolicy | None = None,
    judgement: Judgement | None = None,
) -> IndicatorAchievement:
    """Achievement of one indicator from its realisation, or from the rater's judgement if qualitative."""
    policy = policy or AchievementPolicy()
    if realisation.aggregation is not indicator.aggregation:
        raise ValueError(
            f"realisation aggregated by {realisation.aggregation}, indicator by {indicator.aggregation}"
        )
    target = indicator.target
    if isinstance(target, QualitativeTarget):
        if judgement is None:
            return IndicatorAchievement(indicator, realisation, AchievementBasis.NO_DATA, None)
        judged = policy.judgements.ratio(judgement)
        return IndicatorAchievement(
            indicator,
            realisation,
            AchievementBasis.JUDGED,
            min(judged, policy.cap),
            judged > policy.cap,
            judgement,
        )
    if judgement is not None:
        raise ValueError(f"indicator {indicator.id} has a numeric target; it is measured, not judged")
    if realisation.value is None:
        return IndicatorAchievement(indicator, realisation, AchievementBasis.NO_DATA, None)
    raw = _uncapped_ratio(indicator.direction, target.value, realisation.value)
    cap = policy.cap
    capped = raw is None or raw > cap
    # The cap when above it (one comparison of fractions, not a second one in ``min``).
    achieved = cap if capped else raw
    return IndicatorAchievement(indicator, realisation, AchievementBasis.MEASURED, achieved, capped)
