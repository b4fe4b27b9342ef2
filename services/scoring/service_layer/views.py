"""Keeps the materialized views current: each refresh recomputes one view row from the stored facts.

A refresh is a pure function of the facts (contributions, plans, assessments, rules), so the views do
not depend on the order events arrived in, and a replay into fresh tables rebuilds the same rows.
A row is written only when its content changes; it then records the event that changed it.
Periods closed before the event happened are frozen and never refreshed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.sql_arrays import array_of, keys_table, per_key
from services.scoring.adapters.tables import (
    behaviour_assessments,
    closed_periods,
    contributions,
    employee_scores,
    employees,
    indicator_judgements,
    indicator_progress,
    plan_indicators,
    plans,
    rating_decisions,
    region_settings,
)
from services.scoring.domain.achievement import (
    Aggregation,
    Aspect,
    Direction,
    Indicator,
    IndicatorAchievement,
    Judgement,
    NumericTarget,
    QualitativeTarget,
    Realisation,
    RealisationTotals,
    Target,
    assess_indicator,
    realisation_from_totals,
)
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.behaviour import behaviour_rating
from services.scoring.domain.calendar import DEFAULT_CALENDAR, Calendar, closures_freezing, period_is_frozen
from services.scoring.domain.performance import PlannedResult, ResultKind, assess_employee
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key, periods_in_year
from services.scoring.domain.predicate import predicate_of
from services.scoring.domain.rating import ProposalReason, RatingProposal, propose_result_rating
from services.scoring.domain.rules import RuleBook, RuleSet
from services.scoring.domain.targets import period_target
from services.scoring.service_layer.rules import rule_book, rule_set_in
from shared.read_models import holding_on_day, one_holding_on_day, region_today

PLACES = 4


def to_decimal(value: Fraction | None, places: int = PLACES) -> Decimal | None:
    """An exact fraction rounded (half even) for storage and display."""
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places))


def to_fraction(value: Decimal | None) -> Fraction | None:
    """A stored decimal as an exact fraction."""
    return None if value is None else Fraction(value)


def now() -> datetime:
    """The current instant (one place, so refreshes stamp rows consistently)."""
    return datetime.now(UTC)


async def calendar(session: AsyncSession, region_id: str) -> Calendar:
    """The region's calendar, or the national default until the region's settings arrive."""
    row = (
        await session.execute(
            select(region_settings.c.timezone, region_settings.c.period_kind).where(
                region_settings.c.region_id == region_id
            )
        )
    ).first()
    if row is None:
        return DEFAULT_CALENDAR
    return Calendar(row.timezone, PeriodKind(row.period_kind.upper()))


async def closures(
    session: AsyncSession, region_id: str, keys: Iterable[str] | None = None
) -> dict[str, datetime]:
    """The region's closed periods (or those of ``keys``), each with the instant it was closed."""
    query = select(closed_periods.c.period, closed_periods.c.closed_at).where(
        closed_periods.c.region_id == region_id
    )
    if keys is not None:
        query = query.where(closed_periods.c.period.in_(set(keys)))
    return {row.period: row.closed_at for row in await session.execute(query)}


async def is_frozen(session: AsyncSession, region_id: str, key: str, at: datetime) -> bool:
    """Whether a period (or its year) was closed before ``at``: its views must not change."""
    # Only the closures that can freeze the period are read; the rule is the domain's.
    return period_is_frozen(await closures(session, region_id, closures_freezing(key)), key, at)


# --- plans ---------------------------------------------------------------------------------------


async def refresh_plan_in_force(
    session: AsyncSession, *, region_id: str, employee_id: str, year: int
) -> None:
    """Mark the plan in force: the highest approved version that has not been superseded."""
    await session.execute(_MARK_PLAN_IN_FORCE, {"r": region_id, "e": employee_id, "y": year})


