"""Unit and region dashboards: predicates and their distribution check, citizens' signals, trend, ranking."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.tables import (
    WHOLE_UNIT,
    complaint_breaches,
    employee_scores,
    employees,
    unit_satisfaction,
    units,
)
from services.scoring.domain.calendar import DEFAULT_PERIOD_KIND
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key, periods_in_year
from services.scoring.domain.predicate import Predicate
from services.scoring.domain.rules import RuleSet
from services.scoring.service_layer.queries.common import (
    current_predicate,
    distribution_of,
    ensure_known_unit,
    mean,
    mean_of,
    period_filter,
    unit_row,
)
from services.scoring.service_layer.schemas import (
    PredicateCount,
    RankingEntry,
    RegionDashboardRead,
    SatisfactionRead,
    TrendPoint,
    UnitDashboardRead,
    UnitSummary,
)
from services.scoring.service_layer.views import calendar, employee_assignment
from shared.auth import Principal, Role, ensure_may_read_unit


def _predicate_counts(predicates: list[Predicate]) -> list[PredicateCount]:
    counts = Counter(predicates)
    return [PredicateCount(predicate=p.value, label_id=p.label_id, count=counts[p]) for p in Predicate]


#: What the dashboards read of each employee summary: not the JSON explanations, which cost more to
#: decode than everything else in a dashboard.
_DASHBOARD_COLUMNS: tuple[ColumnElement[Any], ...] = (
    employee_scores.c.employee_id,
    employee_scores.c.unit_id,
    employee_scores.c.job_type,
    employee_scores.c.rater_id,
    employee_scores.c.achievement,
    employee_scores.c.predicate,
    employee_scores.c.proposed_predicate,
)


@cache
def _scores_statement(by_unit: bool) -> Any:
    conditions = [
        employee_scores.c.region_id == bindparam("region_id", type_=String),
        employee_scores.c.period == bindparam("period", type_=String),
    ]
    if by_unit:
        conditions.append(employee_scores.c.unit_id == bindparam("unit_id", type_=String))
    return select(*_DASHBOARD_COLUMNS).where(*conditions)


async def _scores(
    session: AsyncSession, region_id: str, period: str, unit_id: str | None = None
) -> list[Row[Any]]:
    parameters = {"region_id": region_id, "period": period}
    if unit_id is not None:
        parameters["unit_id"] = unit_id
    return list((await session.execute(_scores_statement(unit_id is not None), parameters)).all())


async def _breaches(
    session: AsyncSession, region_id: str, period: Period, unit_id: str | None = None
) -> dict[tuple[str, str], int]:
    """Complaint deadline breaches by (unit, stage)."""
    conditions = [
        complaint_breaches.c.region_id == region_id,
        period_filter(complaint_breaches.c.period, period),
    ]
    if unit_id is not None:
        conditions.append(complaint_breaches.c.unit_id == unit_id)
    rows = (
        await session.execute(
            select(complaint_breaches.c.unit_id, complaint_breaches.c.stage, func.count())
            .where(*conditions)
            .group_by(complaint_breaches.c.unit_id, complaint_breaches.c.stage)
        )
    ).all()
    return {(row[0], row[1]): row[2] for row in rows}


@cache
def _unit_breaches_statement() -> Any:
    return (
        select(complaint_breaches.c.period, complaint_breaches.c.stage, func.count())
        .where(
            complaint_breaches.c.region_id == bindparam("region_id", type_=String),
            complaint_breaches.c.unit_id == bindparam("unit_id", type_=String),
            complaint_breaches.c.period.like(bindparam("pattern", type_=String)),
        )
        .group_by(complaint_breaches.c.period, complaint_breaches.c.stage)
    )


async def _unit_breaches_in_year(
    session: AsyncSession, region_id: str, year: int, unit_id: str
) -> dict[tuple[str, str], int]:
    """A unit's complaint deadline breaches of a year by (period, stage): the dashboard and its trend."""
    parameters = {"region_id": region_id, "unit_id": unit_id, "pattern": f"{year:04d}%"}
    rows = (await session.execute(_unit_breaches_statement(), parameters)).all()
    return {(row[0], row[1]): row[2] for row in rows}


@cache
def _unit_satisfaction_statement() -> Any:
    return select(unit_satisfaction).where(
        unit_satisfaction.c.region_id == bindparam("region_id", type_=String),
        unit_satisfaction.c.unit_id == bindparam("unit_id", type_=String),
        unit_satisfaction.c.period == bindparam("period", type_=String),
    )


