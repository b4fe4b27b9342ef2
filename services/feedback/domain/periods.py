"""Survey periods (periode survei) in the region's own time zone and period length.

A response given at 23:30 WIB on 31 March belongs to the first quarter in Medan (WIB) but a
response given at 00:30 WIT on 1 April belongs to the second quarter in Jayapura: the period is
decided by the local calendar day, never by UTC. Keys are the platform's period keys
(``shared.contracts.periods``: ``2026-Q1``, ``2026-S2``, ``2026-M07``), so an index lines up with the
ratings of that period; the year (``2026``) is read as the sum of the region's periods in it.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.feedback.domain.calendar import WIB, require_aware
from shared.contracts.periods import period_key_parts
from shared.refusals import Refusal


class PeriodKind(StrEnum):
    """Length of a region's period."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMESTER = "semester"

    @property
    def months(self) -> int:
        """Calendar months in one period."""
        return {"monthly": 1, "quarterly": 3, "semester": 6}[self.value]

    @property
    def prefix(self) -> str:
        """Letter of the period in its key."""
        return {"monthly": "M", "quarterly": "Q", "semester": "S"}[self.value]


DEFAULT_PERIOD_KIND: Final = PeriodKind.QUARTERLY


@dataclass(frozen=True)
class SurveyPeriod:
    """One period: its key and its first and last local day."""

    key: str
    first_day: date
    last_day: date

    @property
    def is_year(self) -> bool:
        """Whether this is a whole year (read as the sum of the region's periods in it)."""
        return self.key == f"{self.first_day.year:04d}"


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise Refusal(
            "feedback.invalid_configuration",
            "Unknown timezone '%(timezone)s'",
            field="timezone",
            params={"timezone": timezone},
        ) from error


def period_of_day(day: date, kind: PeriodKind) -> SurveyPeriod:
    """The period of the given kind containing a local calendar day."""
    index = (day.month - 1) // kind.months + 1
    width = 2 if kind is PeriodKind.MONTHLY else 1
    first_month = (index - 1) * kind.months + 1
    last_month = index * kind.months
    return SurveyPeriod(
        key=f"{day.year:04d}-{kind.prefix}{index:0{width}d}",
        first_day=date(day.year, first_month, 1),
        last_day=date(day.year, last_month, month_calendar.monthrange(day.year, last_month)[1]),
    )


def period_at(
    instant: datetime, *, timezone: str = WIB, kind: PeriodKind = DEFAULT_PERIOD_KIND
) -> SurveyPeriod:
    """The period an instant falls in, by the region's local calendar day."""
    require_aware(instant, "instant")
    return period_of_day(instant.astimezone(_zone(timezone)).date(), kind)


def parse_period(key: str) -> SurveyPeriod:
    """The period named by a key such as ``2026-Q3`` or ``2026``; refuses keys that name no period."""
    parts = period_key_parts(key)
    if parts is None:
        raise Refusal(
            "feedback.invalid_period",
            "Unknown period '%(key)s'; examples: 2026, 2026-S1, 2026-Q3, 2026-M07",
            field="period",
            params={"key": key},
        )
    if parts.letter is None or parts.number is None:
        return SurveyPeriod(key=key, first_day=date(parts.year, 1, 1), last_day=date(parts.year, 12, 31))
    kind = next(kind for kind in PeriodKind if kind.prefix == parts.letter)
    return period_of_day(date(parts.year, (parts.number - 1) * kind.months + 1, 1), kind)
