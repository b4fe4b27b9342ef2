"""What the scorecards, the dashboards and the other use cases read alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import String, Text, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.tables import (
    closed_periods,
    employee_scores,
    employees,
    region_settings,
    units,
)
from services.scoring.domain.distribution import DistributionReport, DistributionRules, check_distribution
from services.scoring.domain.periods import Period, PeriodKind
from services.scoring.domain.predicate import OrganisationPredicate, Predicate
from services.scoring.domain.rules import RuleBook, RuleSet
from services.scoring.service_layer.memo import Memo
from services.scoring.service_layer.rules import rule_set_for, rule_set_in
from services.scoring.service_layer.schemas import DistributionCheckRead, DistributionWarning
from services.scoring.service_layer.views import employee_assignment, employees_today
from services.scoring.service_layer.views.values import PLACES
from shared.i18n import phrase_message
from shared.refusals import Refusal, RefusalKind
from shared.region_reads import Reads

#: The only array type of the reads' statements, sent and received: asyncpg decodes text[] (and
#: oid[]) by itself, but any other array type (varchar[], date[]) makes each connection the pool
#: opens first ask the catalog how to decode it (a recursive query a new backend takes tens of
#: milliseconds to plan, in three round trips), which the read that met it waited for.
TEXT_ARRAY = ARRAY(Text)


def period_filter(column: Any, period: Period) -> ColumnElement[bool]:
    """Rows of a period; for a year, the rows of every period in it."""
    if period.kind is PeriodKind.YEAR:
        result: ColumnElement[bool] = column.like(f"{period.year:04d}%")
        return result
    equal: ColumnElement[bool] = column == period.key
    return equal


async def rater_of(
    session: AsyncSession, region_id: str, employee_id: str, fallback: str | None
) -> str | None:
    """The employee's rater: their supervisor in the team read model, else the rater on their plan."""
    supervisor = await session.scalar(
        employee_assignment(
            select(employees.c.supervisor_id).where(
                employees.c.region_id == region_id, employees.c.employee_id == employee_id
            )
        )
    )
    return supervisor or fallback


async def is_closed(session: AsyncSession, region_id: str, period: Period) -> bool:
    """Whether a period (or its year) is closed."""
    found = await session.scalar(
        select(closed_periods.c.period)
        .where(
            closed_periods.c.region_id == region_id,
            closed_periods.c.period.in_({period.key, f"{period.year:04d}"}),
        )
        .limit(1)
    )
    return found is not None


async def summary_row(
    session: AsyncSession, region_id: str, employee_id: str, period: str
) -> Row[Any] | None:
    """The employee-period view row."""
    return (
        await session.execute(
            select(employee_scores).where(
                employee_scores.c.region_id == region_id,
                employee_scores.c.employee_id == employee_id,
                employee_scores.c.period == period,
            )
        )
    ).first()


def current_predicate(row: Any) -> Predicate | None:
    """The predicate that counts live: the confirmed one, else the proposal (once behaviour is known)."""
    value = row.predicate or row.proposed_predicate
    return Predicate(value) if value else None


def mean_of(total: Decimal | None, count: int) -> Decimal | None:
    """The mean from an exact SQL sum and count, rounded half-even to the views' places.

    ``to_decimal`` rounds an exact fraction by dividing its numerator by its denominator as
    decimals, then to the places: dividing the sum by the count is the same quotient of the same
    number (a decimal division is correctly rounded), so the same mean, without two ``Fraction``s
    (13 µs against 1 µs a mean; a region dashboard takes ten).
    """
    if not count or total is None:
        return None
    return (total / count).quantize(_MEAN_QUANTUM)


#: ``to_decimal``'s places, as a quantum.
_MEAN_QUANTUM = Decimal(1).scaleb(-PLACES)


@cache
def _unit_statement() -> Any:
    """A unit, with its region's period kind (the dashboard's trend needs it: one round trip less)."""
    region_id = bindparam("region_id", type_=String)
    period_kind = (
        select(region_settings.c.period_kind)
        .where(region_settings.c.region_id == region_id)
        .scalar_subquery()
    )
    return select(units, period_kind.label("region_period_kind")).where(
        units.c.region_id == region_id,
        units.c.unit_id == bindparam("unit_id", type_=String),
    )


async def unit_row(session: Reads, region_id: str, unit_id: str) -> Row[Any] | None:
    """A unit of the region, with the region's period kind (None for a unit planning never named)."""
    return (await session.execute(_unit_statement(), {"region_id": region_id, "unit_id": unit_id})).first()