def _mark_plan_in_force_statement() -> Any:
    # One statement, built once (it runs for every plan event): the chosen plan is in force, the
    # employee's other plans of the year are not, and none is when no plan qualifies.
    other = plans.alias("candidate")  # not correlated to the updated row
    chosen = (
        select(other.c.plan_id)
        .where(
            other.c.region_id == bindparam("r"),
            other.c.employee_id == bindparam("e"),
            other.c.year == bindparam("y"),
            other.c.approved.is_(True),
            other.c.superseded.is_(False),
        )
        .order_by(other.c.version.desc().nulls_last(), other.c.plan_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        update(plans)
        .where(
            plans.c.region_id == bindparam("r"),
            plans.c.employee_id == bindparam("e"),
            plans.c.year == bindparam("y"),
        )
        .values(in_force=func.coalesce(plans.c.plan_id == chosen, False))
    )


_MARK_PLAN_IN_FORCE = _mark_plan_in_force_statement()


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


def totals_of(row: Any) -> RealisationTotals:
    """The exact totals a progress row stores."""
    return RealisationTotals(
        count=row.activity_count,
        quantity=Fraction(row.quantity_sum),
        denominator=Fraction(row.denominator_sum),
        latest_quantity=to_fraction(row.last_quantity),
        verified_count=row.verified_count,
        verified_quantity=Fraction(row.verified_quantity_sum),
        verified_denominator=Fraction(row.verified_denominator_sum),
        verified_latest_quantity=to_fraction(row.verified_last_quantity),
    )


# --- what a batch touched ------------------------------------------------------------------------

#: An (employee, indicator, period key) row of indicator_progress.
ProgressKey = tuple[str, str, str]
#: An (employee, period key) row of employee_scores.
SummaryKey = tuple[str, str]
#: An (employee, year) whose every view row needs a refresh; year None: every year of the employee.
EmployeeYear = tuple[str, int | None]


@dataclass
class Touch:
    """The events that touched one view row: how many, the latest one, and the earliest time.

    A row touched by several events of a batch is refreshed once: it counts each event as applied,
    records the latest as the one that changed it, and is frozen only if its period was closed
    before the earliest of them happened (later ones were already diverted when they were applied).
    """

    count: int
    event_id: str
    at: datetime

    def merged(self, other: Touch) -> Touch:
        """Both touches as one (``other`` is the later)."""
        return Touch(self.count + other.count, other.event_id, min(self.at, other.at))


def touch(touches: dict[Any, Touch], key: Any, event_id: str, at: datetime, count: int = 1) -> None:
    """Record that an event touched a row."""
    found = touches.get(key)
    added = Touch(count, event_id, at)
    touches[key] = added if found is None else found.merged(added)


#: The latest of a set of contributions in the views' order: (occurred_at, activity_id, quantity).
Latest = tuple[datetime, str, Decimal]


def _later(a: Latest | None, b: Latest | None) -> Latest | None:
    """The later of two contributions by (time, activity id), code-point order as in the domain."""
    if a is None:
        return b
    if b is None:
        return a
    return b if b[:2] > a[:2] else a


@dataclass
class ProgressDelta:
    """What a batch's activity changes add to (and take from) one progress row's totals.

    Each changed activity is taken out as it was before the batch and put back as it is after it,
    so the row's sums and counts follow by addition. The latest (and latest verified) activity
    follows too, unless the row's latest is one taken out and nothing put back is as late: only
    then must the row be recomputed from its contributions.
    """

    count: int = 0
    quantity: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)
    verified_count: int = 0
    verified_quantity: Decimal = Decimal(0)
    verified_denominator: Decimal = Decimal(0)
    rejected_count: int = 0
    withdrawn: set[str] = field(default_factory=set)
    verified_withdrawn: set[str] = field(default_factory=set)
    latest: Latest | None = None
    verified_latest: Latest | None = None

    def apply(self, activity_id: str, row: dict[str, Any], sign: int) -> None:
        """Add (sign 1) or take out (sign -1) one activity as a contributions row describes it."""
        status = row["status"]
        if status == ActivityStatus.REJECTED.value:
            self.rejected_count += sign
            return
        quantity: Decimal = row["quantity"]
        denominator: Decimal = row["denominator"] or Decimal(0)
        verified = status == ActivityStatus.VERIFIED.value
        self.count += sign
        self.quantity += sign * quantity
        self.denominator += sign * denominator
        if verified:
            self.verified_count += sign
            self.verified_quantity += sign * quantity
            self.verified_denominator += sign * denominator
        if sign < 0:
            self.withdrawn.add(activity_id)
            if verified:
                self.verified_withdrawn.add(activity_id)
            return
        added: Latest = (row["occurred_at"], activity_id, quantity)
        self.latest = _later(self.latest, added)
        if verified:
            self.verified_latest = _later(self.verified_latest, added)


def counted_keys(employee_id: str, row: dict[str, Any] | None) -> list[ProgressKey]:
    """The progress rows an activity (a contributions row) counts in: its period's and its year's."""
    if row is None or not row["reported"] or row["period"] is None:
        return []
    period: str = row["period"]
    return [(employee_id, row["indicator_id"], period), (employee_id, row["indicator_id"], period[:4])]


def note_activity_change(
    deltas: dict[ProgressKey, ProgressDelta],
    activity_id: str,
    employee_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Record how one activity's net change in a batch moves the totals of the rows it counts in."""
    for sign, row in ((-1, before), (1, after)):
        for key in counted_keys(employee_id, row):
            assert row is not None
            found = deltas.get(key)
            if found is None:
                found = deltas[key] = ProgressDelta()
            found.apply(activity_id, row, sign)


@dataclass
class _Totals:
    """A progress row's totals, as the ``GROUP BY`` over its contributions computes them."""

    activity_count: int = 0
    quantity: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)
    verified_count: int = 0
    verified_quantity: Decimal = Decimal(0)
    verified_denominator: Decimal = Decimal(0)
    rejected_count: int = 0
    last_quantity: Decimal | None = None
    last_occurred_at: datetime | None = None
    last_activity_id: str | None = None
    verified_last_quantity: Decimal | None = None
    verified_last_occurred_at: datetime | None = None
    verified_last_activity_id: str | None = None


class _Recompute(Exception):
    """A row's totals cannot follow from its stored totals and the batch's changes alone."""


