"""Unit and region dashboards: predicates and their distribution check, citizens' signals, trend, ranking.

Both read the unit rollups (``unit_rollups``, kept by every summary refresh: service_layer/rollups.py)
rather than the unit's employee summaries: a unit-period is one row, its ranking already in order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import String, any_, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import (
    WHOLE_UNIT,
    complaint_breaches,
    employees,
    unit_rollups,
    unit_satisfaction,
    units,
)
from services.scoring.domain.calendar import DEFAULT_PERIOD_KIND
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key, periods_in_year
from services.scoring.domain.predicate import Predicate
from services.scoring.domain.rules import RuleSet
from services.scoring.service_layer.queries.common import (
    distribution_of,
    ensure_known_unit,
    mean_of,
    period_filter,
    unit_row,
)
from services.scoring.service_layer.schemas import (
    PredicateCount,
    RegionDashboardRead,
    SatisfactionRead,
    TrendPoint,
    UnitDashboardRead,
    UnitSummary,
)
from services.scoring.service_layer.views import calendar, employee_assignment
from shared.auth import Principal, Role, ensure_may_read_unit


def _predicate_counts(counts: Mapping[str, int]) -> list[PredicateCount]:
    return [
        PredicateCount(predicate=p.value, label_id=p.label_id, count=counts.get(p.value, 0))
        for p in Predicate
    ]


def _predicates(counts: Mapping[str, int]) -> list[Predicate]:
    """The live predicates a rollup counted, one per employee (what the distribution check takes)."""
    return [Predicate(value) for value, count in counts.items() for _ in range(count)]


@cache
def _unit_rollups_statement() -> Any:
    """A unit's rollups of the given periods; the ranking only of the dashboard's own period."""
    period = bindparam("period", type_=String)
    return select(
        unit_rollups.c.period,
        unit_rollups.c.employees,
        unit_rollups.c.measured,
        unit_rollups.c.achievement_sum,
        unit_rollups.c.decided,
        unit_rollups.c.predicate_counts,
        case((unit_rollups.c.period == period, unit_rollups.c.ranking)).label("ranking"),
    ).where(
        unit_rollups.c.region_id == bindparam("region_id", type_=String),
        unit_rollups.c.unit_id == bindparam("unit_id", type_=String),
        unit_rollups.c.period == any_(bindparam("keys", type_=ARRAY(String))),
    )


@cache
def _region_rollups_statement() -> Any:
    """Every unit's rollup of one period in a region (no rankings)."""
    return select(
        unit_rollups.c.unit_id,
        unit_rollups.c.employees,
        unit_rollups.c.measured,
        unit_rollups.c.achievement_sum,
        unit_rollups.c.predicate_counts,
    ).where(
        unit_rollups.c.region_id == bindparam("region_id", type_=String),
        unit_rollups.c.period == bindparam("period", type_=String),
    )


@cache
def _region_trend_statement() -> Any:
    """The region's employees, measured employees and exact achievement sum per period, over its units."""
    return (
        select(
            unit_rollups.c.period,
            func.sum(unit_rollups.c.employees).label("employees"),
            func.sum(unit_rollups.c.measured).label("measured"),
            func.sum(unit_rollups.c.achievement_sum).label("achievement_sum"),
        )
        .where(
            unit_rollups.c.region_id == bindparam("region_id", type_=String),
            unit_rollups.c.period == any_(bindparam("keys", type_=ARRAY(String))),
        )
        .group_by(unit_rollups.c.period)
    )


