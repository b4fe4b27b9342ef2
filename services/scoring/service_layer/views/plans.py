"""Plans as the refreshes read them: which plan is in force, its indicators and their targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.sql_arrays import key_rows, keys_table, per_key
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
from services.scoring.service_layer.views.named_rows import named_rows
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
            {"r": region_id, "keys": key_rows(keys)},
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
    value = period_target(aggregation, to_fraction(row.target), _split_of(row.period_targets), period)
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


def _split_of(period_targets: dict[str, Any]) -> Mapping[str, Fraction]:
    """A plan indicator's targets by period as exact fractions, remembered by their stored values.

    A plan is made once for each period asked for (a replay's refresh: the year's quarters and the
    year), and its splits parsed each time were two fifths of ``indicator_of``; plans mostly split
    alike (evenly, or not at all). Shared, so read only (``period_target`` reads it).
    """
    key = tuple(period_targets.items())
    found = _SPLITS.get(key)
    if found is None:
        found = _SPLITS.keep(key, {period: Fraction(str(value)) for period, value in key})
    return found


#: Period targets as fractions, by the stored (period, value) pairs.
_SPLITS: Memo[tuple[tuple[str, Any], ...], Mapping[str, Fraction]] = Memo(4_096)


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


def by_employees(region_id: str, employee_ids: list[str]) -> dict[str, Any]:
    """The parameters of a statement over employees as ``keys_table("k", {"employee_id": ...})``."""
    return {"region_id": region_id, "keys": key_rows([(employee_id,) for employee_id in employee_ids])}


#: Built once (see ``sql_arrays``).
_PLAN_INDICATORS_IN_FORCE = _plan_indicators_in_force_statement()


async def plan_indicators_in_force(
    session: AsyncSession, region_id: str, employee_ids: Iterable[str]
) -> PlannedIndicators:
    """The indicators of each employee's plans in force, by (employee, year), in plan order."""
    rows = await session.execute(
        _PLAN_INDICATORS_IN_FORCE, by_employees(region_id, sorted(set(employee_ids)))
    )
    grouped: PlannedIndicators = {}
    for row in named_rows(rows):
        grouped.setdefault((row.employee_id, row.year), []).append(row)
    return grouped


def plan_structure(rows: Iterable[Any], period: Period) -> tuple[PlannedResult, ...]:
    """The planned results (RHK) of a plan, in plan order, with their indicators for the period."""
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.result_id, []).append(row)
    return tuple(
        PlannedResult(
            id=result_id,
            kind=ResultKind(members[0].result_kind.upper()),
            indicators=tuple(indicator_of(row, period) for row in members),
            title=members[0].result_text,
        )
        for result_id, members in grouped.items()
    )


#: A plan's planned results for a period, and their indicators by id.
_Made = tuple[tuple[PlannedResult, ...], dict[str, Indicator]]


class _Plan:
    """One plan's rows as values, with what was made of them for each period asked for."""

    __slots__ = ("by_targets", "periods", "targeted", "values")

    def __init__(self, values: tuple[tuple[Any, ...], ...]) -> None:
        self.values = values
        #: By period key: the planned results, and their indicators by id.
        self.periods: dict[str, _Made] = {}
        #: The same, by the rows' targets for a period: only the targets differ between periods.
        self.by_targets: dict[tuple[tuple[int, int] | None, ...], _Made] = {}
        #: Each row's aggregation, annual target and split (``_targeted``), read once a plan.
        self.targeted: tuple[_Targeted, ...] | None = None

    def made(self, rows: Sequence[Any], period: Period) -> _Made:
        found = self.periods.get(period.key)
        if found is None:
            # A plan without a split, or split evenly, targets each quarter alike: its quarters'
            # results are made once (a replay makes each plan for the year's quarters and the year).
            if self.targeted is None:
                self.targeted = _targeted(rows)
            targets = _targets_of(self.targeted, period)
            found = self.by_targets.get(targets)
            if found is None:
                structure = plan_structure(rows, period)
                indicators = {
                    indicator.id: indicator for result in structure for indicator in result.indicators
                }
                found = self.by_targets[targets] = (structure, indicators)
            self.periods[period.key] = found
        return found