def _latest_after(old: Latest | None, withdrawn: set[str], added: Latest | None, count: int) -> Latest | None:
    if count == 0:
        return None
    if old is not None and old[1] in withdrawn:
        # The latest was taken out: only something put back at least as late is surely the latest.
        if added is not None and added[:2] >= old[:2]:
            return added
        raise _Recompute
    latest = _later(old, added)
    if latest is None:
        raise _Recompute  # counted activities but no latest one: not a row these totals describe
    return latest


def _advanced(row: Any | None, delta: ProgressDelta) -> _Totals:
    """A stored row's totals with a batch's changes applied (raises ``_Recompute`` when it cannot)."""
    if row is None:
        base = _Totals()
        last = verified_last = None
    else:
        base = _Totals(
            activity_count=row.activity_count,
            quantity=row.quantity_sum,
            denominator=row.denominator_sum,
            verified_count=row.verified_count,
            verified_quantity=row.verified_quantity_sum,
            verified_denominator=row.verified_denominator_sum,
            rejected_count=row.rejected_count,
        )
        last = (
            (row.last_occurred_at, row.last_activity_id, row.last_quantity)
            if row.last_activity_id is not None
            else None
        )
        verified_last = (
            (row.verified_last_occurred_at, row.verified_last_activity_id, row.verified_last_quantity)
            if row.verified_last_activity_id is not None
            else None
        )
    count = base.activity_count + delta.count
    verified_count = base.verified_count + delta.verified_count
    rejected_count = base.rejected_count + delta.rejected_count
    if min(count, verified_count, rejected_count) < 0:
        raise _Recompute
    latest = _latest_after(last, delta.withdrawn, delta.latest, count)
    verified_latest = _latest_after(
        verified_last, delta.verified_withdrawn, delta.verified_latest, verified_count
    )
    return _Totals(
        activity_count=count,
        quantity=base.quantity + delta.quantity,
        denominator=base.denominator + delta.denominator,
        verified_count=verified_count,
        verified_quantity=base.verified_quantity + delta.verified_quantity,
        verified_denominator=base.verified_denominator + delta.verified_denominator,
        rejected_count=rejected_count,
        last_occurred_at=latest[0] if latest else None,
        last_activity_id=latest[1] if latest else None,
        last_quantity=latest[2] if latest else None,
        verified_last_occurred_at=verified_latest[0] if verified_latest else None,
        verified_last_activity_id=verified_latest[1] if verified_latest else None,
        verified_last_quantity=verified_latest[2] if verified_latest else None,
    )


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
        """``indicator_of``, remembered by everything it is made of (so never stale)."""
        key = (
            period.key,
            row.indicator_id,
            row.code,
            row.name,
            row.aspect,
            row.direction,
            row.aggregation,
            row.unit_of_measure,
            row.target,
            row.qualitative_target,
            tuple(row.period_targets.items()),
        )
        found = _INDICATORS.get(key)
        if found is None:
            if len(_INDICATORS) >= _INDICATORS_KEPT:
                _INDICATORS.clear()
            found = _INDICATORS[key] = indicator_of(row, period)
        return found

    def rules(self, period: Period) -> RuleSet:
        """The rule set scoring a period."""
        return rule_set_in(self.book, self.region_id, period)


#: Domain indicators of plan indicator rows for a period, by the row's content, shared by every batch.
_INDICATORS: dict[tuple[Any, ...], Indicator] = {}
_INDICATORS_KEPT = 200_000


async def region_facts(session: AsyncSession, region_id: str) -> RegionFacts:
    """Load a region's calendar, closed periods and rule book."""
    return RegionFacts(
        region_id,
        await calendar(session, region_id),
        await closures(session, region_id),
        await rule_book(session, region_id),
    )


# --- per employee, indicator and period ------------------------------------------------------------


def _totals_statement(region_id: str, keys: list[ProgressKey], *, years: bool) -> Any:
    """Totals of the contributions behind each key, one row per key."""
    c = contributions.c
    table = keys_table(
        "k",
        {
            "employee_id": ([e for e, _, _ in keys], String()),
            "indicator_id": ([i for _, i, _ in keys], String()),
            "period": ([p for _, _, p in keys], String()),
        },
    )
    counted = and_(c.reported.is_(True), c.status != ActivityStatus.REJECTED.value)
    verified = and_(counted, c.status == ActivityStatus.VERIFIED.value)
    rejected = and_(c.reported.is_(True), c.status == ActivityStatus.REJECTED.value)
    # The domain orders LAST by (time, id) in code-point order; "C" collation matches that in SQL.
    order = (c.occurred_at.desc(), c.activity_id.collate("C").desc())

    def latest(value: Any, condition: ColumnElement[bool]) -> Any:
        aggregated = func.array_agg(aggregate_order_by(value, *order)).filter(condition)
        return type_coerce(aggregated, ARRAY(value.type))[1]

    zero = Decimal(0)
    period_match = c.year == func.cast(table.c.period, Integer) if years else c.period == table.c.period
    # An aggregate per key (LATERAL): one index range of contributions each, and a row of zeros for
    # a key that has none.
    aggregates = (
        select(
            func.count().filter(counted).label("activity_count"),
            func.coalesce(func.sum(c.quantity).filter(counted), zero).label("quantity"),
            func.coalesce(func.sum(c.denominator).filter(counted), zero).label("denominator"),
            func.count().filter(verified).label("verified_count"),
            func.coalesce(func.sum(c.quantity).filter(verified), zero).label("verified_quantity"),
            func.coalesce(func.sum(c.denominator).filter(verified), zero).label("verified_denominator"),
            func.count().filter(rejected).label("rejected_count"),
            latest(c.quantity, counted).label("last_quantity"),
            latest(c.occurred_at, counted).label("last_occurred_at"),
            latest(c.activity_id, counted).label("last_activity_id"),
            latest(c.quantity, verified).label("verified_last_quantity"),
            latest(c.occurred_at, verified).label("verified_last_occurred_at"),
            latest(c.activity_id, verified).label("verified_last_activity_id"),
        )
        .where(
            c.region_id == region_id,
            c.employee_id == table.c.employee_id,
            c.indicator_id == table.c.indicator_id,
            period_match,
        )
        .lateral("t")
    )
    return (
        select(table.c.employee_id, table.c.indicator_id, table.c.period, aggregates)
        .select_from(table)
        .join(aggregates, true())
    )


