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

from sqlalchemy import ARRAY, and_, delete, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
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
from services.scoring.domain.targets import period_target
from services.scoring.service_layer.rules import rule_set_for

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


# --- per employee, indicator and period ------------------------------------------------------------


def _key_filter(period: Period) -> ColumnElement[bool]:
    if period.kind is PeriodKind.YEAR:
        return contributions.c.year == period.year
    return contributions.c.period == period.key


async def _totals(
    session: AsyncSession, region_id: str, employee_id: str, indicator_id: str, period: Period
) -> Row[Any]:
    c = contributions.c
    counted = and_(c.reported.is_(True), c.status != ActivityStatus.REJECTED.value)
    verified = and_(counted, c.status == ActivityStatus.VERIFIED.value)
    rejected = and_(c.reported.is_(True), c.status == ActivityStatus.REJECTED.value)
    # The domain orders LAST by (time, id) in code-point order; "C" collation matches that in SQL.
    order = (c.occurred_at.desc(), c.activity_id.collate("C").desc())

    def latest(column: Any, condition: ColumnElement[bool]) -> Any:
        aggregated = func.array_agg(aggregate_order_by(column, *order)).filter(condition)
        return type_coerce(aggregated, ARRAY(column.type))[1]

    zero = Decimal(0)
    statement = select(
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
    ).where(
        c.region_id == region_id,
        c.employee_id == employee_id,
        c.indicator_id == indicator_id,
        _key_filter(period),
    )
    return (await session.execute(statement)).one()


async def _plan_indicator(
    session: AsyncSession, region_id: str, employee_id: str, year: int, indicator_id: str
) -> Row[Any] | None:
    return (
        await session.execute(
            select(plan_indicators)
            .join(plans, plans.c.plan_id == plan_indicators.c.plan_id)
            .where(
                plans.c.region_id == region_id,
                plans.c.employee_id == employee_id,
                plans.c.year == year,
                plans.c.in_force.is_(True),
                plan_indicators.c.indicator_id == indicator_id,
            )
        )
    ).first()


def _unchanged(current: Any, values: dict[str, Any]) -> bool:
    return current is not None and all(getattr(current, name) == value for name, value in values.items())


async def refresh_progress(
    session: AsyncSession, *, region_id: str, employee_id: str, indicator_id: str, key: str, event_id: str
) -> bool:
    """Recompute one employee-indicator-period row from its contributions; True if it changed."""
    period = parse_period_key(key)
    pk = (
        indicator_progress.c.employee_id == employee_id,
        indicator_progress.c.indicator_id == indicator_id,
        indicator_progress.c.period == key,
        indicator_progress.c.region_id == region_id,
    )
    current = (await session.execute(select(indicator_progress).where(*pk))).first()
    totals_row = await _totals(session, region_id, employee_id, indicator_id, period)
    if totals_row.activity_count == 0 and totals_row.rejected_count == 0:
        if current is None:
            return False
        await session.execute(delete(indicator_progress).where(*pk))
        return True
    planned = await _plan_indicator(session, region_id, employee_id, period.year, indicator_id)
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
            rules = await rule_set_for(session, region_id, period)
            achievement = assess_indicator(indicator, realisation, rules.achievement).achievement
    values |= {
        "target": to_decimal(target),
        "realisation": to_decimal(realisation.value),
        "verified_share": to_decimal(realisation.verified_share),
        "achievement": to_decimal(achievement),
    }
    if _unchanged(current, values):
        return False
    row = values | {
        "employee_id": employee_id,
        "indicator_id": indicator_id,
        "period": key,
        "region_id": region_id,
        "events_applied": (current.events_applied if current else 0) + 1,
        "last_event_id": event_id,
        "updated_at": now(),
    }
    statement = insert(indicator_progress).values(row)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "employee_id", "indicator_id", "period"],
            set_={
                name: statement.excluded[name]
                for name in row
                if name not in ("region_id", "employee_id", "indicator_id", "period")
            },
        )
    )
    return True


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


