"""Keeps the materialized views current: each refresh recomputes one view row from the stored facts.

A refresh is a pure function of the facts (contributions, plans, assessments, rules), so the views do
not depend on the order events arrived in, and a replay into fresh tables rebuilds the same rows.
A row is written only when its content changes; it then records the event that changed it.
Periods closed before the event happened are frozen and never refreshed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    any_,
    column,
    delete,
    func,
    literal,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, distinct_on, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.tables import (
    behaviour_assessments,
    closed_periods,
    contributions,
    employee_scores,
    employees,
    indicator_progress,
    plan_indicators,
    plans,
    region_settings,
)
from services.scoring.domain.achievement import (
    Aggregation,
    Aspect,
    Direction,
    Indicator,
    IndicatorAchievement,
    NumericTarget,
    QualitativeTarget,
    RealisationTotals,
    Target,
    assess_indicator,
    realisation_from_totals,
)
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.behaviour import behaviour_rating
from services.scoring.domain.performance import PlannedResult, ResultKind, assess_employee
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key, period_of, periods_in_year
from services.scoring.domain.predicate import predicate_of
from services.scoring.domain.rating import ProposalReason, RatingProposal, propose_result_rating
from services.scoring.domain.rules import RuleBook, RuleSet
from services.scoring.domain.targets import period_target
from services.scoring.service_layer.rules import rule_book, rule_set_in

DEFAULT_TIMEZONE = "Asia/Jakarta"
DEFAULT_PERIOD_KIND = PeriodKind.QUARTERLY
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


@dataclass(frozen=True)
class Calendar:
    """A region's assessment calendar: its time zone and period kind."""

    timezone: str
    kind: PeriodKind

    def period_of(self, at: datetime) -> Period:
        """The region's period an instant falls in, by the region's own local date."""
        return period_of(at.astimezone(ZoneInfo(self.timezone)).date(), self.kind)


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
        return Calendar(DEFAULT_TIMEZONE, DEFAULT_PERIOD_KIND)
    return Calendar(row.timezone, PeriodKind(row.period_kind.upper()))


async def is_frozen(session: AsyncSession, region_id: str, key: str, at: datetime) -> bool:
    """Whether a period (or its year) was closed before ``at``: its views must not change."""
    closed = await session.scalar(
        select(closed_periods.c.period)
        .where(
            closed_periods.c.region_id == region_id,
            closed_periods.c.period.in_({key, key[:4]}),
            closed_periods.c.closed_at <= at,
        )
        .limit(1)
    )
    return closed is not None


# --- plans ---------------------------------------------------------------------------------------


async def refresh_plan_in_force(
    session: AsyncSession, *, region_id: str, employee_id: str, year: int
) -> None:
    """Mark the plan in force: the highest approved version that has not been superseded."""
    chosen = await session.scalar(
        select(plans.c.plan_id)
        .where(
            plans.c.region_id == region_id,
            plans.c.employee_id == employee_id,
            plans.c.year == year,
            plans.c.approved.is_(True),
            plans.c.superseded.is_(False),
        )
        .order_by(plans.c.version.desc().nulls_last(), plans.c.plan_id.desc())
        .limit(1)
    )
    await session.execute(
        update(plans)
        .where(plans.c.region_id == region_id, plans.c.employee_id == employee_id, plans.c.year == year)
        .values(in_force=plans.c.plan_id == chosen if chosen is not None else False)
    )


async def plan_in_force(
    session: AsyncSession, region_id: str, employee_id: str, year: int
) -> Row[Any] | None:
    """The employee's plan in force for a year, if any."""
    return (
        await session.execute(
            select(plans).where(
                plans.c.region_id == region_id,
                plans.c.employee_id == employee_id,
                plans.c.year == year,
                plans.c.in_force.is_(True),
            )
        )
    ).first()


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


@dataclass
class RegionFacts:
    """What every refresh in a region reads, loaded once per batch: calendar, closures, rule book."""

    region_id: str
    calendar: Calendar
    closures: dict[str, datetime]
    book: RuleBook

    def is_frozen(self, key: str, at: datetime) -> bool:
        """Whether a period (or its year) was closed before ``at`` (as ``is_frozen``)."""
        return any(
            closed is not None and closed <= at
            for closed in (self.closures.get(key), self.closures.get(key[:4]))
        )

    def rules(self, period: Period) -> RuleSet:
        """The rule set scoring a period."""
        return rule_set_in(self.book, self.region_id, period)


async def region_facts(session: AsyncSession, region_id: str) -> RegionFacts:
    """Load a region's calendar, closed periods and rule book."""
    closures = {
        row.period: row.closed_at
        for row in await session.execute(
            select(closed_periods.c.period, closed_periods.c.closed_at).where(
                closed_periods.c.region_id == region_id
            )
        )
    }
    return RegionFacts(
        region_id, await calendar(session, region_id), closures, await rule_book(session, region_id)
    )