async def _totals(session: AsyncSession, region_id: str, keys: list[ProgressKey]) -> dict[ProgressKey, Any]:
    found: dict[ProgressKey, Any] = {}
    by_years = [k for k in keys if parse_period_key(k[2]).kind is PeriodKind.YEAR]
    by_periods = [k for k in keys if parse_period_key(k[2]).kind is not PeriodKind.YEAR]
    for selected, years in ((by_periods, False), (by_years, True)):
        if selected:
            rows = await session.execute(_totals_statement(region_id, selected, years=years))
            found |= {(row.employee_id, row.indicator_id, row.period): row for row in rows}
    return found


async def _plan_indicators_in_force(
    session: AsyncSession, region_id: str, employee_ids: Iterable[str]
) -> dict[tuple[str, int], list[Any]]:
    """The indicators of each employee's plans in force, by (employee, year), in plan order."""
    k = keys_table("k", {"employee_id": (sorted(set(employee_ids)), String())})
    in_force = (
        select(plans.c.plan_id)
        .where(
            plans.c.region_id == region_id, plans.c.employee_id == k.c.employee_id, plans.c.in_force.is_(True)
        )
        .offset(0)
        .lateral("p")
    )
    indicators = (
        select(plan_indicators)
        .where(plan_indicators.c.region_id == region_id, plan_indicators.c.plan_id == in_force.c.plan_id)
        .offset(0)
        .lateral("i")
    )
    rows = await session.execute(
        select(indicators)
        .select_from(k)
        .join(in_force, true())
        .join(indicators, true())
        .order_by(indicators.c.plan_id, indicators.c.position)
    )
    grouped: dict[tuple[str, int], list[Any]] = {}
    for row in rows:
        grouped.setdefault((row.employee_id, row.year), []).append(row)
    return grouped


def _unchanged(current: Any, values: dict[str, Any]) -> bool:
    return current is not None and all(getattr(current, name) == value for name, value in values.items())


