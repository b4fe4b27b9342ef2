"""Plans as the refreshes read them: which plan is in force, its indicators and their targets."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.sql_arrays import keys_table, per_key
from services.scoring.adapters.tables import plan_indicators, plans
from services.scoring.domain.achievement import (
    Aggregation,
    Aspect,
    Direction,
    Indicator,
    NumericTarget,
    QualitativeTarget,
    Target,
)
from services.scoring.domain.performance import PlannedResult, ResultKind
from services.scoring.domain.periods import Period
from services.scoring.domain.targets import period_target
from services.scoring.service_layer.memo import Memo
from services.scoring.service_layer.views.values import to_fraction

#: Plan indicator rows of the plans in force, by (employee, year), in plan order.
PlannedIndicators = dict[tuple[str, int], list[Any]]


async def mark_plans_in_force(
    session: AsyncSession, region_id: str, employee_years: Iterable[tuple[str, int]]
) -> None:
    """Mark each employee-year's plan in force: the highest approved version not superseded.

    One statement for a batch's changed plans (a replay applies thousands of plan events a batch;
    a statement each was a quarter of its round trips to PostgreSQL before the activity).
    """
    keys = sorted(set(employee_years))
    if keys:
        await session.execute(
            _MARK_PLANS_IN_FORCE,
            {
                "r": region_id,
                "e": [employee_id for employee_id, _ in keys],
                "y": [year for _, year in keys],
            },
        )


def _mark_plans_in_force_statement() -> Any:
    # Built once; the chosen plan of each concerned employee-year is in force, the others are not,
    # and none is when no plan qualifies. Its parameters are not named as plans' columns (an
    # update reserves those names).
    other = plans.alias("candidate")  # correlated to the updated row's employee-year
    chosen = (
        select(other.c.plan_id)
        .where(
            other.c.region_id == plans.c.region_id,
            other.c.employee_id == plans.c.employee_id,
            other.c.year == plans.c.year,
            other.c.approved.is_(True),
            other.c.superseded.is_(False),
        )
        .order_by(other.c.version.desc().nulls_last(), other.c.plan_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    keys, mine = keys_table("k", {"e": String(), "y": Integer()}), plans.alias("mine")
    concerned = per_key(
        keys,
        select(mine.c.plan_id).where(
            mine.c.region_id == bindparam("r"),
            mine.c.employee_id == keys.c.e,
            mine.c.year == keys.c.y,
        ),
        "p",
    )
    return (
        update(plans)
        # The concerned plans by their primary key (an index look-up each, whatever the statistics).
        .where(
            plans.c.region_id == bindparam("r"),
            plans.c.plan_id == any_(func.array(concerned.scalar_subquery())),
        )
        .values(in_force=func.coalesce(plans.c.plan_id == chosen, False))
    )


_MARK_PLANS_IN_FORCE = _mark_plans_in_force_statement()


def indicator_of(row: Any, period: Period) -> Indicator:
    """The domain indicator of a stored plan indicator, with its target for the period."""
    aggregation = Aggregation(row.aggregation.upper())
    split = {key: Fraction(str(value)) for key, value in row.period_targets.items()}
    value = period_target(aggregation, to_fraction(row.target), split, period)
    target: Target = (
        NumericTarget(value, row.unit_of_measure)
        if value is not None
        else QualitativeTarget(row.qualitative_target or row.name)
    )
    return Indicator(
        id=row.indicator_id,
        template_code=row.code or row.indicator_id,
        aspect=Aspect(row.aspect.upper()),
        direction=Direction(row.direction.upper()),
        aggregation=aggregation,
        target=target,
        name=row.name,
    )


def cached_indicator(row: Any, period: Period) -> Indicator:
    """``indicator_of``, remembered by the plan indicator and period and kept only while the row is
    equal to the one it was made of (so never stale)."""
    # Every batch turns the same plan rows into domain indicators again. Building a key of the
    # row's content (a tuple of its targets among it) cost more than comparing the row with the
    # one remembered; the cache is shared by the whole process, and emptied when full.
    # The row's values are compared as a plain tuple: a row's own ``==`` (each batch reads its
    # plan rows anew) is Python code, about three times the tuple's conversion and comparison.
    key = (row.region_id, row.plan_id, row.indicator_id, period.key)
    found = _INDICATORS.get(key)
    if found is not None and found[0] == tuple(row):
        return found[1]
    return _INDICATORS.keep(key, (tuple(row), indicator_of(row, period)))[1]


#: Domain indicators of plan indicator rows for a period, by (region, plan, indicator, period key),
#: with the values of the row each was made of.
_INDICATORS: Memo[tuple[str, str, str, str], tuple[tuple[Any, ...], Indicator]] = Memo(200_000)


def _plan_indicators_in_force_statement() -> Any:
    employee_keys = keys_table("k", {"employee_id": String()})
    in_force = (
        select(plans.c.plan_id)
        .where(
            plans.c.region_id == bindparam("region_id"),
            plans.c.employee_id == employee_keys.c.employee_id,
            plans.c.in_force.is_(True),
        )
        .offset(0)
        .lateral("p")
    )
    indicators = (
        select(plan_indicators)
        .where(
            plan_indicators.c.region_id == bindparam("region_id"),
            plan_indicators.c.plan_id == in_force.c.plan_id,
        )
        .offset(0)
        .lateral("i")
    )
    return (
        select(indicators)
        .select_from(employee_keys)
        .join(in_force, true())
        .join(indicators, true())
        .order_by(indicators.c.plan_id, indicators.c.position)
    )


#: Built once (see ``sql_arrays``).
_PLAN_INDICATORS_IN_FORCE = _plan_indicators_in_force_statement()


async def plan_indicators_in_force(
    session: AsyncSession, region_id: str, employee_ids: Iterable[str]
) -> PlannedIndicators:
    """The indicators of each employee's plans in force, by (employee, year), in plan order."""
    rows = await session.execute(
        _PLAN_INDICATORS_IN_FORCE, {"region_id": region_id, "employee_id": sorted(set(employee_ids))}
    )
    grouped: PlannedIndicators = {}
    for row in rows:
        grouped.setdefault((row.employee_id, row.year), []).append(row)
    return grouped


