"""Realisation (realisasi) of one indicator from its contributions, or from a view row's running totals.

All arithmetic is exact (:class:`fractions.Fraction`); convert to ``Decimal`` or ``float`` only at the edges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction

from services.scoring.domain.achievement.indicators import Aggregation


class ContributionError(ValueError):
    """A contribution that does not fit its indicator or contradicts an earlier one."""


@dataclass(frozen=True)
class Contribution:
    """Kontribusi realisasi: one reported activity or count toward an indicator.

    For a RATIO indicator ``quantity`` is the numerator (e.g. complaints resolved within the deadline)
    and ``denominator`` the base (complaints received); other aggregations carry no denominator.
    """

    id: str
    occurred_at: datetime
    quantity: Fraction
    verified: bool = False
    denominator: Fraction | None = None

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            # Field devices report in several time zones; naive times would order LAST wrongly.
            raise ContributionError("occurred_at must be timezone-aware")
        if self.quantity < 0:
            raise ContributionError("a contribution quantity cannot be negative")
        if self.denominator is not None and self.denominator < 0:
            raise ContributionError("a contribution denominator cannot be negative")

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Key deciding the latest contribution: time first, then id for a deterministic tie-break."""
        return (self.occurred_at, self.id)


@dataclass(frozen=True)
class Realisation:
    """Realisasi of one indicator over a period, overall and counting verified contributions only.

    ``value`` is ``None`` when the aggregation has nothing to work on (an average of no values, a ratio
    whose denominators sum to zero); a SUM over no contributions is zero.
    """

    aggregation: Aggregation
    value: Fraction | None
    verified_value: Fraction | None
    verified_share: Fraction | None
    contribution_count: int
    verified_count: int

    @classmethod
    def empty(cls, aggregation: Aggregation) -> Realisation:
        """Realisation of an indicator nobody has reported on."""
        return compute_realisation(aggregation, ())


def _check_shape(aggregation: Aggregation, contribution: Contribution) -> None:
    needs_denominator = aggregation is Aggregation.RATIO
    if needs_denominator != (contribution.denominator is not None):
        expected = "needs" if needs_denominator else "takes no"
        raise ContributionError(f"a {aggregation} contribution {expected} denominator: {contribution.id}")


def _merge(seen: Contribution, incoming: Contribution) -> Contribution:
    """Merge a redelivered contribution: the same fact, verified if any copy says so."""
    if replace(seen, verified=incoming.verified) != incoming:
        raise ContributionError(f"contribution {incoming.id} was reported twice with different data")
    # Verification only ever turns on, so OR-ing the flag is order-independent.
    return replace(seen, verified=seen.verified or incoming.verified)


def _weight(aggregation: Aggregation, contribution: Contribution) -> Fraction:
    """How much of the realisation one contribution carries, for the verified share."""
    if aggregation is Aggregation.SUM:
        return contribution.quantity
    if aggregation is Aggregation.RATIO:
        return contribution.denominator or Fraction(0)
    return Fraction(1)


def _aggregate(aggregation: Aggregation, items: list[Contribution]) -> Fraction | None:
    if aggregation is Aggregation.SUM:
        return sum((c.quantity for c in items), Fraction(0))
    if not items:
        return None
    if aggregation is Aggregation.AVERAGE:
        return sum((c.quantity for c in items), Fraction(0)) / len(items)
    if aggregation is Aggregation.LAST:
        return max(items, key=lambda c: c.order_key).quantity
    denominator = sum((c.denominator or Fraction(0) for c in items), Fraction(0))
    return sum((c.quantity for c in items), Fraction(0)) / denominator if denominator else None


_ZERO, _ONE = Fraction(0), Fraction(1)


def _share(
    part_weight: Fraction, total_weight: Fraction, part_count: int, total_count: int
) -> Fraction | None:
    if total_weight:
        # Nothing verified yet, or all of it (most rows): the share without a fraction's division.
        if not part_weight:
            return _ZERO
        return _ONE if part_weight == total_weight else part_weight / total_weight
    # All weights zero (e.g. every count reported as 0): fall back to the share of contributions.
    return Fraction(part_count, total_count) if total_count else None


def compute_realisation(aggregation: Aggregation, contributions: Iterable[Contribution]) -> Realisation:
    """Realisation from the full list of contributions; repeated ids are merged, not counted twice."""
    unique: dict[str, Contribution] = {}
    for contribution in contributions:
        _check_shape(aggregation, contribution)
        seen = unique.get(contribution.id)
        unique[contribution.id] = contribution if seen is None else _merge(seen, contribution)
    items = list(unique.values())
    verified = [c for c in items if c.verified]
    return Realisation(
        aggregation=aggregation,
        value=_aggregate(aggregation, items),
        verified_value=_aggregate(aggregation, verified),
        verified_share=_share(
            sum((_weight(aggregation, c) for c in verified), Fraction(0)),
            sum((_weight(aggregation, c) for c in items), Fraction(0)),
            len(verified),
            len(items),
        ),
        contribution_count=len(items),
        verified_count=len(verified),
    )


