"""Dated, per-region rule sets: which scoring rules are in force for a period.

A rule change applies from its ``effective_from`` date; a period is always scored by the rule set in force
on its first day, so later changes never rewrite closed periods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from services.scoring.domain.achievement import AchievementPolicy
from services.scoring.domain.diagnosis import DiagnosisPolicy, TrainingCatalogue
from services.scoring.domain.distribution import DEFAULT_DISTRIBUTION_RULES, DistributionRules
from services.scoring.domain.objectivity import ObjectivityPolicy, VolumePolicy
from services.scoring.domain.performance import EmployeeAchievementPolicy
from services.scoring.domain.periods import Period, PeriodKind
from services.scoring.domain.rating import OverridePolicy, RatingThresholds
from services.scoring.domain.rewards import RewardPolicy


@dataclass(frozen=True)
class RuleSet:
    """Every configurable scoring rule of a region, in force from ``effective_from``."""

    effective_from: date
    period_kind: PeriodKind = PeriodKind.QUARTERLY
    achievement: AchievementPolicy = field(default_factory=AchievementPolicy)
    employee_achievement: EmployeeAchievementPolicy = field(default_factory=EmployeeAchievementPolicy)
    rating: RatingThresholds = field(default_factory=RatingThresholds)
    override: OverridePolicy = field(default_factory=OverridePolicy)
    distribution: DistributionRules = DEFAULT_DISTRIBUTION_RULES
    diagnosis: DiagnosisPolicy = field(default_factory=DiagnosisPolicy)
    objectivity: ObjectivityPolicy = field(default_factory=ObjectivityPolicy)
    volume: VolumePolicy = field(default_factory=VolumePolicy)
    rewards: RewardPolicy = field(default_factory=RewardPolicy)
    training: TrainingCatalogue = field(default_factory=TrainingCatalogue)

    def __post_init__(self) -> None:
        if self.period_kind is PeriodKind.YEAR:
            # The year is always assessed; the region's choice is the period within it.
            raise ValueError("a region's period kind is MONTHLY, QUARTERLY or SEMESTER")


class NoRuleInForceError(LookupError):
    """No rule set was in force on the requested date."""


class RetroactiveRuleError(ValueError):
    """A rule change that would apply to an already closed period."""


# National defaults in force since PermenPANRB 6/2022 took effect.
NATIONAL_DEFAULT = RuleSet(effective_from=date(2022, 1, 1))


class RuleBook:
    """The rule sets of every region over time; regions without their own fall back to the national ones."""

    def __init__(
        self,
        regions: Mapping[str, Iterable[RuleSet]] | None = None,
        national: Iterable[RuleSet] = (NATIONAL_DEFAULT,),
    ) -> None:
        self._national = self._ordered(national)
        self._regions = {region: self._ordered(sets) for region, sets in (regions or {}).items()}

    @staticmethod
    def _ordered(rule_sets: Iterable[RuleSet]) -> tuple[RuleSet, ...]:
        ordered = tuple(sorted(rule_sets, key=lambda r: r.effective_from))
        dates = [r.effective_from for r in ordered]
        if len(dates) != len(set(dates)):
            raise ValueError("two rule sets share an effective_from date")
        return ordered

    def rule_sets(self, region: str) -> tuple[RuleSet, ...]:
        """A region's own rule sets, oldest first."""
        return self._regions.get(region, ())

    def in_force(self, region: str, on: date) -> RuleSet:
        """The rule set in force for a region on a date: its own latest, else the national latest."""
        for candidates in (self.rule_sets(region), self._national):
            started = [r for r in candidates if r.effective_from <= on]
            if started:
                return started[-1]
        raise NoRuleInForceError(f"no rule set in force for {region!r} on {on.isoformat()}")

    def for_period(self, region: str, period: Period) -> RuleSet:
        """The rule set scoring a period: the one in force on the period's first day."""
        return self.in_force(region, period.start)

    def with_rule_set(
        self, region: str, rule_set: RuleSet, *, closed_through: date | None = None
    ) -> RuleBook:
        """A new rule book with a region's rule change added; it may not reach back into closed periods."""
        if closed_through is not None and rule_set.effective_from <= closed_through:
            raise RetroactiveRuleError(
                f"rule set effective {rule_set.effective_from.isoformat()} would change periods closed "
                f"through {closed_through.isoformat()}"
            )
        regions = dict(self._regions)
        regions[region] = (*self.rule_sets(region), rule_set)
        return RuleBook(regions, self._national)
