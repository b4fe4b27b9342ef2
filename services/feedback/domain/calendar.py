"""Working-day clock (hari kerja) of one region: weekends, public holidays and timezone.

Convention for deadlines counted in working days:

* Days are calendar days in the region's timezone (WIB Asia/Jakarta, WITA Asia/Makassar,
  WIT Asia/Jayapura), whatever timezone the instant was given in.
* The day the clock starts never counts, whatever time of day it is. The deadline is the
  end (23:59:59.999999 local) of the n-th working day after it. So a complaint received
  Monday 15:00 with 3 working days is due Thursday 23:59:59.999999.
* A start on a weekend or holiday therefore begins counting at the next working day, which
  is day 1: received Saturday with 1 working day -> due end of Monday (same as Friday).
* A deadline is breached only at an instant strictly after it.

Collective leave days (cuti bersama) are listed as holidays; the region's configuration owns
that list, so the domain never hard-codes a year's holidays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.refusals import Refusal

WIB: Final = "Asia/Jakarta"
WITA: Final = "Asia/Makassar"
WIT: Final = "Asia/Jayapura"

SATURDAY: Final = 5
SUNDAY: Final = 6
_ONE_DAY: Final = timedelta(days=1)


def require_aware(instant: datetime, field_name: str) -> None:
    """Refuse naive datetimes: a deadline is meaningless without a timezone."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise Refusal(
            "feedback.naive_datetime",
            "Time '%(field_name)s' must include a timezone",
            field=field_name,
            params={"field_name": field_name},
        )


@dataclass(frozen=True)
class WorkingCalendar:
    """A region's working days: timezone key, weekend weekdays (Monday = 0) and holiday dates."""

    timezone: str = WIB
    weekend_days: frozenset[int] = frozenset({SATURDAY, SUNDAY})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise Refusal(
                "feedback.invalid_configuration",
                "Unknown timezone '%(timezone)s'",
                field="timezone",
                params={"timezone": self.timezone},
            ) from error
        if not self.weekend_days <= set(range(7)):
            raise Refusal(
                "feedback.invalid_configuration",
                "Weekend days must be 0 (Monday) to 6 (Sunday)",
                field="weekend_days",
            )
        # With no working weekday, every deadline search would loop forever.
        if len(self.weekend_days) == 7:
            raise Refusal(
                "feedback.invalid_configuration",
                "At least one day of the week must be a working day",
                field="weekend_days",
            )

    @property
    def zone(self) -> ZoneInfo:
        """The region's timezone (ZoneInfo caches instances, so this is cheap)."""
        return ZoneInfo(self.timezone)

    def local_date(self, instant: datetime) -> date:
        """Calendar day of an instant in the region's timezone."""
        require_aware(instant, "instant")
        return instant.astimezone(self.zone).date()

    def end_of_day(self, day: date) -> datetime:
        """Last representable instant of a local day."""
        return datetime.combine(day, time.max, tzinfo=self.zone)

    def is_working_day(self, day: date) -> bool:
        """True unless the day is a weekend day or a public holiday in this region."""
        return day.weekday() not in self.weekend_days and day not in self.holidays

    def _working_days_after(self, day: date) -> Iterator[date]:
        current = day
        while True:
            current += _ONE_DAY
            if self.is_working_day(current):
                yield current

    def add_working_days(self, start: datetime, working_days: int) -> datetime:
        """Deadline: end of the n-th working day after the start's local day (0 = end of that day)."""
        require_aware(start, "start")
        if working_days < 0:
            raise Refusal(
                "feedback.invalid_value", "Number of working days must not be negative", field="working_days"
            )
        day = self.local_date(start)
        days = self._working_days_after(day)
        for _ in range(working_days):
            day = next(days)
        return self.end_of_day(day)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days d with start's day < d <= end's day (negative when end is earlier)."""
        first, last = self.local_date(start), self.local_date(end)
        if last < first:
            return -self.working_days_between(end, start)
        count = 0
        day = first + _ONE_DAY
        while day <= last:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count