#: What a plan indicator's target in any period is made of: its aggregation, annual target and split.
_Targeted = tuple[Aggregation, Fraction | None, Mapping[str, Fraction]]


def _targeted(rows: Sequence[Any]) -> tuple[_Targeted, ...]:
    """Each row's aggregation, annual target and split (``indicator_of``'s), which do not depend on
    the period: read once a plan, not for each of its periods (a replay asks the year's quarters
    and the year)."""
    return tuple(
        (Aggregation(row.aggregation.upper()), to_fraction(row.target), _split_of(row.period_targets))
        for row in rows
    )


def _targets_of(targeted: tuple[_Targeted, ...], period: Period) -> tuple[tuple[int, int] | None, ...]:
    """Each row's target for the period (``indicator_of``'s), by its integers: a ``Fraction``'s
    hash takes a modular inverse."""
    targets: list[tuple[int, int] | None] = []
    for aggregation, annual, split in targeted:
        value = period_target(aggregation, annual, split, period)
        targets.append(None if value is None else (value.numerator, value.denominator))
    return tuple(targets)


def _remembered_plan(rows: Sequence[Any]) -> _Plan:
    """The remembered plan of one plan's rows, kept only while its rows are equal to those it was
    made of (so never stale); a new one otherwise."""
    # Every batch reads its plan rows anew; comparing them with those remembered is cheaper than
    # making the planned results again. They are compared as plain tuples: a SQLAlchemy row's own
    # ``==`` is Python code, about three times the tuple's conversion and comparison.
    key = (rows[0].region_id, rows[0].plan_id)
    values = tuple(map(tuple, rows))
    found = _PLANS.get(key)
    if found is not None and found.values == values:
        return found
    return _PLANS.keep(key, _Plan(values))


#: Plans made into planned results, by (region, plan): each with the values of the rows it was made of.
#: Each entry holds its plan's indicator rows as well: at 50,000 (the first bound) a region of
#: 100,000 employees could keep hundreds of MB in the consumer. The plans being reported on now
#: (what a live batch refreshes again and again) fit in a few thousand.
_PLANS: Memo[tuple[str, str], _Plan] = Memo(4_096)


class BatchPlans:
    """The plans in force as one batch's refreshes use them: each plan's rows (read once a batch,
    for the progress rows and the summaries) compared with the remembered ones once, not for every
    row and period that uses them."""

    def __init__(self) -> None:
        # By the identity of an employee-year's list of rows and a plan: the list itself (kept, so
        # that its identity is not reused while the entry lives), the plan's rows and its memory.
        self._plans: dict[tuple[int, str], tuple[list[Any], tuple[Any, ...], _Plan | None]] = {}

    def _plan(self, rows: list[Any], plan_id: str) -> tuple[tuple[Any, ...], _Plan | None]:
        key = (id(rows), plan_id)
        found = self._plans.get(key)
        if found is None or found[0] is not rows:
            made_of = tuple(row for row in rows if row.plan_id == plan_id)
            found = self._plans[key] = (rows, made_of, _remembered_plan(made_of) if made_of else None)
        return found[1], found[2]

    def structure(self, rows: list[Any], plan_id: str, period: Period) -> tuple[PlannedResult, ...]:
        """The planned results of the plan ``plan_id`` among an employee-year's ``rows``."""
        made_of, plan = self._plan(rows, plan_id)
        return () if plan is None else plan.made(made_of, period)[0]

    def indicator(self, rows: list[Any], indicator_id: str, period: Period) -> Indicator | None:
        """The domain indicator ``indicator_id`` as an employee-year's ``rows`` plan it (the first
        row naming it, as in plan order), with its target for the period; None if none does."""
        for row in rows:
            if row.indicator_id == indicator_id:
                made_of, plan = self._plan(rows, row.plan_id)
                assert plan is not None  # its plan has this row at least
                return plan.made(made_of, period)[1][indicator_id]
        return None