@cache
def _trend_statement(by_unit: bool) -> Any:
    """Employees, measured employees and the exact achievement sum per period of a year."""
    conditions = [
        employee_scores.c.region_id == bindparam("region_id", type_=String),
        employee_scores.c.period == any_(bindparam("keys", type_=ARRAY(String))),
    ]
    if by_unit:
        conditions.append(employee_scores.c.unit_id == bindparam("unit_id", type_=String))
    return (
        select(
            employee_scores.c.period,
            func.count().label("employees"),
            func.count(employee_scores.c.achievement).label("measured"),
            func.sum(employee_scores.c.achievement).label("achievement_sum"),
        )
        .where(*conditions)
        .group_by(employee_scores.c.period)
    )


async def _trend(
    session: AsyncSession,
    region_id: str,
    period: Period,
    unit_id: str | None,
    breaches_by_period: Counter[str] | None = None,
    kind: PeriodKind | None = None,
) -> list[TrendPoint]:
    """Per period of the year: employees, mean achievement (summed and counted by the database)."""
    kind = kind or (await calendar(session, region_id)).kind
    keys = [p.key for p in periods_in_year(period.year, kind)]
    parameters: dict[str, Any] = {"region_id": region_id, "keys": keys}
    if unit_id is not None:
        parameters["unit_id"] = unit_id
    totals = {
        row.period: row
        for row in (await session.execute(_trend_statement(unit_id is not None), parameters)).all()
    }
    if breaches_by_period is None:
        breaches_by_period = Counter()
        year = Period(period.year, PeriodKind.YEAR)
        conditions_b = [
            complaint_breaches.c.region_id == region_id,
            period_filter(complaint_breaches.c.period, year),
        ]
        if unit_id is not None:
            conditions_b.append(complaint_breaches.c.unit_id == unit_id)
        for key, count in (
            await session.execute(
                select(complaint_breaches.c.period, func.count())
                .where(*conditions_b)
                .group_by(complaint_breaches.c.period)
            )
        ).all():
            breaches_by_period[key] += count
    points = []
    for key in keys:
        total = totals.get(key)
        points.append(
            TrendPoint(
                period=key,
                employees=total.employees if total else 0,
                achievement_mean=mean_of(total.achievement_sum, total.measured) if total else None,
                complaint_breaches=breaches_by_period[key],
            )
        )
    return points


def ranking(rows: list[Row[Any]], period: str) -> list[RankingEntry]:
    """Employees best first: predicate, then achievement (the rewards module's order)."""
    predicates = [current_predicate(row) for row in rows]
    return [RankingEntry.model_validate(entry) for entry in _ranking(rows, predicates)]


def _ranking(rows: list[Row[Any]], predicates: list[Predicate | None]) -> list[dict[str, Any]]:
    """The ranking's entries as plain dicts: validated with the whole response, in one call."""

    def key(item: tuple[Row[Any], Predicate | None]) -> tuple[int, bool, Decimal, str]:
        # domain.rewards.ranking_key on the stored decimals: the same order without a Fraction per row.
        row, predicate = item
        achievement = row.achievement
        return (
            -(predicate or Predicate.SANGAT_KURANG).rank,
            achievement is None,
            -(achievement or Decimal(0)),
            row.employee_id,
        )

    ranked = sorted(zip(rows, predicates, strict=True), key=key)
    return [
        {
            "rank": position,
            "employee_id": row.employee_id,
            "job_type": row.job_type,
            "predicate": predicate.value if predicate else None,
            "achievement": row.achievement,
        }
        for position, (row, predicate) in enumerate(ranked, start=1)
    ]


