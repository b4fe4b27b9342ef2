"""A progress row's totals recomputed from its contributions, for many rows in one statement.

Used when a row's totals cannot follow from its stored totals and a batch's changes (``deltas.py``):
after a plan, calendar or rule change, or when the row's latest activity was taken out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.sql_arrays import key_rows, keys_table
from services.scoring.adapters.tables import contributions
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.periods import PeriodKind, parse_period_key
from services.scoring.service_layer.views.named_rows import named_rows
from services.scoring.service_layer.views.touches import ProgressKey, progress_keys_table

_ZERO = Decimal(0)


def _latest(value: Any, condition: Any, order: tuple[Any, ...]) -> Any:
    """``value`` of the first row in ``order`` among those meeting ``condition`` (NULL if none)."""
    aggregated = func.array_agg(aggregate_order_by(value, *order)).filter(condition)
    return type_coerce(aggregated, ARRAY(value.type))[1]


def _flagged(key: Any, year: Any, *more: ColumnElement[bool]) -> Any:
    """A key's contributions (``_key_contributions`` and ``more``), each with whether it counts, is
    verified and is rejected, worked out once a row: the totals' thirteen ``FILTER`` clauses then
    read a column each, where each evaluated its own condition (~25 comparisons of the status a
    row). ``OFFSET 0`` keeps the flags the subquery's columns: flattened, each ``FILTER`` would hold
    its expression again."""
    activity = contributions.c
    reported = activity.reported.is_(True)
    return (
        select(
            activity.period,
            activity.quantity,
            activity.denominator,
            activity.occurred_at,
            activity.activity_id,
            and_(reported, activity.status != ActivityStatus.REJECTED.value).label("counted"),
            # Verified is counted: a status is one of the two at most.
            and_(reported, activity.status == ActivityStatus.VERIFIED.value).label("verified"),
            and_(reported, activity.status == ActivityStatus.REJECTED.value).label("rejected"),
        )
        .where(*_key_contributions(key, year), *more)
        .offset(literal_column("0", Integer()))  # a constant, not a parameter: a plan knows it
        .correlate(key)
        .subquery("c")
    )


def _totals(activity: Any) -> list[Any]:
    """A key's totals over its contributions (an aggregate of ``_flagged``'s columns), named as the
    progress row's columns, so its totals read alike from either (``totals_of``)."""
    counted, verified, rejected = activity.counted, activity.verified, activity.rejected
    # The domain orders LAST by (time, id) in code-point order; "C" collation matches that in SQL.
    # PostgreSQL sorts a key's rows once for all six "latest" columns (their order is the same).
    order = (activity.occurred_at.desc(), activity.activity_id.collate("C").desc())
    return [
        func.count().filter(counted).label("activity_count"),
        func.coalesce(func.sum(activity.quantity).filter(counted), _ZERO).label("quantity_sum"),
        func.coalesce(func.sum(activity.denominator).filter(counted), _ZERO).label("denominator_sum"),
        func.count().filter(verified).label("verified_count"),
        func.coalesce(func.sum(activity.quantity).filter(verified), _ZERO).label("verified_quantity_sum"),
        func.coalesce(func.sum(activity.denominator).filter(verified), _ZERO).label(
            "verified_denominator_sum"
        ),
        func.count().filter(rejected).label("rejected_count"),
        _latest(activity.quantity, counted, order).label("last_quantity"),
        _latest(activity.occurred_at, counted, order).label("last_occurred_at"),
        _latest(activity.activity_id, counted, order).label("last_activity_id"),
        _latest(activity.quantity, verified, order).label("verified_last_quantity"),
        _latest(activity.occurred_at, verified, order).label("verified_last_occurred_at"),
        _latest(activity.activity_id, verified, order).label("verified_last_activity_id"),
    ]


def _key_contributions(table: Any, year: Any) -> tuple[ColumnElement[bool], ...]:
    """The contributions of a key's employee, indicator and year (the index's range)."""
    activity = contributions.c
    return (
        activity.region_id == bindparam("region_id"),
        activity.employee_id == table.c.employee_id,
        activity.indicator_id == table.c.indicator_id,
        activity.year == year,
    )


def _period_totals_statement() -> Any:
    """Each period key's totals, one row per key (an aggregate per key, LATERAL: one index range of
    contributions each, and a row of zeros for a key that has none)."""
    table = progress_keys_table()
    # A period key starts with its year: the year narrows the index range before the period.
    year = func.cast(func.substr(table.c.period, 1, 4), Integer)
    flagged = _flagged(table, year, contributions.c.period == table.c.period)
    aggregates = select(*_totals(flagged.c)).select_from(flagged).correlate(table).lateral("t")
    return (
        select(table.c.employee_id, table.c.indicator_id, table.c.period, aggregates)
        .select_from(table)
        .join(aggregates, true())
    )


