"""Rewards (penghargaan): top performers per unit and job type in a period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from services.scoring.domain.predicate import Predicate


@dataclass(frozen=True)
class RewardCandidate:
    """An employee's period outcome considered for a reward."""

    employee_id: str
    unit_id: str
    job_type: str
    period_key: str
    predicate: Predicate
    achievement: Fraction | None


@dataclass(frozen=True)
class RewardPolicy:
    """Who can be rewarded and how many per group; part of a region's dated rule set."""

    top_k: int = 3
    eligible: frozenset[Predicate] = field(
        default_factory=lambda: frozenset({Predicate.SANGAT_BAIK, Predicate.BAIK})
    )

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")


@dataclass(frozen=True)
class RewardGroup:
    """The top performers of one unit and job type in one period, best first."""

    period_key: str
    unit_id: str
    job_type: str
    winners: tuple[RewardCandidate, ...]


def ranking_key(candidate: RewardCandidate) -> tuple[int, bool, Fraction, str]:
    """Sort key: better predicate, then higher achievement (unknown last), then employee id."""
    achievement = candidate.achievement
    return (
        -candidate.predicate.rank,
        achievement is None,
        -(achievement or Fraction(0)),
        candidate.employee_id,
    )


def top_performers(
    candidates: Iterable[RewardCandidate], policy: RewardPolicy | None = None
) -> tuple[RewardGroup, ...]:
    """Top-k eligible employees per (period, unit, job type), ordered deterministically."""
    policy = policy or RewardPolicy()
    groups: dict[tuple[str, str, str], list[RewardCandidate]] = defaultdict(list)
    for candidate in candidates:
        if candidate.predicate in policy.eligible:
            groups[(candidate.period_key, candidate.unit_id, candidate.job_type)].append(candidate)
    return tuple(
        RewardGroup(
            period, unit, job, tuple(sorted(groups[(period, unit, job)], key=ranking_key)[: policy.top_k])
        )
        for period, unit, job in sorted(groups)
    )
