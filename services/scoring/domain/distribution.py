"""Distribution check: does a unit's spread of employee predicates fit its organisation predicate?

The check only reports; it never changes a rating.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from services.scoring.domain.predicate import OrganisationPredicate, Predicate
from shared.labels import LabelledEnum
from shared.refusals import Label, Phrase, Term


class BoundKind(LabelledEnum):
    """What a distribution constraint bounds."""

    MIN_SHARE = "MIN_SHARE", "paling sedikit", "at least"
    MAX_SHARE = "MAX_SHARE", "paling banyak", "at most"
    MIN_COUNT = "MIN_COUNT", "paling sedikit", "at least"
    MAX_COUNT = "MAX_COUNT", "paling banyak", "at most"

    @property
    def is_share(self) -> bool:
        """Whether the bound is a share of employees rather than a head count."""
        return self in (BoundKind.MIN_SHARE, BoundKind.MAX_SHARE)

    @property
    def is_minimum(self) -> bool:
        """Whether the bound is a lower bound."""
        return self in (BoundKind.MIN_SHARE, BoundKind.MIN_COUNT)


@dataclass(frozen=True)
class DistributionConstraint:
    """A bound on how many employees hold any of a set of predicates (a share in [0, 1] or a count)."""

    predicates: frozenset[Predicate]
    kind: BoundKind
    bound: Fraction

    def __post_init__(self) -> None:
        if not self.predicates:
            raise ValueError("a constraint needs at least one predicate")
        if self.kind.is_share and not 0 <= self.bound <= 1:
            raise ValueError("a share bound must lie in [0, 1]")
        if not self.kind.is_share and (self.bound < 0 or self.bound.denominator != 1):
            raise ValueError("a count bound must be a non-negative whole number")

    def required_count(self, total: int) -> int:
        """The bound expressed as a head count for a unit of ``total`` employees."""
        if not self.kind.is_share:
            return int(self.bound)
        exact = self.bound * total
        # A minimum share rounds up and a maximum rounds down, so the count always honours the share.
        return math.ceil(exact) if self.kind.is_minimum else math.floor(exact)


@dataclass(frozen=True)
class DistributionPattern:
    """The constraints an organisation predicate sets on its employees' predicates."""

    organisation_predicate: OrganisationPredicate
    constraints: tuple[DistributionConstraint, ...]


@dataclass(frozen=True)
class DistributionRules:
    """Distribution patterns per organisation predicate; part of a region's dated rule set."""

    patterns: tuple[DistributionPattern, ...]

    def __post_init__(self) -> None:
        keys = [p.organisation_predicate for p in self.patterns]
        if len(keys) != len(set(keys)):
            raise ValueError("one pattern per organisation predicate")

    def pattern_for(self, organisation_predicate: OrganisationPredicate) -> DistributionPattern:
        """The pattern for an organisation predicate; none configured means no constraints."""
        for pattern in self.patterns:
            if pattern.organisation_predicate is organisation_predicate:
                return pattern
        return DistributionPattern(organisation_predicate, ())


def _c(kind: BoundKind, bound: Fraction | int, *predicates: Predicate) -> DistributionConstraint:
    return DistributionConstraint(frozenset(predicates), kind, Fraction(bound))


_SB, _B, _BP, _K, _SK = (
    Predicate.SANGAT_BAIK,
    Predicate.BAIK,
    Predicate.BUTUH_PERBAIKAN,
    Predicate.KURANG,
    Predicate.SANGAT_KURANG,
)

# Defaults from the domain brief, marked "(check)" there: regions override them in their rule sets.
DEFAULT_DISTRIBUTION_RULES = DistributionRules(
    (
        DistributionPattern(OrganisationPredicate.ISTIMEWA, (_c(BoundKind.MAX_SHARE, Fraction(7, 10), _SB),)),
        DistributionPattern(
            OrganisationPredicate.BAIK,
            (_c(BoundKind.MAX_SHARE, Fraction(7, 10), _B), _c(BoundKind.MIN_COUNT, 1, _BP, _K)),
        ),
        DistributionPattern(
            OrganisationPredicate.BUTUH_PERBAIKAN,
            (_c(BoundKind.MIN_SHARE, Fraction(3, 5), _BP), _c(BoundKind.MAX_SHARE, Fraction(1, 10), _SB)),
        ),
        DistributionPattern(
            OrganisationPredicate.KURANG,
            (
                _c(BoundKind.MIN_SHARE, Fraction(3, 5), _K),
                _c(BoundKind.MIN_SHARE, Fraction(1, 10), _BP),
                _c(BoundKind.MAX_SHARE, Fraction(1, 10), _SB),
            ),
        ),
        DistributionPattern(
            OrganisationPredicate.SANGAT_KURANG,
            (
                _c(BoundKind.MIN_SHARE, Fraction(3, 5), _SK),
                _c(BoundKind.MIN_SHARE, Fraction(1, 10), _K, _BP),
                _c(BoundKind.MAX_COUNT, 0, _SB),
            ),
        ),
    )
)