def _year_totals_statement() -> Any:
    """Each year key's totals and those of the periods asked with it, from one pass over the year's
    contributions: each period's totals grouped, and the year's added up from its periods'.

    A key ``k(employee_id, indicator_id, period, periods)``: ``period`` the year's key, ``periods``
    a JSON array of the period keys wanted. The year's latest activity is the latest of its periods'
    latest ones (the same order, ``activity_id`` unique in the region); rows of a year without a
    period count in the year's totals alone. A period without contributions has no row.
    """
    table = keys_table(
        "k", {"employee_id": String(), "indicator_id": String(), "period": String(), "periods": JSONB()}
    )
    activity = _flagged(table, cast(table.c.period, Integer)).c
    periods = (
        select(activity.period.label("period"), *_totals(activity))
        .group_by(activity.period)
        .correlate(table)
        .cte("p", nesting=True)
    )
    p = periods.c
    wanted = select(*p).where(type_coerce(table.c.periods, JSONB()).has_key(p.period)).correlate(table)

    def latest(quantity: Any, occurred_at: Any, activity_id: Any, among: Any, name: str) -> Any:
        """The first of the periods' latest activities by time, then id (one row, or none)."""
        order = (occurred_at.desc(), activity_id.collate("C").desc())
        return (
            select(quantity, occurred_at, activity_id).where(among).order_by(*order).limit(1).subquery(name)
        )

    def count(value: Any) -> Any:
        return cast(func.coalesce(func.sum(value), 0), BigInteger())  # a count, not sum's numeric

    def total(value: Any) -> Any:
        return func.coalesce(func.sum(value), _ZERO)

    # The year's row: its periods' totals added up, and its latest activities the first of its
    # periods' latest in each order (an ordered aggregate for the second order sorted its few rows
    # once for each of its three columns).
    sums = select(
        count(p.activity_count).label("activity_count"),
        total(p.quantity_sum).label("quantity_sum"),
        total(p.denominator_sum).label("denominator_sum"),
        count(p.verified_count).label("verified_count"),
        total(p.verified_quantity_sum).label("verified_quantity_sum"),
        total(p.verified_denominator_sum).label("verified_denominator_sum"),
        count(p.rejected_count).label("rejected_count"),
    ).subquery("s")
    last = latest(p.last_quantity, p.last_occurred_at, p.last_activity_id, p.activity_count > 0, "l")
    verified_last = latest(
        p.verified_last_quantity,
        p.verified_last_occurred_at,
        p.verified_last_activity_id,
        p.verified_count > 0,
        "v",
    )
    year = (
        select(table.c.period, *sums.c, *last.c, *verified_last.c)
        .select_from(sums.outerjoin(last, true()).outerjoin(verified_last, true()))
        .correlate(table)
    )
    rows = union_all(wanted, year).lateral("t")
    return select(table.c.employee_id, table.c.indicator_id, rows).select_from(table).join(rows, true())


_PERIOD_TOTALS = _period_totals_statement()
_YEAR_TOTALS = _year_totals_statement()


async def totals_from_contributions(
    session: AsyncSession, region_id: str, keys: list[ProgressKey]
) -> dict[ProgressKey, Any]:
    """The totals of each key's contributions: each year asked with the periods of it asked too, in
    one statement, and periods asked without their year in another.

    Each row a named tuple: the progress refresh reads its totals by name, several times a row
    (a replay's rebuild takes every touched row from here). A period key without contributions
    may have no row: its totals are zeros, which the refresh takes alike.
    An activity counts in its period's row and its year's: its year's contributions are read once
    for both (a rebuild asks every period of every year; a consumer's row whose latest activity
    was taken out, mostly both of an activity's rows).
    """
    years: dict[ProgressKey, list[str]] = {}
    periods: list[ProgressKey] = []
    for key in keys:
        if parse_period_key(key[2]).kind is PeriodKind.YEAR:
            years[key] = []
        else:
            periods.append(key)
    alone: list[ProgressKey] = []
    for key in periods:
        employee_id, indicator_id, period = key
        with_year = years.get((employee_id, indicator_id, period[:4]))
        if with_year is None:
            alone.append(key)
        else:
            with_year.append(period)
    found: dict[ProgressKey, Any] = {}
    for selected, statement in (
        ([(*key, wanted) for key, wanted in years.items()], _YEAR_TOTALS),
        (alone, _PERIOD_TOTALS),
    ):
        if selected:
            rows = await session.execute(statement, {"region_id": region_id, "keys": key_rows(selected)})
            found |= {(row.employee_id, row.indicator_id, row.period): row for row in named_rows(rows)}
    return found