async def _refresh_progress(
    session: AsyncSession,
    facts: RegionFacts,
    touched: dict[ProgressKey, Touch],
    deltas: dict[ProgressKey, ProgressDelta] | None = None,
    recompute: set[ProgressKey] | None = None,
    planned: dict[tuple[str, int], list[Any]] | None = None,
) -> None:
    """Bring the touched employee-indicator-period rows up to date, all at once.

    With ``deltas`` a row's totals follow from its stored totals plus the batch's changes (a key
    without a delta keeps its totals); the rows in ``recompute`` (or all, without ``deltas``), and
    those whose latest activity was withdrawn, are recomputed from their contributions.
    """
    if not touched:
        return
    region_id = facts.region_id
    keys = sorted(touched)
    key_table = keys_table(
        "k",
        {
            "employee_id": ([e for e, _, _ in keys], String()),
            "indicator_id": ([i for _, i, _ in keys], String()),
            "period": ([p for _, _, p in keys], String()),
        },
    )
    ip = indicator_progress.c
    # Locked: the new totals are computed from these (another consumer of the same rows waits).
    current = {
        (row.employee_id, row.indicator_id, row.period): row
        for row in await session.execute(
            per_key(
                key_table,
                select(indicator_progress)
                .where(
                    ip.region_id == region_id,
                    ip.employee_id == key_table.c.employee_id,
                    ip.indicator_id == key_table.c.indicator_id,
                    ip.period == key_table.c.period,
                )
                .with_for_update(),
                "p",
            )
        )
    }
    totals: dict[ProgressKey, Any] = {}
    from_contributions: list[ProgressKey] = []
    for key in keys:
        if deltas is None or (recompute is not None and key in recompute):
            from_contributions.append(key)
            continue
        try:
            totals[key] = _advanced(current.get(key), deltas.get(key) or ProgressDelta())
        except _Recompute:
            from_contributions.append(key)
    if from_contributions:
        totals |= await _totals(session, region_id, from_contributions)
    planned_by_year = (
        planned
        if planned is not None
        else await _plan_indicators_in_force(session, region_id, (e for e, _, _ in keys))
    )
    stamp = now()
    upserts: list[dict[str, Any]] = []
    deletes: list[ProgressKey] = []
    for key in keys:
        employee_id, indicator_id, period_key = key
        row, totals_row = current.get(key), totals.get(key)
        if totals_row is None or (totals_row.activity_count == 0 and totals_row.rejected_count == 0):
            if row is not None:
                deletes.append(key)
            continue
        period = parse_period_key(period_key)
        planned = next(
            (
                p
                for p in planned_by_year.get((employee_id, period.year), [])
                if p.indicator_id == indicator_id
            ),
            None,
        )
        values = _progress_values(facts, totals_row, planned, period)
        if _unchanged(row, values):
            continue
        upserts.append(
            values
            | {
                "employee_id": employee_id,
                "indicator_id": indicator_id,
                "period": period_key,
                "region_id": region_id,
                "events_applied": (row.events_applied if row else 0) + touched[key].count,
                "last_event_id": touched[key].event_id,
                "updated_at": stamp,
            }
        )
    if upserts:
        statement = insert(indicator_progress)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["region_id", "employee_id", "indicator_id", "period"],
                set_={
                    name: statement.excluded[name]
                    for name in upserts[0]
                    if name not in ("region_id", "employee_id", "indicator_id", "period")
                },
            ),
            upserts,
        )
    if deletes:
        # Rows known to exist, each deleted by its primary key (an index look-up whatever the
        # statistics say; a join to the keys was planned as a scan of the region's rows).
        await session.execute(
            _DELETE_PROGRESS,
            [{"r": region_id, "e": e, "i": i, "p": p} for e, i, p in deletes],
        )


_DELETE_PROGRESS = delete(indicator_progress).where(
    indicator_progress.c.region_id == bindparam("r"),
    indicator_progress.c.employee_id == bindparam("e"),
    indicator_progress.c.indicator_id == bindparam("i"),
    indicator_progress.c.period == bindparam("p"),
)


def _progress_values(facts: RegionFacts, totals_row: Any, planned: Any, period: Period) -> dict[str, Any]:
    """A progress row's content from its totals and its planned indicator (if any)."""
    aggregation = Aggregation(planned.aggregation.upper()) if planned else Aggregation.SUM
    values: dict[str, Any] = {
        "quantity_sum": totals_row.quantity,
        "denominator_sum": totals_row.denominator,
        "activity_count": totals_row.activity_count,
        "verified_quantity_sum": totals_row.verified_quantity,
        "verified_denominator_sum": totals_row.verified_denominator,
        "verified_count": totals_row.verified_count,
        "verified_last_quantity": totals_row.verified_last_quantity,
        "verified_last_occurred_at": totals_row.verified_last_occurred_at,
        "verified_last_activity_id": totals_row.verified_last_activity_id,
        "rejected_count": totals_row.rejected_count,
        "last_occurred_at": totals_row.last_occurred_at,
        "last_activity_id": totals_row.last_activity_id,
        "last_quantity": totals_row.last_quantity,
    }
    totals = RealisationTotals(
        count=totals_row.activity_count,
        quantity=Fraction(totals_row.quantity),
        denominator=Fraction(totals_row.denominator),
        latest_quantity=to_fraction(totals_row.last_quantity),
        verified_count=totals_row.verified_count,
        verified_quantity=Fraction(totals_row.verified_quantity),
        verified_denominator=Fraction(totals_row.verified_denominator),
        verified_latest_quantity=to_fraction(totals_row.verified_last_quantity),
    )
    realisation = realisation_from_totals(aggregation, totals)
    target: Fraction | None = None
    achievement: Fraction | None = None
    if planned is not None:
        indicator = facts.indicator(planned, period)
        if isinstance(indicator.target, NumericTarget):
            target = indicator.target.value
        if totals_row.activity_count:
            achievement = assess_indicator(
                indicator, realisation, facts.rules(period).achievement
            ).achievement
    return values | {
        "target": to_decimal(target),
        "realisation": to_decimal(realisation.value),
        "verified_share": to_decimal(realisation.verified_share),
        "achievement": to_decimal(achievement),
    }


# --- per employee and period ---------------------------------------------------------------------


def _reason_json(reason: ProposalReason) -> dict[str, Any]:
    return {
        "code": reason.code.value,
        "required": None if reason.required is None else str(to_decimal(reason.required)),
        "actual": None if reason.actual is None else str(to_decimal(reason.actual)),
        "satisfied": reason.satisfied,
        "message_en": reason.message_en,
        "message_id": reason.message_id,
    }


def _outcome_json(item: IndicatorAchievement) -> dict[str, Any]:
    return {
        "indicator_id": item.indicator.id,
        "code": item.indicator.template_code,
        "aspect": item.indicator.aspect.value,
        "basis": item.basis.value,
        "achievement": None if item.achievement is None else str(to_decimal(item.achievement)),
        # Only judged indicators carry the key, so the other rows' content is unchanged.
        **({"judgement": item.judgement.value} if item.judgement is not None else {}),
    }