@dataclass(frozen=True)
class ConstraintResult:
    """One constraint checked against a unit: actual versus required, and whether it holds."""

    constraint: DistributionConstraint
    total: int
    actual_count: int
    required_count: int
    compliant: bool

    @property
    def actual_share(self) -> Fraction | None:
        """Share of employees holding the constrained predicates; ``None`` for an empty unit."""
        return Fraction(self.actual_count, self.total) if self.total else None

    def _names(self) -> Label | Phrase:
        ordered = [
            Label(p.label_en, p.label_id) for p in sorted(self.constraint.predicates, key=lambda p: -p.rank)
        ]
        names: Label | Phrase = ordered[0]
        for following in ordered[1:]:
            names = Phrase("%(names)s or %(next)s", {"names": names, "next": following})
        return names

    def _bound(self) -> str:
        if self.constraint.kind.is_share:
            return f"{float(self.constraint.bound) * 100:g}% ({self.required_count}/{self.total})"
        return str(self.required_count)

    @property
    def explanation(self) -> Phrase:
        """The bound against the current count (English msgid; the catalogue has the Indonesian)."""
        return Phrase(
            "%(predicates)s: %(bound_kind)s %(bound)s employees, "
            "currently %(actual)s of %(total)s — %(status)s",
            {
                "predicates": self._names(),
                "bound_kind": Label(self.constraint.kind.label_en, self.constraint.kind.label_id),
                "bound": self._bound(),
                "actual": self.actual_count,
                "total": self.total,
                "status": Term("compliant", "distribution check")
                if self.compliant
                else Term("NOT compliant", "distribution check"),
            },
        )


@dataclass(frozen=True)
class DistributionReport:
    """Result of a distribution check for one unit and period."""

    organisation_predicate: OrganisationPredicate
    counts: tuple[tuple[Predicate, int], ...]
    results: tuple[ConstraintResult, ...]

    @property
    def total(self) -> int:
        """Number of employees checked."""
        return sum(count for _, count in self.counts)

    @property
    def compliant(self) -> bool:
        """Whether every constraint holds."""
        return all(result.compliant for result in self.results)

    @property
    def violations(self) -> tuple[ConstraintResult, ...]:
        """The constraints that do not hold."""
        return tuple(result for result in self.results if not result.compliant)


def _check(constraint: DistributionConstraint, counts: Counter[Predicate], total: int) -> ConstraintResult:
    actual = sum(counts[p] for p in constraint.predicates)
    required = constraint.required_count(total)
    if constraint.kind.is_share and total == 0:
        # An empty unit has no distribution to judge; head-count minimums still apply.
        compliant = True
    elif constraint.kind is BoundKind.MIN_SHARE:
        compliant = Fraction(actual, total) >= constraint.bound
    elif constraint.kind is BoundKind.MAX_SHARE:
        compliant = Fraction(actual, total) <= constraint.bound
    elif constraint.kind is BoundKind.MIN_COUNT:
        compliant = actual >= required
    else:
        compliant = actual <= required
    return ConstraintResult(constraint, total, actual, required, compliant)


def check_distribution(
    organisation_predicate: OrganisationPredicate,
    predicates: Iterable[Predicate] | Mapping[Predicate, int],
    rules: DistributionRules = DEFAULT_DISTRIBUTION_RULES,
) -> DistributionReport:
    """Check employees' predicates (one per employee, or counted) against the pattern their unit's
    organisation predicate sets."""
    counts = Counter(predicates)
    total = sum(counts.values())
    pattern = rules.pattern_for(organisation_predicate)
    return DistributionReport(
        organisation_predicate=organisation_predicate,
        counts=tuple((p, counts[p]) for p in Predicate),
        results=tuple(_check(constraint, counts, total) for constraint in pattern.constraints),
    )