async def _breaches(session: AsyncSession, region_id: str, period: Period) -> dict[tuple[str, str], int]:
    """Complaint deadline breaches by (unit, stage)."""
    rows = (
        await session.execute(
            select(complaint_breaches.c.unit_id, complaint_breaches.c.stage, func.count())
            .where(
                complaint_breaches.c.region_id == region_id,
                period_filter(complaint_breaches.c.period, period),
            )
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


def _trend(keys: list[str], totals: Mapping[str, Any], breaches_by_period: Counter[str]) -> list[TrendPoint]:
    """Per period of the year: employees, mean achievement (from the rollups' exact sums), breaches."""
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


async def unit_dashboard(
    *, session: AsyncSession, principal: Principal, unit_id: str, period: str
) -> UnitDashboardRead:
    """A unit's dashboard: predicates and their distribution check, citizens' signals, trend, ranking.

    The unit's rollups of the period and of the year's periods (the trend) come in one statement
    through the rollups' primary key; breaches of the year by (period, stage) in another.
    """
    parsed = parse_period_key(period)
    region_id = principal.region
    unit = await unit_row(session, region_id, unit_id)
    if unit is None:
        await ensure_known_unit(session, region_id, unit_id)

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
    # The region's calendar came with the unit (as views.calendar reads it, default included).
    if unit is not None:
        kind = PeriodKind(unit.region_period_kind.upper()) if unit.region_period_kind else DEFAULT_PERIOD_KIND
    else:
        kind = (await calendar(session, region_id)).kind
    keys = [p.key for p in periods_in_year(parsed.year, kind)]
    rollups = {
        row.period: row
        for row in await session.execute(
            _unit_rollups_statement(),
            {"region_id": region_id, "unit_id": unit_id, "period": parsed.key, "keys": [*keys, parsed.key]},
        )
    }
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
    current = rollups.get(parsed.key)
    counts: Mapping[str, int] = current.predicate_counts if current else {}
    employee_count = current.employees if current else 0
    organisation_predicate = unit.organisation_predicate if unit else None
    # The ranking's entries also name each employee's rater (RankingEntry leaves that out).
    ranked: list[dict[str, Any]] = current.ranking if current else []
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        ranked = [entry for entry in ranked if entry["rater_id"] == principal.employee_id]
    return UnitDashboardRead.model_validate(
        {
            "unit_id": unit_id,
            "region_id": region_id,
            "period": parsed.key,
            "unit_name": unit.name if unit else None,
            "organisation_predicate": organisation_predicate,
            "employees": employee_count,
            "achievement_mean": mean_of(current.achievement_sum, current.measured) if current else None,
            "predicates": _predicate_counts(counts),
            "without_predicate": employee_count - sum(counts.values()),
            "decided": current.decided if current else 0,
            "distribution": await distribution_of(
                session, region_id, parsed, organisation_predicate, _predicates(counts)
            ),
            "satisfaction": [SatisfactionRead.model_validate(dict(row._mapping)) for row in satisfaction],
            "complaint_breaches": sum(breaches.values()),
            "complaint_breaches_by_stage": dict(sorted(breaches.items())),
            "trend": _trend(keys, rollups, breaches_by_period),
            "ranking": ranked,
        }
    )


async def region_dashboard(
    *, session: AsyncSession, principal: Principal, period: str
) -> RegionDashboardRead:
    """A region's dashboard: every unit's figures side by side, from the units' rollups."""
    parsed = parse_period_key(period)
    region_id = principal.region
    by_unit: dict[str, Row[Any]] = {
        row.unit_id: row
        for row in await session.execute(
            _region_rollups_statement(), {"region_id": region_id, "period": parsed.key}
        )
    }
    known_units = {
        row.unit_id: row
        for row in (await session.execute(select(units).where(units.c.region_id == region_id))).all()
    }
    breaches = await _breaches(session, region_id, parsed)
    # The unit's own index (service ""), over every response it received: a mean of its services'
    # indices would weigh a service answered twice like one answered two hundred times.
    indices: dict[str, Any] = {
        row.unit_id: row.satisfaction_index
        for row in await session.execute(
            select(unit_satisfaction.c.unit_id, unit_satisfaction.c.satisfaction_index).where(
                unit_satisfaction.c.region_id == region_id,
                unit_satisfaction.c.period == parsed.key,
                unit_satisfaction.c.service_id == WHOLE_UNIT,
            )
        )
    }
    summaries = []
    region_counts: Counter[str] = Counter()
    rules_in_force: dict[str, RuleSet] = {}  # read once, when the first unit needs it
    for unit_id in sorted(set(by_unit) | set(known_units) | {u for u, _ in breaches}):
        rollup = by_unit.get(unit_id)
        counts: Mapping[str, int] = rollup.predicate_counts if rollup else {}
        region_counts.update(counts)
        unit = known_units.get(unit_id)
        check = await distribution_of(
            session,
            region_id,
            parsed,
            unit.organisation_predicate if unit else None,
            _predicates(counts),
            rules_in_force,
        )
        summaries.append(
            UnitSummary(
                unit_id=unit_id,
                unit_name=unit.name if unit else None,
                employees=rollup.employees if rollup else 0,
                achievement_mean=mean_of(rollup.achievement_sum, rollup.measured) if rollup else None,
                distribution_compliant=check.compliant if check else None,
                complaint_breaches=sum(count for (u, _), count in breaches.items() if u == unit_id),
                satisfaction_index=indices.get(unit_id),
            )
        )
    measured = [rollup for rollup in by_unit.values() if rollup.measured]
    keys = [p.key for p in periods_in_year(parsed.year, (await calendar(session, region_id)).kind)]
    return RegionDashboardRead(
        region_id=region_id,
        period=parsed.key,
        employees=sum(rollup.employees for rollup in by_unit.values()),
        achievement_mean=mean_of(
            sum(rollup.achievement_sum for rollup in measured), sum(rollup.measured for rollup in measured)
        ),
        predicates=_predicate_counts(region_counts),
        units=summaries,
        trend=_trend(
            keys,
            {
                row.period: row
                for row in await session.execute(
                    _region_trend_statement(), {"region_id": region_id, "keys": keys}
                )
            },
            await _region_breaches_by_period(session, region_id, parsed.year),
        ),
    )


async def _region_breaches_by_period(session: AsyncSession, region_id: str, year: int) -> Counter[str]:
    """The region's complaint deadline breaches of a year, by period (the trend's)."""
    rows = await session.execute(
        select(complaint_breaches.c.period, func.count().label("breaches"))
        .where(
            complaint_breaches.c.region_id == region_id,
            period_filter(complaint_breaches.c.period, Period(year, PeriodKind.YEAR)),
        )
        .group_by(complaint_breaches.c.period)
    )
    return Counter({row.period: row.breaches for row in rows})