async def unit_dashboard(
    *, session: AsyncSession, principal: Principal, unit_id: str, period: str
) -> UnitDashboardRead:
    """A unit's dashboard: predicates and their distribution check, citizens' signals, trend, ranking.

    Every statement is driven by an index on (region, unit, period); the unit's rows are read once,
    narrow, and counted in one pass; the trend is summed by the database.
    """
    parsed = parse_period_key(period)
    region_id = principal.region
    unit = await unit_row(session, region_id, unit_id)
    if unit is None:
        await ensure_known_unit(session, region_id, unit_id)
    rows = await _scores(session, region_id, parsed.key, unit_id)

    async def unit_of(employee_id: str) -> str | None:
        found: str | None = await session.scalar(
            employee_assignment(
                select(employees.c.unit_id).where(
                    employees.c.region_id == region_id, employees.c.employee_id == employee_id
                )
            )
        )
        return found

    # A rater sees the dashboard of their own unit (and only their own team by name, below).
    await ensure_may_read_unit(principal, unit_id, unit_of=unit_of)
    satisfaction = (
        await session.execute(
            _unit_satisfaction_statement(),
            {"region_id": region_id, "unit_id": unit_id, "period": parsed.key},
        )
    ).all()
    year_breaches = await _unit_breaches_in_year(session, region_id, parsed.year, unit_id)
    breaches: Counter[str] = Counter()
    breaches_by_period: Counter[str] = Counter()
    for (key, stage), count in year_breaches.items():
        breaches_by_period[key] += count
        if parsed.kind is PeriodKind.YEAR or key == parsed.key:
            breaches[stage] += count
    current = [current_predicate(row) for row in rows]
    predicates = [p for p in current if p is not None]
    organisation_predicate = unit.organisation_predicate if unit else None
    # The region's calendar came with the unit (as views.calendar reads it, default included).
    kind = None
    if unit is not None:
        kind = PeriodKind(unit.region_period_kind.upper()) if unit.region_period_kind else DEFAULT_PERIOD_KIND
    ranked = _ranking(rows, current)
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        team = {row.employee_id for row in rows if row.rater_id == principal.employee_id}
        ranked = [entry for entry in ranked if entry["employee_id"] in team]
    return UnitDashboardRead.model_validate(
        {
            "unit_id": unit_id,
            "region_id": region_id,
            "period": parsed.key,
            "unit_name": unit.name if unit else None,
            "organisation_predicate": organisation_predicate,
            "employees": len(rows),
            "achievement_mean": mean([row.achievement for row in rows if row.achievement is not None]),
            "predicates": _predicate_counts(predicates),
            "without_predicate": len(rows) - len(predicates),
            "decided": sum(1 for row in rows if row.predicate),
            "distribution": await distribution_of(
                session, region_id, parsed, organisation_predicate, predicates
            ),
            "satisfaction": [SatisfactionRead.model_validate(dict(row._mapping)) for row in satisfaction],
            "complaint_breaches": sum(breaches.values()),
            "complaint_breaches_by_stage": dict(sorted(breaches.items())),
            "trend": await _trend(session, region_id, parsed, unit_id, breaches_by_period, kind),
            "ranking": ranked,
        }
    )


async def region_dashboard(
    *, session: AsyncSession, principal: Principal, period: str
) -> RegionDashboardRead:
    """A region's dashboard: every unit's figures side by side."""
    parsed = parse_period_key(period)
    region_id = principal.region
    rows = await _scores(session, region_id, parsed.key)
    known_units = {
        row.unit_id: row
        for row in (await session.execute(select(units).where(units.c.region_id == region_id))).all()
    }
    by_unit: dict[str, list[Row[Any]]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    breaches = await _breaches(session, region_id, parsed)
    # The unit's own index (service ""), over every response it received: a mean of its services'
    # indices would weigh a service answered twice like one answered two hundred times.
    indices = dict(
        (
            await session.execute(
                select(unit_satisfaction.c.unit_id, unit_satisfaction.c.satisfaction_index).where(
                    unit_satisfaction.c.region_id == region_id,
                    unit_satisfaction.c.period == parsed.key,
                    unit_satisfaction.c.service_id == WHOLE_UNIT,
                )
            )
        )
        .tuples()
        .all()
    )
    summaries = []
    rules_in_force: dict[str, RuleSet] = {}  # read once, when the first unit needs it
    for unit_id in sorted(set(by_unit) | set(known_units) | {u for u, _ in breaches}):
        members = by_unit.get(unit_id, [])
        unit = known_units.get(unit_id)
        check = await distribution_of(
            session,
            region_id,
            parsed,
            unit.organisation_predicate if unit else None,
            [p for p in (current_predicate(row) for row in members) if p is not None],
            rules_in_force,
        )
        summaries.append(
            UnitSummary(
                unit_id=unit_id,
                unit_name=unit.name if unit else None,
                employees=len(members),
                achievement_mean=mean([row.achievement for row in members if row.achievement is not None]),
                distribution_compliant=check.compliant if check else None,
                complaint_breaches=sum(count for (u, _), count in breaches.items() if u == unit_id),
                satisfaction_index=indices.get(unit_id),
            )
        )
    predicates = [p for p in (current_predicate(row) for row in rows) if p is not None]
    return RegionDashboardRead(
        region_id=region_id,
        period=parsed.key,
        employees=len(rows),
        achievement_mean=mean([row.achievement for row in rows if row.achievement is not None]),
        predicates=_predicate_counts(predicates),
        units=summaries,
        trend=await _trend(session, region_id, parsed, None),
    )