def plan_structure(
    rows: Iterable[Any], period: Period, indicator: Callable[[Any, Period], Indicator] = indicator_of
) -> tuple[PlannedResult, ...]:
    """The planned results (RHK) of a plan, in plan order, with their indicators for the period."""
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.result_id, []).append(row)
    return tuple(
        PlannedResult(
            id=result_id,
            kind=ResultKind(members[0].result_kind.upper()),
            indicators=tuple(indicator(row, period) for row in members),
            title=members[0].result_text,
        )
        for result_id, members in grouped.items()
    )


def cached_plan_structure(rows: Iterable[Any], period: Period) -> tuple[PlannedResult, ...]:
    """``plan_structure`` of one plan's rows with ``cached_indicator``, remembered by the plan and the
    period and kept only while its rows are equal to those it was made of (so never stale)."""
    # Every summary refresh turns its plan's rows into the planned results again; comparing the
    # rows with those remembered is cheaper than looking up each indicator by its content.
    # The rows' values are compared as plain tuples (see ``cached_indicator``).
    made_of = tuple(rows)
    if not made_of:
        return ()
    key = (made_of[0].region_id, made_of[0].plan_id, period.key)
    values = tuple(map(tuple, made_of))
    found = _STRUCTURES.get(key)
    if found is not None and found[0] == values:
        return found[1]
    return _STRUCTURES.keep(key, (values, plan_structure(made_of, period, cached_indicator)))[1]


#: Planned results of a plan for a period, by (region, plan, period key), with the values of the rows
#: they came from.
#: Each entry holds its plan's indicator rows as well: at 50,000 (the first bound) a region of
#: 100,000 employees could keep hundreds of MB in the consumer. The plans being reported on now
#: (what a live batch refreshes again and again) fit in a few thousand.
_STRUCTURES: Memo[tuple[str, str, str], tuple[tuple[Any, ...], tuple[PlannedResult, ...]]] = Memo(4_096)
