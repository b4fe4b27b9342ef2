"""Assessment periods (periode penilaian): months, quarters, semesters and the year."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

from shared.contracts.periods import period_key_parts
from shared.labels import LabelledEnum
from shared.refusals import Refusal


class PeriodKind(LabelledEnum):
    """Length of an assessment period; a region picks one besides the year."""

    MONTHLY = "MONTHLY", "Bulanan", "Monthly"
    QUARTERLY = "QUARTERLY", "Triwulanan", "Quarterly"
    SEMESTER = "SEMESTER", "Semesteran", "Semester"
    YEAR = "YEAR", "Tahunan", "Year"

    @property
    def months(self) -> int:
        """Number of calendar months in one period of this kind."""
        return _MONTHS[self]

    @property
    def per_year(self) -> int:
        """Number of periods of this kind in a year."""
        return 12 // self.months


_MONTHS: dict[PeriodKind, int] = {
    PeriodKind.MONTHLY: 1,
    PeriodKind.QUARTERLY: 3,
    PeriodKind.SEMESTER: 6,
    PeriodKind.YEAR: 12,
}
_KEY_PREFIX: dict[PeriodKind, str] = {
    PeriodKind.MONTHLY: "M",
    PeriodKind.QUARTERLY: "Q",
    PeriodKind.SEMESTER: "S",
}


@dataclass(frozen=True, order=True)
class Period:
    """One assessment period, e.g. the third quarter of 2026 (key ``2026-Q3``)."""

    year: int
    kind: PeriodKind
    index: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.kind.per_year:
            raise ValueError(f"{self.kind} period index {self.index} is outside 1..{self.kind.per_year}")
        if not date.min.year <= self.year <= date.max.year:
            raise ValueError(f"year {self.year} is out of range")

    # Every view row a batch refreshes asks for its period's key and looks its period up (its rule
    # set): the key is spelt once, and the period hashed as its key (one period a key), whose hash
    # the string keeps, rather than as a tuple of its fields, the kind an enum hashed in Python.
    @cached_property
    def key(self) -> str:
        """Stable text key: ``2026``, ``2026-S2``, ``2026-Q3`` or ``2026-M07``."""
        if self.kind is PeriodKind.YEAR:
            return f"{self.year:04d}"
        width = 2 if self.kind is PeriodKind.MONTHLY else 1
        return f"{self.year:04d}-{_KEY_PREFIX[self.kind]}{self.index:0{width}d}"

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def start(self) -> date:
        """First day of the period."""
        return date(self.year, (self.index - 1) * self.kind.months + 1, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        last_month = self.index * self.kind.months
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside the period."""
        return self.start <= day <= self.end

    def next(self) -> Period:
        """The period of the same kind that follows this one."""
        if self.index < self.kind.per_year:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)

    def year_period(self) -> Period:
        """The year this period belongs to."""
        return Period(self.year, PeriodKind.YEAR)

    def __str__(self) -> str:
        return self.key


def period_of(day: date, kind: PeriodKind) -> Period:
    """The period of the given kind that contains ``day``."""
    return Period(day.year, kind, (day.month - 1) // kind.months + 1)


def period_key(day: date, kind: PeriodKind) -> str:
    """Key of the period of the given kind that contains ``day``."""
    return period_of(day, kind).key


# Every view row a batch refreshes parses its key again, and a region has few keys: a period is
# immutable, so the same object serves them all (a key that is no period raises, uncached).
@lru_cache(maxsize=4096)
def parse_period_key(key: str) -> Period:
    """Parse a period key (the platform's one spelling, as :attr:`Period.key` writes it) into a period."""
    parts = period_key_parts(key)
    if parts is None:
        raise Refusal(
            "invalid_period",
            "Not a period: not a period key: %(key)s.",
            field="period",
            params={"key": repr(key)},
        )
    if parts.letter is None or parts.number is None:
        return Period(parts.year, PeriodKind.YEAR)
    kind = next(k for k, p in _KEY_PREFIX.items() if p == parts.letter)
    return Period(parts.year, kind, parts.number)


def periods_in_year(year: int, kind: PeriodKind) -> tuple[Period, ...]:
    """All periods of the given kind in a year, in order."""
    return tuple(Period(year, kind, index) for index in range(1, kind.per_year + 1))