async def latest_rater_assessment(
    session: AsyncSession, region_id: str, employee_id: str, key: str
) -> Row[Any] | None:
    """The rater's latest behaviour assessment of an employee for a period."""
    return (
        await session.execute(
            select(behaviour_assessments)
            .where(
                behaviour_assessments.c.region_id == region_id,
                behaviour_assessments.c.employee_id == employee_id,
                behaviour_assessments.c.period == key,
                behaviour_assessments.c.assessor_role == "rater",
            )
            .order_by(
                behaviour_assessments.c.submitted_at.desc(),
                behaviour_assessments.c.assessment_id.collate("C").desc(),
            )
            .limit(1)
        )
    ).first()


_Row = TypeVar("_Row", bound=Any)


def _region_today() -> ColumnElement[date]:
    return region_today(region_settings, employees.c.region_id)


def employees_today() -> Subquery:
    """Each employee's assignment holding today in the region's zone (the team read model's rule)."""
    return holding_on_day(employees, ("region_id", "employee_id"), _region_today())


def employee_assignment(query: Select[_Row]) -> Select[_Row]:
    """A query of one employee's rows narrowed to the assignment holding today."""
    return one_holding_on_day(query, employees, _region_today())


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


async def _refresh_summaries(
    session: AsyncSession,
    facts: RegionFacts,
    touched: dict[SummaryKey, Touch],
    planned: dict[tuple[str, int], list[Any]] | None = None,
) -> None:
    """Recompute the touched employee-period rows (achievement, proposals, predicate), all at once."""
    if not touched:
        return
    region_id = facts.region_id
    keys = sorted(touched)
    employee_ids = sorted({e for e, _ in keys})

    def key_table() -> Any:
        return keys_table(
            "k", {"employee_id": ([e for e, _ in keys], String()), "period": ([p for _, p in keys], String())}
        )

    s, k = employee_scores, key_table()
    current = {
        (row.employee_id, row.period): row
        for row in await session.execute(
            per_key(
                k,
                select(s).where(
                    s.c.region_id == region_id, s.c.employee_id == k.c.employee_id, s.c.period == k.c.period
                ),
                "s",
            )
        )
    }
    e = keys_table("e", {"employee_id": (employee_ids, String())})
    in_force = {
        (row.employee_id, row.year): row
        for row in await session.execute(
            per_key(
                e,
                select(plans).where(
                    plans.c.region_id == region_id,
                    plans.c.employee_id == e.c.employee_id,
                    plans.c.in_force.is_(True),
                ),
                "p",
            )
        )
    }
    indicator_rows = (
        planned if planned is not None else await _plan_indicators_in_force(session, region_id, employee_ids)
    )
    p, k = indicator_progress, key_table()
    progress: dict[SummaryKey, dict[str, Any]] = {}
    for row in await session.execute(
        per_key(
            k,
            select(p).where(
                p.c.region_id == region_id, p.c.employee_id == k.c.employee_id, p.c.period == k.c.period
            ),
            "p",
        )
    ):
        progress.setdefault((row.employee_id, row.period), {})[row.indicator_id] = row
    b, k = behaviour_assessments, key_table()
    assessments = {
        (row.employee_id, row.period): row
        for row in await session.execute(
            per_key(
                k,
                select(b)
                .where(
                    b.c.region_id == region_id,
                    b.c.employee_id == k.c.employee_id,
                    b.c.period == k.c.period,
                    b.c.assessor_role == "rater",
                )
                .order_by(b.c.submitted_at.desc(), b.c.assessment_id.collate("C").desc())
                .limit(1),
                "b",
            )
        )
    }
    # Only an indicator without an annual target can be qualitative (judged): plans with numbers only,
    # the usual batch, need no look-up.
    judgements: dict[SummaryKey, dict[str, Judgement]] = {}
    if any(row.target is None for rows in indicator_rows.values() for row in rows):
        j, k = indicator_judgements, key_table()
        for row in await session.execute(
            per_key(
                k,
                select(j).where(
                    j.c.region_id == region_id, j.c.employee_id == k.c.employee_id, j.c.period == k.c.period
                ),
                "j",
            )
        ):
            judged = judgements.setdefault((row.employee_id, row.period), {})
            judged[row.indicator_id] = Judgement(row.judgement)
    # The rater's latest decision is a fact of the row like its proposals: a rebuild, which keeps
    # the decisions, then writes the same rows as the live views did.
    d, k = rating_decisions, key_table()
    decisions = {
        (row.employee_id, row.period): row
        for row in await session.execute(
            per_key(
                k,
                select(d)
                .where(
                    d.c.region_id == region_id, d.c.employee_id == k.c.employee_id, d.c.period == k.c.period
                )
                .order_by(d.c.decided_at.desc(), d.c.decision_id.collate("C").desc())
                .limit(1),
                "d",
            )
        )
    }
    e = keys_table("e", {"employee_id": (employee_ids, String())})
    people = {
        row.employee_id: row
        for row in await session.execute(
            per_key(
                e,
                employee_assignment(
                    select(employees).where(
                        employees.c.region_id == region_id, employees.c.employee_id == e.c.employee_id
                    )
                ),
                "w",
            )
        )
    }
    stamp = now()
    upserts: list[dict[str, Any]] = []
    deletes: list[SummaryKey] = []
    for key in keys:
        employee_id, period_key = key
        period = parse_period_key(period_key)
        stored, plan = current.get(key), in_force.get((employee_id, period.year))
        if plan is None or period.kind not in (facts.calendar.kind, PeriodKind.YEAR):
            # No plan in force (or a period the region no longer uses): nothing to score. A decision
            # stays in rating_decisions (auditors read it there) and is back on the row once scored.
            if stored is not None:
                deletes.append(key)
            continue
        values = _summary_values(
            facts,
            period,
            plan,
            indicator_rows.get((employee_id, period.year), []),
            progress.get(key, {}),
            assessments.get(key),
            people.get(employee_id),
            judgements.get(key, {}),
        ) | _decision_values(decisions.get(key))
        if _unchanged(stored, values):
            continue
        upserts.append(
            values
            | {
                "employee_id": employee_id,
                "period": period_key,
                "region_id": region_id,
                "last_event_id": touched[key].event_id,
                "updated_at": stamp,
            }
        )
    if upserts:
        statement = insert(employee_scores)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["region_id", "employee_id", "period"],
                set_={
                    name: statement.excluded[name]
                    for name in upserts[0]
                    if name not in ("region_id", "employee_id", "period")
                },
            ),
            upserts,
        )
    if deletes:
        await session.execute(_DELETE_SUMMARY, [{"r": region_id, "e": e, "p": p} for e, p in deletes])