async def refresh_summary(
    session: AsyncSession, *, region_id: str, employee_id: str, key: str, event_id: str
) -> bool:
    """Recompute one employee-period row (achievement, proposals, predicate); True if it changed."""
    period = parse_period_key(key)
    pk = (
        employee_scores.c.employee_id == employee_id,
        employee_scores.c.period == key,
        employee_scores.c.region_id == region_id,
    )
    current = (await session.execute(select(employee_scores).where(*pk))).first()
    plan = await plan_in_force(session, region_id, employee_id, period.year)
    region_kind = (await calendar(session, region_id)).kind
    if plan is None or period.kind not in (region_kind, PeriodKind.YEAR):
        # No plan in force (or a period the region no longer uses): nothing to score. A row the rater
        # already decided stays, because a decision is a fact auditors must still see.
        if current is None or current.result_rating is not None:
            return False
        await session.execute(delete(employee_scores).where(*pk))
        return True
    indicator_rows = (
        await session.execute(
            select(plan_indicators)
            .where(plan_indicators.c.plan_id == plan.plan_id, plan_indicators.c.region_id == region_id)
            .order_by(plan_indicators.c.position)
        )
    ).all()
    progress = {
        row.indicator_id: row
        for row in (
            await session.execute(
                select(indicator_progress).where(
                    indicator_progress.c.region_id == region_id,
                    indicator_progress.c.employee_id == employee_id,
                    indicator_progress.c.period == key,
                )
            )
        ).all()
    }
    rules = await rule_set_for(session, region_id, period)
    structure = plan_structure(indicator_rows, period)
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
    assessment = await latest_rater_assessment(session, region_id, employee_id, key)
    behaviour = behaviour_rating(assessment.proposed_rating, assessment.scores) if assessment else None
    person = await employee_record(session, region_id, employee_id)
    values: dict[str, Any] = {
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
    if _unchanged(current, values):
        return False
    record = values | {
        "employee_id": employee_id,
        "period": key,
        "region_id": region_id,
        "last_event_id": event_id,
        "updated_at": now(),
    }
    statement = insert(employee_scores).values(record)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "employee_id", "period"],
            set_={
                name: statement.excluded[name]
                for name in record
                if name not in ("region_id", "employee_id", "period")
            },
        )
    )
    return True


# --- wider refreshes -----------------------------------------------------------------------------


async def refresh_keys(
    session: AsyncSession,
    *,
    region_id: str,
    employee_id: str,
    indicator_keys: Iterable[tuple[str, str]],
    event_id: str,
    at: datetime,
) -> None:
    """Refresh the given (indicator, period) rows and the employee's summaries of those periods."""
    pairs = sorted(set(indicator_keys))
    frozen = {key for key in {k for _, k in pairs} if await is_frozen(session, region_id, key, at)}
    for indicator_id, key in pairs:
        if key not in frozen:
            await refresh_progress(
                session,
                region_id=region_id,
                employee_id=employee_id,
                indicator_id=indicator_id,
                key=key,
                event_id=event_id,
            )
    for key in sorted({k for _, k in pairs} - frozen):
        await refresh_summary(
            session, region_id=region_id, employee_id=employee_id, key=key, event_id=event_id
        )


async def refresh_employee_year(
    session: AsyncSession, *, region_id: str, employee_id: str, year: int, event_id: str, at: datetime
) -> None:
    """Refresh every view row of an employee in a year (after a plan, calendar or rule change)."""
    kind = (await calendar(session, region_id)).kind
    prefix = f"{year:04d}%"
    keys = {period.key for period in periods_in_year(year, kind)} | {f"{year:04d}"}
    keys |= set(
        (
            await session.scalars(
                select(indicator_progress.c.period).where(
                    indicator_progress.c.region_id == region_id,
                    indicator_progress.c.employee_id == employee_id,
                    indicator_progress.c.period.like(prefix),
                )
            )
        ).all()
    )
    keys |= set(
        (
            await session.scalars(
                select(employee_scores.c.period).where(
                    employee_scores.c.region_id == region_id,
                    employee_scores.c.employee_id == employee_id,
                    employee_scores.c.period.like(prefix),
                )
            )
        ).all()
    )
    indicator_ids = set(
        (
            await session.scalars(
                select(contributions.c.indicator_id).where(
                    contributions.c.region_id == region_id,
                    contributions.c.employee_id == employee_id,
                    contributions.c.year == year,
                    contributions.c.indicator_id.is_not(None),
                )
            )
        ).all()
    )
    indicator_ids |= set(
        (
            await session.scalars(
                select(plan_indicators.c.indicator_id)
                .join(plans, plans.c.plan_id == plan_indicators.c.plan_id)
                .where(
                    plans.c.region_id == region_id,
                    plans.c.employee_id == employee_id,
                    plans.c.year == year,
                    plans.c.in_force.is_(True),
                )
            )
        ).all()
    )
    await refresh_keys(
        session,
        region_id=region_id,
        employee_id=employee_id,
        indicator_keys=[(indicator_id, key) for indicator_id in indicator_ids for key in keys],
        event_id=event_id,
        at=at,
    )
    # Summaries exist for periods without any activity too (a plan with nothing reported yet).
    if not indicator_ids:
        for key in sorted(keys):
            if not await is_frozen(session, region_id, key, at):
                await refresh_summary(
                    session, region_id=region_id, employee_id=employee_id, key=key, event_id=event_id
                )


async def years_of(session: AsyncSession, region_id: str, employee_id: str) -> list[int]:
    """The years an employee has plans or activity in."""
    years = set(
        (
            await session.scalars(
                select(plans.c.year).where(plans.c.region_id == region_id, plans.c.employee_id == employee_id)
            )
        ).all()
    )
    years |= set(
        (
            await session.scalars(
                select(contributions.c.year).where(
                    contributions.c.region_id == region_id,
                    contributions.c.employee_id == employee_id,
                    contributions.c.year.is_not(None),
                )
            )
        ).all()
    )
    return sorted(years)