def _array(values: Iterable[Any], item_type: Any) -> Any:
    # One array parameter however many keys: the statement text (and its prepared plan) stays the same.
    return literal(list(values), ARRAY(item_type))


def _keys(name: str, columns: dict[str, tuple[list[Any], Any]]) -> Any:
    """The given keys as a table, ``unnest(...) AS name(column, ...)``, to join view rows to."""
    return (
        func.unnest(*(_array(values, item_type) for values, item_type in columns.values()))
        .table_valued(*(column(label, item_type) for label, (_, item_type) in columns.items()))
        .render_derived(name=name)
    )


# --- per employee, indicator and period ------------------------------------------------------------


def _totals_statement(region_id: str, keys: list[ProgressKey], *, years: bool) -> Any:
    """Totals of the contributions behind each key, one row per key that has any (GROUP BY)."""
    c = contributions.c
    table = _keys(
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
    return (
        select(
            table.c.employee_id,
            table.c.indicator_id,
            table.c.period,
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
        )
        .select_from(table)
        .join(
            contributions,
            and_(
                c.employee_id == table.c.employee_id,
                c.indicator_id == table.c.indicator_id,
                period_match,
            ),
        )
        .where(c.region_id == region_id)
        .group_by(table.c.employee_id, table.c.indicator_id, table.c.period)
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
    rows = await session.execute(
        select(plan_indicators)
        .join(
            plans,
            and_(
                plans.c.region_id == plan_indicators.c.region_id, plans.c.plan_id == plan_indicators.c.plan_id
            ),
        )
        .where(
            plans.c.region_id == region_id,
            plans.c.in_force.is_(True),
            plans.c.employee_id == any_(_array(sorted(set(employee_ids)), String())),
        )
        .order_by(plan_indicators.c.plan_id, plan_indicators.c.position)
    )
    grouped: dict[tuple[str, int], list[Any]] = {}
    for row in rows:
        grouped.setdefault((row.employee_id, row.year), []).append(row)
    return grouped


def _unchanged(current: Any, values: dict[str, Any]) -> bool:
    return current is not None and all(getattr(current, name) == value for name, value in values.items())


async def _refresh_progress(
    session: AsyncSession, facts: RegionFacts, touched: dict[ProgressKey, Touch]
) -> None:
    """Recompute the touched employee-indicator-period rows from their contributions, all at once."""
    if not touched:
        return
    region_id = facts.region_id
    keys = sorted(touched)
    key_table = _keys(
        "k",
        {
            "employee_id": ([e for e, _, _ in keys], String()),
            "indicator_id": ([i for _, i, _ in keys], String()),
            "period": ([p for _, _, p in keys], String()),
        },
    )
    pk = tuple_(
        indicator_progress.c.employee_id, indicator_progress.c.indicator_id, indicator_progress.c.period
    )
    in_keys = pk.in_(select(key_table.c.employee_id, key_table.c.indicator_id, key_table.c.period))
    current = {
        (row.employee_id, row.indicator_id, row.period): row
        for row in await session.execute(
            select(indicator_progress).where(indicator_progress.c.region_id == region_id, in_keys)
        )
    }
    totals = await _totals(session, region_id, keys)
    planned_by_year = await _plan_indicators_in_force(session, region_id, (e for e, _, _ in keys))
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
        gone = _keys(
            "k",
            {
                "employee_id": ([e for e, _, _ in deletes], String()),
                "indicator_id": ([i for _, i, _ in deletes], String()),
                "period": ([p for _, _, p in deletes], String()),
            },
        )
        await session.execute(
            delete(indicator_progress).where(
                indicator_progress.c.region_id == region_id,
                pk.in_(select(gone.c.employee_id, gone.c.indicator_id, gone.c.period)),
            )
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
        indicator = indicator_of(planned, period)
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


async def employee_record(session: AsyncSession, region_id: str, employee_id: str) -> Row[Any] | None:
    """The team read model's row of an employee."""
    return (
        await session.execute(
            select(employees).where(
                employees.c.region_id == region_id, employees.c.employee_id == employee_id
            )
        )
    ).first()


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


async def _refresh_summaries(
    session: AsyncSession, facts: RegionFacts, touched: dict[SummaryKey, Touch]
) -> None:
    """Recompute the touched employee-period rows (achievement, proposals, predicate), all at once."""
    if not touched:
        return
    region_id = facts.region_id
    keys = sorted(touched)
    employee_ids = sorted({e for e, _ in keys})

    def key_table() -> Any:
        return _keys(
            "k", {"employee_id": ([e for e, _ in keys], String()), "period": ([p for _, p in keys], String())}
        )

    s, k = employee_scores, key_table()
    current = {
        (row.employee_id, row.period): row
        for row in await session.execute(
            select(s).where(
                s.c.region_id == region_id,
                tuple_(s.c.employee_id, s.c.period).in_(select(k.c.employee_id, k.c.period)),
            )
        )
    }
    in_force = {
        (row.employee_id, row.year): row
        for row in await session.execute(
            select(plans).where(
                plans.c.region_id == region_id,
                plans.c.in_force.is_(True),
                plans.c.employee_id == any_(_array(employee_ids, String())),
            )
        )
    }
    indicator_rows = await _plan_indicators_in_force(session, region_id, employee_ids)
    p, k = indicator_progress, key_table()
    progress: dict[SummaryKey, dict[str, Any]] = {}
    for row in await session.execute(
        select(p).where(
            p.c.region_id == region_id,
            tuple_(p.c.employee_id, p.c.period).in_(select(k.c.employee_id, k.c.period)),
        )
    ):
        progress.setdefault((row.employee_id, row.period), {})[row.indicator_id] = row
    b, k = behaviour_assessments, key_table()
    assessments = {
        (row.employee_id, row.period): row
        for row in await session.execute(
            select(b)
            .where(
                b.c.region_id == region_id,
                b.c.assessor_role == "rater",
                tuple_(b.c.employee_id, b.c.period).in_(select(k.c.employee_id, k.c.period)),
            )
            .ext(distinct_on(b.c.employee_id, b.c.period))
            .order_by(
                b.c.employee_id, b.c.period, b.c.submitted_at.desc(), b.c.assessment_id.collate("C").desc()
            )
        )
    }
    people = {
        row.employee_id: row
        for row in await session.execute(
            select(employees).where(
                employees.c.region_id == region_id,
                employees.c.employee_id == any_(_array(employee_ids, String())),
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
            # No plan in force (or a period the region no longer uses): nothing to score. A row the
            # rater already decided stays, because a decision is a fact auditors must still see.
            if stored is not None and stored.result_rating is None:
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
        )
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
        gone = _keys(
            "k",
            {
                "employee_id": ([e for e, _ in deletes], String()),
                "period": ([p for _, p in deletes], String()),
            },
        )
        await session.execute(
            delete(s).where(
                s.c.region_id == region_id,
                tuple_(s.c.employee_id, s.c.period).in_(select(gone.c.employee_id, gone.c.period)),
            )
        )


def _summary_values(
    facts: RegionFacts,
    period: Period,
    plan: Any,
    indicator_rows: list[Any],
    progress: dict[str, Any],
    assessment: Any,
    person: Any,
) -> dict[str, Any]:
    """An employee-period row's content from the plan in force, progress rows and assessments."""
    rules = facts.rules(period)
    structure = plan_structure((row for row in indicator_rows if row.plan_id == plan.plan_id), period)
    achievements: dict[str, IndicatorAchievement] = {}
    for indicator in (i for result in structure for i in result.indicators):
        row = progress.get(indicator.id)
        if row is not None and row.activity_count:
            realisation = realisation_from_totals(indicator.aggregation, totals_of(row))
            achievements[indicator.id] = assess_indicator(indicator, realisation, rules.achievement)
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
) -> None:
    """Refresh each touched view row once: progress rows, then the summaries of their periods.

    Every employee-year is widened to all its rows first (after a plan, calendar or rule change).
    Rows of periods closed before the touching events happened are frozen and left alone.
    """
    progress = dict(progress or {})
    summaries = dict(summaries or {})
    if employee_years:
        wider_progress, wider_summaries = await _employee_year_keys(session, facts, employee_years)
        for row_key, found in wider_progress.items():
            touch(progress, row_key, found.event_id, found.at, found.count)
        for summary_key, found in wider_summaries.items():
            touch(summaries, summary_key, found.event_id, found.at, found.count)
    progress = {k: t for k, t in progress.items() if not facts.is_frozen(k[2], t.at)}
    for (employee_id, _, period_key), found in progress.items():
        touch(summaries, (employee_id, period_key), found.event_id, found.at, found.count)
    summaries = {k: t for k, t in summaries.items() if not facts.is_frozen(k[1], t.at)}
    await _refresh_progress(session, facts, progress)
    await _refresh_summaries(session, facts, summaries)


async def _employee_year_keys(
    session: AsyncSession, facts: RegionFacts, employee_years: dict[EmployeeYear, Touch]
) -> tuple[dict[ProgressKey, Touch], dict[SummaryKey, Touch]]:
    """Every progress and summary row of the given employee-years (None: all the employee's years)."""
    region_id = facts.region_id
    employee_ids = sorted({e for e, _ in employee_years})
    ids = _array(employee_ids, String())
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


async def refresh_employee_year(
    session: AsyncSession, *, region_id: str, employee_id: str, year: int, event_id: str, at: datetime
) -> None:
    """Refresh every view row of an employee in a year (after a plan, calendar or rule change)."""
    await refresh_employee_years(
        session, region_id=region_id, employee_years=[(employee_id, year)], event_id=event_id, at=at
    )


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
