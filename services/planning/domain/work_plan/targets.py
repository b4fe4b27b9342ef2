"""An indicator's annual target and how the year's periods split it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from services.planning.domain.indicators import Aggregation


class PeriodScheme(StrEnum):
    """How the year is split into periods (periode penilaian); the region chooses, quarterly by default."""

    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    SEMESTER = "semester"

    @property
    def keys(self) -> tuple[str, ...]:
        """Period keys in calendar order: Q1..Q4, M01..M12 or S1..S2."""
        if self is PeriodScheme.QUARTERLY:
            return ("Q1", "Q2", "Q3", "Q4")
        if self is PeriodScheme.MONTHLY:
            return tuple(f"M{month:02d}" for month in range(1, 13))
        return ("S1", "S2")


@dataclass(frozen=True, slots=True)
class Target:
    """Annual target of an indicator: a quantity with its unit, or a qualitative statement."""

    quantity: Decimal | None = None
    unit: str = ""
    statement: str = ""

    @classmethod
    def quantitative(cls, quantity: Decimal | int, unit: str) -> Target:
        """A numeric target such as 1,200 dokumen."""
        return cls(quantity=Decimal(quantity) if isinstance(quantity, int) else quantity, unit=unit)

    @classmethod
    def qualitative(cls, statement: str) -> Target:
        """A target stated in words, such as "laporan diterima tanpa revisi"."""
        return cls(statement=statement)

    @property
    def is_qualitative(self) -> bool:
        """True when the target is a statement rather than a quantity."""
        return self.quantity is None


@dataclass(frozen=True, slots=True)
class PeriodSplit:
    """Targets per period of the year (target per periode), keyed Q1..Q4, M01..M12 or S1..S2."""

    scheme: PeriodScheme
    targets: tuple[tuple[str, Decimal], ...]

    @classmethod
    def of(cls, scheme: PeriodScheme, targets: Mapping[str, Decimal | int]) -> PeriodSplit:
        """Build a split from a mapping of period key to target."""
        return cls(
            scheme,
            tuple(
                (key, Decimal(value) if isinstance(value, int) else value) for key, value in targets.items()
            ),
        )

    @classmethod
    def spread(cls, scheme: PeriodScheme, annual: Decimal, aggregation: Aggregation) -> PeriodSplit:
        """An even split: a SUM target divided (remainder in the last period), otherwise repeated."""
        keys = scheme.keys
        if aggregation is not Aggregation.SUM:
            return cls(scheme, tuple((key, annual) for key in keys))
        exponent = annual.as_tuple().exponent
        # Round down at the annual target's own precision so the last period never goes negative.
        quantum = Decimal(1).scaleb(min(exponent, 0) if isinstance(exponent, int) else 0)
        share = (annual / len(keys)).quantize(quantum, rounding=ROUND_FLOOR)
        last = annual - share * (len(keys) - 1)
        return cls(scheme, tuple((key, share if key != keys[-1] else last) for key in keys))

    def as_dict(self) -> dict[str, Decimal]:
        """Targets keyed by period."""
        return dict(self.targets)