_DELETE_SUMMARY = delete(employee_scores).where(
    employee_scores.c.region_id == bindparam("r"),
    employee_scores.c.employee_id == bindparam("e"),
    employee_scores.c.period == bindparam("p"),
)


def _decision_values(decision: Any) -> dict[str, Any]:
    """An employee-period row's decision columns from the rater's latest decision (None: undecided)."""
    return {
        "result_rating": decision.result_rating if decision else None,
        "behaviour_rating": decision.behaviour_rating if decision else None,
        "predicate": decision.predicate if decision else None,
        "overridden": decision.overridden if decision else None,
        "decision_reason": decision.reason if decision else None,
        "decided_by": decision.rater_id if decision else None,
        "decided_at": decision.decided_at if decision else None,
    }


def _summary_values(
    facts: RegionFacts,
    period: Period,
    plan: Any,
    indicator_rows: list[Any],
    progress: dict[str, Any],
    assessment: Any,
    person: Any,
    judgements: dict[str, Judgement] | None = None,
) -> dict[str, Any]:
    """An employee-period row's content from the plan in force, progress rows, assessments and judgements."""
    rules = facts.rules(period)
    structure = plan_structure(
        (row for row in indicator_rows if row.plan_id == plan.plan_id), period, facts.indicator
    )
    achievements: dict[str, IndicatorAchievement] = {}
    for indicator in (i for result in structure for i in result.indicators):
        row = progress.get(indicator.id)
        # A qualitative indicator is achieved by the rater's judgement, with or without activities.
        judgement = (judgements or {}).get(indicator.id)
        if not isinstance(indicator.target, QualitativeTarget):
            judgement = None
        if judgement is not None or (row is not None and row.activity_count):
            realisation = (
                realisation_from_totals(indicator.aggregation, totals_of(row))
                if row is not None
                else Realisation.empty(indicator.aggregation)
            )
            achievements[indicator.id] = assess_indicator(
                indicator, realisation, rules.achievement, judgement
            )
    assessed = assess_employee(structure, achievements, rules.employee_achievement)
    proposal: RatingProposal = propose_result_rating(
        assessed.achievement, assessed.verified_share, rules.rating
    )
    behaviour = behaviour_rating(assessment.proposed_rating, assessment.scores) if assessment else None
    return {
        "plan_id": plan.plan_id,
        "unit_id": person.unit_id if person else plan.unit_id or "",
        "job_type": person.job_type if person else plan.job_type or "",
        "rater_id": (person.supervisor_id if person and person.supervisor_id else plan.rater_id),
        "achievement": to_decimal(assessed.achievement),
        "main_achievement": to_decimal(assessed.main_achievement),
        "additional_bonus": to_decimal(assessed.additional_bonus),
        "verified_share": to_decimal(assessed.verified_share),
        "activity_count": sum(
            row.activity_count for indicator_id, row in progress.items() if indicator_id in achievements
        ),
        "indicator_outcomes": [_outcome_json(item) for item in assessed.indicators()],
        "rule_set_from": rules.effective_from,
        "proposed_result_rating": proposal.rating.value,
        "proposal_reasons": [_reason_json(reason) for reason in proposal.reasons],
        "behaviour_assessment_id": assessment.assessment_id if assessment else None,
        "proposed_behaviour_rating": behaviour.value if behaviour else None,
        "proposed_predicate": predicate_of(proposal.rating, behaviour).value if behaviour else None,
    }


