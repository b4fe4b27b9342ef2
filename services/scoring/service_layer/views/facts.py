"""What every refresh in a region reads once per batch: its calendar, closed periods and rule book
(and the plans in force as the batch's refreshes make them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import closed_periods, region_settings, rule_sets
from services.scoring.domain.calendar import DEFAULT_CALENDAR, Calendar, closures_freezing, period_is_frozen
from services.scoring.domain.periods import Period, PeriodKind
from services.scoring.domain.rules import RuleBook, RuleSet
from services.scoring.service_layer.rules import rule_set_from_settings, rule_set_in
from services.scoring.service_layer.views.plans import BatchPlans

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
    #: The plans in force as the batch's refreshes make them into planned results and indicators.
    plans: BatchPlans = field(default_factory=BatchPlans, repr=False, compare=False)
    #: The rule set of each period asked for (every row of a batch asks for its period's).
    _rule_sets: dict[str, RuleSet] = field(default_factory=dict, repr=False, compare=False)

    def is_frozen(self, key: str, at: datetime) -> bool:
        """Whether a period (or its year) was closed before ``at``."""
        return period_is_frozen(self.closures, key, at)

    def rules(self, period: Period) -> RuleSet:
        """The rule set scoring a period."""
        # By the period's key (a string, its hash kept), not the period (a dataclass hashed anew).
        found = self._rule_sets.get(period.key)
        if found is None:
            found = self._rule_sets[period.key] = rule_set_in(self.book, self.region_id, period)
        return found


async def region_facts(session: AsyncSession, region_id: str) -> RegionFacts:
    """Load a region's calendar, closed periods and rule book (one statement)."""
    row = (await session.execute(_REGION_FACTS, {"region_id": region_id})).one()
    return RegionFacts(
        region_id,
        DEFAULT_CALENDAR
        if row.timezone is None
        else Calendar(row.timezone, PeriodKind(row.period_kind.upper())),
        dict(zip(row.closed or (), row.closed_at or (), strict=True)),
        cached_rule_book(region_id, tuple(zip(row.rules_from or (), row.rules or (), strict=True))),
    )


def _region_facts_statement() -> Any:
    region_id: Any = bindparam("region_id")
    settings, closed, rules = region_settings.c, closed_periods.c, rule_sets.c

    def each(value: Any, table: Any, order: Any) -> Any:
        # The region's rows of a table as one array, in ``order``.
        ordered = func.array_agg(aggregate_order_by(value, order))
        return select(ordered).where(table.c.region_id == region_id).scalar_subquery()

    def setting(value: Any) -> Any:
        return select(value).where(settings.region_id == region_id).scalar_subquery()

    return select(
        setting(settings.timezone).label("timezone"),
        setting(settings.period_kind).label("period_kind"),
        each(closed.period, closed_periods, closed.period).label("closed"),
        each(closed.closed_at, closed_periods, closed.period).label("closed_at"),
        each(rules.effective_from, rule_sets, rules.effective_from).label("rules_from"),
        # As text: the rule book made of the same texts is reused, so they are not even decoded.
        each(cast(rules.settings, Text()), rule_sets, rules.effective_from).label("rules"),
    )


#: The calendar, closures and rule sets in one statement (each batch reads them for each region).
_REGION_FACTS = _region_facts_statement()


def cached_rule_book(region_id: str, made_of: tuple[tuple[date, str], ...]) -> RuleBook:
    """The region's rule book from its rule sets (each date with its settings' text), remembered
    while they are the same (the latest book a region, so bounded by the regions)."""
    found = _BOOKS.get(region_id)
    if found is not None and found[0] == made_of:
        return found[1]
    book = RuleBook(
        {region_id: [rule_set_from_settings(start, orjson.loads(text)) for start, text in made_of]}
    )
    _BOOKS[region_id] = (made_of, book)
    return book


#: Each region's latest rule book, with the rule sets it was made of.
_BOOKS: dict[str, tuple[tuple[tuple[date, str], ...], RuleBook]] = {}