@dataclass(frozen=True)
class RealisationTotals:
    """Running totals from which a realisation follows exactly: what a materialized view row stores.

    ``latest_quantity`` is the quantity of the latest contribution by :attr:`Contribution.order_key`;
    the ``verified_`` fields are the same totals over verified contributions only.
    """

    count: int = 0
    quantity: Fraction = Fraction(0)
    denominator: Fraction = Fraction(0)
    latest_quantity: Fraction | None = None
    verified_count: int = 0
    verified_quantity: Fraction = Fraction(0)
    verified_denominator: Fraction = Fraction(0)
    verified_latest_quantity: Fraction | None = None

    @classmethod
    def of(cls, contributions: Iterable[Contribution]) -> RealisationTotals:
        """Totals of a list of distinct contributions."""
        items = list(contributions)
        verified = [c for c in items if c.verified]

        def latest(group: list[Contribution]) -> Fraction | None:
            return max(group, key=lambda c: c.order_key).quantity if group else None

        return cls(
            count=len(items),
            quantity=sum((c.quantity for c in items), Fraction(0)),
            denominator=sum((c.denominator or Fraction(0) for c in items), Fraction(0)),
            latest_quantity=latest(items),
            verified_count=len(verified),
            verified_quantity=sum((c.quantity for c in verified), Fraction(0)),
            verified_denominator=sum((c.denominator or Fraction(0) for c in verified), Fraction(0)),
            verified_latest_quantity=latest(verified),
        )


def _value_of(
    aggregation: Aggregation,
    count: int,
    quantity: Fraction,
    denominator: Fraction,
    latest: Fraction | None,
) -> Fraction | None:
    match aggregation:
        case Aggregation.SUM:
            return quantity
        case Aggregation.AVERAGE:
            return quantity / count if count else None
        case Aggregation.LAST:
            return latest
        case Aggregation.RATIO:
            return quantity / denominator if denominator else None


def _weight_of(aggregation: Aggregation, count: int, quantity: Fraction, denominator: Fraction) -> Fraction:
    """Total weight of a group of contributions for the verified share (see :func:`_weight`)."""
    if aggregation is Aggregation.SUM:
        return quantity
    if aggregation is Aggregation.RATIO:
        return denominator
    return Fraction(count)


def realisation_from_totals(aggregation: Aggregation, totals: RealisationTotals) -> Realisation:
    """The realisation that running totals stand for; equals :func:`compute_realisation` on the list."""
    t = totals
    return Realisation(
        aggregation=aggregation,
        value=_value_of(aggregation, t.count, t.quantity, t.denominator, t.latest_quantity),
        verified_value=_value_of(
            aggregation,
            t.verified_count,
            t.verified_quantity,
            t.verified_denominator,
            t.verified_latest_quantity,
        ),
        verified_share=_share(
            _weight_of(aggregation, t.verified_count, t.verified_quantity, t.verified_denominator),
            _weight_of(aggregation, t.count, t.quantity, t.denominator),
            t.verified_count,
            t.count,
        ),
        contribution_count=t.count,
        verified_count=t.verified_count,
    )


class _Tally:
    """Running totals over a set of contributions."""

    def __init__(self, aggregation: Aggregation) -> None:
        self.aggregation = aggregation
        self.count = 0
        self.quantity = Fraction(0)
        self.denominator = Fraction(0)
        self.weight = Fraction(0)
        self.latest: Contribution | None = None

    def add(self, contribution: Contribution) -> None:
        self.count += 1
        self.quantity += contribution.quantity
        self.denominator += contribution.denominator or Fraction(0)
        self.weight += _weight(self.aggregation, contribution)
        if self.latest is None or contribution.order_key > self.latest.order_key:
            self.latest = contribution

    def value(self) -> Fraction | None:
        latest = None if self.latest is None else self.latest.quantity
        return _value_of(self.aggregation, self.count, self.quantity, self.denominator, latest)


class IndicatorAccumulator:
    """Realisation kept up to date one contribution at a time, for incrementally materialised views.

    The result equals :func:`compute_realisation` over the same contributions in any order. A contribution
    id already seen is ignored, except that a redelivery marked verified upgrades the earlier copy.
    """

    def __init__(self, aggregation: Aggregation) -> None:
        self._aggregation = aggregation
        self._seen: dict[str, Contribution] = {}
        self._all = _Tally(aggregation)
        self._verified = _Tally(aggregation)

    @property
    def aggregation(self) -> Aggregation:
        """The aggregation this accumulator applies."""
        return self._aggregation

    def add(self, contribution: Contribution) -> bool:
        """Fold one contribution in; return whether it changed the realisation."""
        _check_shape(self._aggregation, contribution)
        seen = self._seen.get(contribution.id)
        if seen is None:
            self._seen[contribution.id] = contribution
            self._all.add(contribution)
            if contribution.verified:
                self._verified.add(contribution)
            return True
        merged = _merge(seen, contribution)
        if merged.verified and not seen.verified:
            self._seen[contribution.id] = merged
            self._verified.add(merged)
            return True
        return False

    def realisation(self) -> Realisation:
        """The realisation of everything added so far."""
        return Realisation(
            aggregation=self._aggregation,
            value=self._all.value(),
            verified_value=self._verified.value(),
            verified_share=_share(
                self._verified.weight, self._all.weight, self._verified.count, self._all.count
            ),
            contribution_count=self._all.count,
            verified_count=self._verified.count,
        )