# --- refreshing what a batch touched ---------------------------------------------------------------


async def refresh_views(
    session: AsyncSession,
    facts: RegionFacts,
    *,
    progress: dict[ProgressKey, Touch] | None = None,
    summaries: dict[SummaryKey, Touch] | None = None,
    employee_years: dict[EmployeeYear, Touch] | None = None,
    deltas: dict[ProgressKey, ProgressDelta] | None = None,
) -> None:
    """Refresh each touched view row once: progress rows, then the summaries of their periods.

    Every employee-year is widened to all its rows first (after a plan, calendar or rule change);
    those progress rows are recomputed from their contributions, while the rows only activity
    changes touched follow from ``deltas`` (all are recomputed without it).
    Rows of periods closed before the touching events happened are frozen and left alone.
    """
    progress = dict(progress or {})
    summaries = dict(summaries or {})
    recompute: set[ProgressKey] = set()
    if employee_years:
        wider_progress, wider_summaries = await _employee_year_keys(session, facts, employee_years)
        recompute.update(wider_progress)
        for row_key, found in wider_progress.items():
            touch(progress, row_key, found.event_id, found.at, found.count)
        for summary_key, found in wider_summaries.items():
            touch(summaries, summary_key, found.event_id, found.at, found.count)
    progress = {k: t for k, t in progress.items() if not facts.is_frozen(k[2], t.at)}
    for (employee_id, _, period_key), found in progress.items():
        touch(summaries, (employee_id, period_key), found.event_id, found.at, found.count)
    summaries = {k: t for k, t in summaries.items() if not facts.is_frozen(k[1], t.at)}
    # The plans in force of every employee concerned, read once for both.
    concerned = {e for e, _, _ in progress} | {e for e, _ in summaries}
    planned = await _plan_indicators_in_force(session, facts.region_id, concerned) if concerned else {}
    await _refresh_progress(session, facts, progress, deltas, recompute, planned)
    await _refresh_summaries(session, facts, summaries, planned)


async def _employee_year_keys(
    session: AsyncSession, facts: RegionFacts, employee_years: dict[EmployeeYear, Touch]
) -> tuple[dict[ProgressKey, Touch], dict[SummaryKey, Touch]]:
    """Every progress and summary row of the given employee-years (None: all the employee's years)."""
    region_id = facts.region_id
    employee_ids = sorted({e for e, _ in employee_years})
    ids = array_of(employee_ids, String())
    c = contributions.c
    # (employee, year) -> indicators that have activity or are planned, and periods with rows.
    indicators: dict[tuple[str, int], set[str]] = {}
    periods: dict[tuple[str, int], set[str]] = {}
    for activity in await session.execute(
        select(c.employee_id, c.year, c.indicator_id)
        .where(c.region_id == region_id, c.employee_id == any_(ids), c.year.is_not(None))
        .distinct()
    ):
        active = indicators.setdefault((activity.employee_id, activity.year), set())
        if activity.indicator_id is not None:
            active.add(activity.indicator_id)
    for (employee_id, year), rows in (
        await _plan_indicators_in_force(session, region_id, employee_ids)
    ).items():
        indicators.setdefault((employee_id, year), set()).update(row.indicator_id for row in rows)
    for planned in await session.execute(
        select(plans.c.employee_id, plans.c.year)
        .where(plans.c.region_id == region_id, plans.c.employee_id == any_(ids))
        .distinct()
    ):
        indicators.setdefault((planned.employee_id, planned.year), set())
    for table in (indicator_progress, employee_scores):
        for existing in await session.execute(
            select(table.c.employee_id, table.c.period)
            .where(table.c.region_id == region_id, table.c.employee_id == any_(ids))
            .distinct()
        ):
            periods.setdefault((existing.employee_id, int(existing.period[:4])), set()).add(existing.period)
    progress: dict[ProgressKey, Touch] = {}
    summaries: dict[SummaryKey, Touch] = {}
    for (employee_id, wanted), found in employee_years.items():
        years = [wanted] if wanted is not None else sorted({y for e, y in indicators if e == employee_id})
        for year in years:
            keys = {p.key for p in periods_in_year(year, facts.calendar.kind)} | {f"{year:04d}"}
            keys |= periods.get((employee_id, year), set())
            for key in keys:
                touch(summaries, (employee_id, key), found.event_id, found.at, 0)
                for indicator_id in indicators.get((employee_id, year), set()):
                    touch(progress, (employee_id, indicator_id, key), found.event_id, found.at, found.count)
    return progress, summaries


async def refresh_employee_years(
    session: AsyncSession,
    *,
    region_id: str,
    employee_years: Iterable[tuple[str, int]],
    event_id: str,
    at: datetime,
) -> None:
    """Refresh every view row of several employee-years at once."""
    touched: dict[EmployeeYear, Touch] = {}
    for employee_id, year in employee_years:
        touch(touched, (employee_id, year), event_id, at)
    if touched:
        await refresh_views(session, await region_facts(session, region_id), employee_years=touched)