async def ensure_known_unit(session: Reads, region_id: str, unit_id: str) -> None:
    """404 for a unit this region does not have (another region's units are invisible, not empty)."""
    team = employees_today()
    known = await unit_row(session, region_id, unit_id) is not None or (
        await session.scalar(
            select(team.c.employee_id)
            .where(team.c.region_id == region_id, team.c.unit_id == unit_id)
            .limit(1)
        )
        is not None
    )
    if not known:
        raise Refusal(
            "unknown_unit", "No such unit in your region.", field="unit_id", kind=RefusalKind.NOT_FOUND
        )


async def distribution_check(
    session: AsyncSession,
    region_id: str,
    period: Period,
    organisation_predicate: str | None,
    rows: list[Row[Any]],
) -> DistributionCheckRead | None:
    """The live distribution check of a unit's predicates (None without an organisation predicate)."""
    predicates = [p for p in (current_predicate(row) for row in rows) if p is not None]
    return await distribution_of(session, region_id, period, organisation_predicate, predicates)


async def distribution_report(
    session: Reads,
    region_id: str,
    period: Period,
    organisation_predicate: str | None,
    predicates: list[Predicate] | Mapping[Predicate, int],
    rules_in_force: dict[str, RuleSet] | None = None,
    *,
    rule_book: RuleBook | None = None,
) -> DistributionReport | None:
    """The check's report (None without an organisation predicate); ``rules_in_force`` keeps the
    period's rule set across calls (a region's units), ``rule_book`` is the region's, read already
    (else it is read when the check needs it). The region's dashboard needs only its compliance."""
    organisation = _ORGANISATION_PREDICATES.get((organisation_predicate or "").upper())
    if organisation is None:
        return None
    known = rules_in_force if rules_in_force is not None else {}
    key = period.key
    if key not in known:
        known[key] = (
            rule_set_in(rule_book, region_id, period)
            if rule_book is not None
            else await rule_set_for(session, region_id, period)
        )
    return _checked(organisation, predicates, known[key].distribution)


#: Each organisation predicate by its value (a look-up, not an ``Enum`` call per unit).
_ORGANISATION_PREDICATES = {predicate.value: predicate for predicate in OrganisationPredicate}


def _checked(
    organisation: OrganisationPredicate,
    predicates: list[Predicate] | Mapping[Predicate, int],
    rules: DistributionRules,
) -> DistributionReport:
    """``check_distribution``, remembered by the predicates counted and the rules' identity.

    The check (its shares in ``Fraction``s) cost the region dashboard about a third of its use
    case, once per unit, on every read; a unit's counts change only with its summaries, and the
    rules are the same objects from read to read (the region's book is kept: ``rule_book_of``).
    Each report is kept with the rules it was checked against, so their id names them as long as
    it is remembered; the memory is emptied when full.
    """
    counts = predicates if isinstance(predicates, Counter) else Counter(predicates)
    key = (organisation, frozenset(counts.items()), id(rules))
    found = _CHECKED.get(key)
    if found is not None and found[0] is rules:
        return found[1]
    return _CHECKED.keep(key, (rules, check_distribution(organisation, counts, rules)))[1]


_CHECKS_KEPT = 4096
_CHECKED: Memo[
    tuple[OrganisationPredicate, frozenset[tuple[Predicate, int]], int],
    tuple[DistributionRules, DistributionReport],
] = Memo(_CHECKS_KEPT)


async def distribution_of(
    session: Reads,
    region_id: str,
    period: Period,
    organisation_predicate: str | None,
    predicates: list[Predicate] | Mapping[Predicate, int],
    *,
    rule_book: RuleBook | None = None,
) -> DistributionCheckRead | None:
    """The check as answers show it, its warnings in English and Indonesian (see ``distribution_report``)."""
    report = await distribution_report(
        session, region_id, period, organisation_predicate, predicates, rule_book=rule_book
    )
    return None if report is None else _shown_check(report)


@lru_cache(maxsize=_CHECKS_KEPT)
def _shown_check(report: DistributionReport) -> DistributionCheckRead:
    """The report as answers show it, made once a report (reports are frozen, so hashable, and
    remembered by ``_checked``): phrasing each warning in two languages cost a unit dashboard a
    tenth of its use case on every read. Never changed by its readers (answers only serialize it)."""
    return DistributionCheckRead(
        organisation_predicate=report.organisation_predicate.value,
        compliant=report.compliant,
        warnings=[
            DistributionWarning(
                message_en=phrase_message(result.explanation, "en"),
                message_id=phrase_message(result.explanation, "id"),
                actual_count=result.actual_count,
                required_count=result.required_count,
            )
            for result in report.violations
        ],
    )
