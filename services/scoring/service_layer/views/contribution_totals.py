"""A progress row's totals recomputed from its contributions, for many rows in one statement.

Used when a row's totals cannot follow from its stored totals and a batch's changes (``deltas.py``):
after a plan, calendar or rule change, or when the row's latest activity was taken out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Integer, and_, bindparam, func, select, true, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.sql_arrays import key_rows
from services.scoring.adapters.tables import contributions
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.periods import PeriodKind, parse_period_key
from services.scoring.service_layer.views.named_rows import named_rows
from services.scoring.service_layer.views.touches import ProgressKey, progress_keys_table


def _totals_statement(*, years: bool) -> Any:
    """Totals of the contributions behind each key, one row per key (built once, for either kind)."""
    activity = contributions.c
    table = progress_keys_table()
    counted = and_(activity.reported.is_(True), activity.status != ActivityStatus.REJECTED.value)
    verified = and_(counted, activity.status == ActivityStatus.VERIFIED.value)
    rejected = and_(activity.reported.is_(True), activity.status == ActivityStatus.REJECTED.value)
    # The domain orders LAST by (time, id) in code-point order; "C" collation matches that in SQL.
    order = (activity.occurred_at.desc(), activity.activity_id.collate("C").desc())

    def latest(value: Any, condition: ColumnElement[bool]) -> Any:
        aggregated = func.array_agg(aggregate_order_by(value, *order)).filter(condition)
        return type_coerce(aggregated, ARRAY(value.type))[1]

    zero = Decimal(0)
    # A period key starts with its year: the year narrows the index range before the period.
    year_of_key = func.cast(func.substr(table.c.period, 1, 4), Integer)
    period_match = (
        activity.year == year_of_key
        if years
        else and_(activity.year == year_of_key, activity.period == table.c.period)
    )
    # An aggregate per key (LATERAL): one index range of contributions each, and a row of zeros for
    # a key that has none.
    # Named as the progress row's columns, so its totals read alike from either (``totals_of``).
    aggregates = (
        select(
            func.count().filter(counted).label("activity_count"),
            func.coalesce(func.sum(activity.quantity).filter(counted), zero).label("quantity_sum"),
            func.coalesce(func.sum(activity.denominator).filter(counted), zero).label("denominator_sum"),
            func.count().filter(verified).label("verified_count"),
            func.coalesce(func.sum(activity.quantity).filter(verified), zero).label("verified_quantity_sum"),
            func.coalesce(func.sum(activity.denominator).filter(verified), zero).label(
                "verified_denominator_sum"
            ),
            func.count().filter(rejected).label("rejected_count"),
            latest(activity.quantity, counted).label("last_quantity"),
            latest(activity.occurred_at, counted).label("last_occurred_at"),
            latest(activity.activity_id, counted).label("last_activity_id"),
            latest(activity.quantity, verified).label("verified_last_quantity"),
            latest(activity.occurred_at, verified).label("verified_last_occurred_at"),
            latest(activity.activity_id, verified).label("verified_last_activity_id"),
        )
        .where(
            activity.region_id == bindparam("region_id"),
            activity.employee_id == table.c.employee_id,
            activity.indicator_id == table.c.indicator_id,
            period_match,
        )
        .lateral("t")
    )
    return (
        select(table.c.employee_id, table.c.indicator_id, table.c.period, aggregates)
        .select_from(table)
        .join(aggregates, true())
    )


_PERIOD_TOTALS = _totals_statement(years=False)
_YEAR_TOTALS = _totals_statement(years=True)


async def totals_from_contributions(
    session: AsyncSession, region_id: str, keys: list[ProgressKey]
) -> dict[ProgressKey, Any]:
    """The totals of each key's contributions, one statement for periods and one for years.

    Each row a named tuple: the progress refresh reads its totals by name, several times a row
    (a replay's rebuild takes every touched row from here).
    """
    found: dict[ProgressKey, Any] = {}
    by_years: list[ProgressKey] = []
    by_periods: list[ProgressKey] = []
    for key in keys:
        (by_years if parse_period_key(key[2]).kind is PeriodKind.YEAR else by_periods).append(key)
    for selected, statement in ((by_periods, _PERIOD_TOTALS), (by_years, _YEAR_TOTALS)):
        if selected:
            rows = await session.execute(statement, {"region_id": region_id, "keys": key_rows(selected)})
            found |= {(row.employee_id, row.indicator_id, row.period): row for row in named_rows(rows)}
    return found
