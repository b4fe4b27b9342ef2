"""What every refresh in a region reads once per batch: its calendar, closed periods and rule book."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import closed_periods, region_settings
from services.scoring.domain.achievement import Indicator
from services.scoring.domain.calendar import DEFAULT_CALENDAR, Calendar, closures_freezing, period_is_frozen
from services.scoring.domain.periods import Period, PeriodKind
from services.scoring.domain.rules import RuleBook, RuleSet
from services.scoring.service_layer.rules import rule_book, rule_set_in
from services.scoring.service_layer.views.plans import cached_indicator

# Built once: every batch reads them for each of its regions.
_CALENDAR = select(region_settings.c.timezone, region_settings.c.period_kind).where(
    region_settings.c.region_id == bindparam("region_id")
)
_CLOSURES = select(closed_periods.c.period, closed_periods.c.closed_at).where(
    closed_periods.c.region_id == bindparam("region_id")
)


async def calendar(session: AsyncSession, region_id: str) -> Calendar:
    """The region's calendar, or the national default until the region's settings arrive."""
    row = (await session.execute(_CALENDAR, {"region_id": region_id})).first()
    if row is None:
        return DEFAULT_CALENDAR
    return Calendar(row.timezone, PeriodKind(row.period_kind.upper()))


async def closures(
    session: AsyncSession, region_id: str, keys: Iterable[str] | None = None
) -> dict[str, datetime]:
    """The region's closed periods (or those of ``keys``), each with the instant it was closed."""
    query = _CLOSURES if keys is None else _CLOSURES.where(closed_periods.c.period.in_(set(keys)))
    return {row.period: row.closed_at for row in await session.execute(query, {"region_id": region_id})}


async def is_frozen(session: AsyncSession, region_id: str, key: str, at: datetime) -> bool:
    """Whether a period (or its year) was closed before ``at``: its views must not change."""
    # Only the closures that can freeze the period are read; the rule is the domain's.
    return period_is_frozen(await closures(session, region_id, closures_freezing(key)), key, at)


@dataclass
class RegionFacts:
    """What every refresh in a region reads, loaded once per batch: calendar, closures, rule book."""

    region_id: str
    calendar: Calendar
    closures: dict[str, datetime]
    book: RuleBook

    def is_frozen(self, key: str, at: datetime) -> bool:
        """Whether a period (or its year) was closed before ``at``."""
        return period_is_frozen(self.closures, key, at)

    def indicator(self, row: Any, period: Period) -> Indicator:
        """The domain indicator of a plan indicator row for a period (``cached_indicator``)."""
        return cached_indicator(row, period)

    def rules(self, period: Period) -> RuleSet:
        """The rule set scoring a period."""
        return rule_set_in(self.book, self.region_id, period)


async def region_facts(session: AsyncSession, region_id: str) -> RegionFacts:
    """Load a region's calendar, closed periods and rule book."""
    return RegionFacts(
        region_id,
        await calendar(session, region_id),
        await closures(session, region_id),
        await rule_book(session, region_id),
    )
