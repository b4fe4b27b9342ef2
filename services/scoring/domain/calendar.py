"""A region's assessment calendar: the period an instant falls in, and when a period is frozen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.scoring.domain.periods import Period, PeriodKind, period_of

#: The national default, used until a region's own settings arrive.
DEFAULT_TIMEZONE = "Asia/Jakarta"
DEFAULT_PERIOD_KIND = PeriodKind.QUARTERLY


@dataclass(frozen=True)
class Calendar:
    """A region's assessment calendar: its time zone and period kind."""

    timezone: str
    kind: PeriodKind

    def period_of(self, at: datetime) -> Period:
        """The region's period an instant falls in, by the region's own local date."""
        return _period_of_day(at.astimezone(_zone(self.timezone)).date(), self.kind)


DEFAULT_CALENDAR = Calendar(DEFAULT_TIMEZONE, DEFAULT_PERIOD_KIND)


# Every activity asks for its period: the zone and the period of each local day are looked up once.
@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def _period_of_day(day: date, kind: PeriodKind) -> Period:
    return period_of(day, kind)


def closures_freezing(key: str) -> tuple[str, str]:
    """The closures that freeze a period: its own and its year's (closing a year closes its periods)."""
    return key, key[:4]


def period_is_frozen(closures: Mapping[str, datetime], key: str, at: datetime) -> bool:
    """Whether a period was closed before ``at``: what happened then must not change its views.

    ``closures`` maps a closed period's key to the instant it was closed; it may hold only the
    closures ``closures_freezing(key)`` names (what a reader of one period loads).
    """
    if not closures:
        return False
    return any(closed is not None and closed <= at for closed in map(closures.get, closures_freezing(key)))
