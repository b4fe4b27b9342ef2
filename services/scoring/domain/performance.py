"""Employee-period achievement (capaian kinerja pegawai) across planned results, with its breakdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from services.scoring.domain.achievement import (
    AchievementBasis,
    Indicator,
    IndicatorAchievement,
    Realisation,
)
from shared.labels import LabelledEnum


class ResultKind(LabelledEnum):
    """Jenis RHK: main or additional planned result."""

    MAIN = "MAIN", "Utama", "Main"
    ADDITIONAL = "ADDITIONAL", "Tambahan", "Additional"


class MainWeighting(LabelledEnum):
    """How main results' indicators combine into one number."""

    PER_INDICATOR = "PER_INDICATOR", "Rata-rata seluruh indikator", "Mean over all main indicators"
    PER_RESULT = "PER_RESULT", "Rata-rata per RHK", "Mean over main results, each the mean of its indicators"


@dataclass(frozen=True)
class PlannedResult:
    """Rencana Hasil Kerja (RHK) with its indicators."""

    id: str
    kind: ResultKind
    indicators: tuple[Indicator, ...]
    title: str = ""
    weight: Fraction = Fraction(1)

    def __post_init__(self) -> None:
        if self.weight <= 0:
            raise ValueError("a planned result weight must be positive")


@dataclass(frozen=True)
class EmployeeAchievementPolicy:
    """Weights of the employee-period achievement; part of a region's dated rule set.

    Additional results (RHK tambahan) only add a bonus: each contributes ``bonus_per_additional_result``
    times its achievement (counted up to 1), and the total bonus never exceeds ``max_additional_bonus``.
    """

    main_weighting: MainWeighting = MainWeighting.PER_INDICATOR
    bonus_per_additional_result: Fraction = Fraction(1, 20)
    max_additional_bonus: Fraction = Fraction(1, 10)
    missing_counts_as_zero: bool = True

    def __post_init__(self) -> None:
        if self.bonus_per_additional_result < 0 or self.max_additional_bonus < 0:
            raise ValueError("additional-result bonuses cannot be negative")


@dataclass(frozen=True)
class ResultBreakdown:
    """One planned result in the breakdown: its indicators and their combined achievement."""

    result: PlannedResult
    achievement: Fraction | None
    indicators: tuple[IndicatorAchievement, ...]


@dataclass(frozen=True)
class EmployeeAchievement:
    """Capaian kinerja pegawai for one period, explainable down to each indicator."""

    achievement: Fraction | None
    main_achievement: Fraction | None
    additional_bonus: Fraction
    verified_share: Fraction | None
    results: tuple[ResultBreakdown, ...]

    def indicators(self) -> tuple[IndicatorAchievement, ...]:
        """Every indicator of every result, in plan order."""
        return tuple(item for result in self.results for item in result.indicators)


_ZERO = Fraction(0)
_ONE = Fraction(1)


def _weighted_mean(pairs: Sequence[tuple[Fraction, Fraction]]) -> Fraction | None:
    """sum(value × weight) / sum(weight), exactly; None when there is no weight.

    Summed over integers and made a fraction once: ``Fraction`` arithmetic reduces (a gcd, a new
    object) at every step, which made this most of an employee's assessment. The sums' denominators
    are multiplied only when they differ, so the integers stay small for the usual equal weights.
    """
    if len(pairs) == 1:
        # One value (a one-indicator result, a lone verified share): its own mean, no new fraction.
        value, value_weight = pairs[0]
        return value if value_weight else None
    total, total_denominator, weight, weight_denominator = 0, 1, 0, 1
    for value, value_weight in pairs:
        numerator = value.numerator * value_weight.numerator
        denominator = value.denominator * value_weight.denominator
        if denominator == total_denominator:
            total += numerator
        else:
            total = total * denominator + numerator * total_denominator
            total_denominator *= denominator
        if value_weight.denominator == weight_denominator:
            weight += value_weight.numerator
        else:
            weight = weight * value_weight.denominator + value_weight.numerator * weight_denominator
            weight_denominator *= value_weight.denominator
    if not weight:
        return None
    return Fraction(total * weight_denominator, total_denominator * weight)


def _scored(
    items: Sequence[IndicatorAchievement], policy: EmployeeAchievementPolicy
) -> list[tuple[Fraction, Fraction]]:
    """(achievement, weight) pairs; indicators without data count as zero or drop out per policy."""
    pairs: list[tuple[Fraction, Fraction]] = []
    for item in items:
        if item.achievement is not None:
            pairs.append((item.achievement, item.indicator.weight))
        elif policy.missing_counts_as_zero:
            # Missing evidence must not help: an unreported indicator counts as nothing achieved.
            pairs.append((_ZERO, item.indicator.weight))
    return pairs


def _lookup(indicator: Indicator, achievements: Mapping[str, IndicatorAchievement]) -> IndicatorAchievement:
    found = achievements.get(indicator.id)
    if found is None:
        return IndicatorAchievement(
            indicator, Realisation.empty(indicator.aggregation), AchievementBasis.NO_DATA, None
        )
    # Usually the very object (one indicator per plan row and period): no field-by-field comparison.
    if found.indicator is not indicator and found.indicator != indicator:
        raise ValueError(f"achievement given for a different indicator than {indicator.id}")
    return found


def _break_down(
    result: PlannedResult, achievements: Mapping[str, IndicatorAchievement], policy: EmployeeAchievementPolicy
) -> ResultBreakdown:
    items = tuple(_lookup(indicator, achievements) for indicator in result.indicators)
    return ResultBreakdown(result, _weighted_mean(_scored(items, policy)), items)


def assess_employee(
    plan: Sequence[PlannedResult],
    achievements: Mapping[str, IndicatorAchievement],
    policy: EmployeeAchievementPolicy | None = None,
) -> EmployeeAchievement:
    """Combine indicator achievements (keyed by indicator id) into the employee's period achievement."""
    policy = policy or EmployeeAchievementPolicy()
    breakdown = tuple(_break_down(result, achievements, policy) for result in plan)
    main = [b for b in breakdown if b.result.kind is ResultKind.MAIN]
    additional = [b for b in breakdown if b.result.kind is ResultKind.ADDITIONAL]

    if policy.main_weighting is MainWeighting.PER_INDICATOR and len(main) == 1:
        # One main result: the mean over its indicators is the one its breakdown just took.
        main_achievement = main[0].achievement
    elif policy.main_weighting is MainWeighting.PER_INDICATOR:
        main_achievement = _weighted_mean(_scored([i for b in main for i in b.indicators], policy))
    else:
        main_achievement = _weighted_mean(
            [(b.achievement, b.result.weight) for b in main if b.achievement is not None]
        )

    earned = [
        policy.bonus_per_additional_result * min(b.achievement, _ONE) for b in additional if b.achievement
    ]
    # No additional result achieved (most plans): no bonus, and no fraction arithmetic for it.
    bonus = min(sum(earned, _ZERO), policy.max_additional_bonus) if earned else _ZERO
    shares = [
        (share, item.indicator.weight)
        for b in main
        for item in b.indicators
        if item.achievement is not None and (share := item.verified_share) is not None
    ]
    return EmployeeAchievement(
        achievement=main_achievement + bonus if main_achievement is not None and bonus else main_achievement,
        main_achievement=main_achievement,
        additional_bonus=bonus,
        verified_share=_weighted_mean(shares),
        results=breakdown,
    )
