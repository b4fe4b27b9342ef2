"""Read side of scoring: scorecards and dashboards straight from the materialized views.

Nothing here recomputes a realisation or a proposal: reads take the stored view rows and only
aggregate them (counts, means, rankings) or attach the facts behind them.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.tables import (
    behaviour_assessments,
    closed_periods,
    complaint_breaches,
    contributions,
    employee_scores,
    employees,
    field_visits,
    indicator_progress,
    plan_indicators,
    rating_decisions,
    unit_satisfaction,
    units,
)
from services.scoring.domain.achievement import NumericTarget
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.distribution import check_distribution
from services.scoring.domain.periods import (
    InvalidPeriodError,
    Period,
    PeriodKind,
    parse_period_key,
    periods_in_year,
)
from services.scoring.domain.predicate import OrganisationPredicate, Predicate
from services.scoring.domain.rewards import RewardCandidate, ranking_key
from services.scoring.entrypoints.schemas import (
    ActivityRead,
    BehaviourRead,
    DecisionRead,
    DistributionCheckRead,
    DistributionWarning,
    FieldVisitRead,
    IndicatorScore,
    PredicateCount,
    ProposalReasonRead,
    RankingEntry,
    RegionDashboardRead,
    SatisfactionRead,
    ScorecardRead,
    TrendPoint,
    UnitDashboardRead,
    UnitSummary,
)
from services.scoring.service_layer.rules import rule_set_for
from services.scoring.service_layer.views import calendar, indicator_of, to_decimal
from shared.auth import Principal, Role
from shared.errors import Forbidden, NotFound, Unprocessable


def parse_period(key: str) -> Period:
    """A period named by the caller, or a clear 422 naming the field."""
    try:
        return parse_period_key(key)
    except InvalidPeriodError as exc:
        raise Unprocessable(
            "invalid_period",
            f"Not a period: {exc}.",
            f"Bukan periode yang sah: {key!r}.",
            field="period",
        ) from exc


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
        select(employees.c.supervisor_id).where(
            employees.c.region_id == region_id, employees.c.employee_id == employee_id
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


def _invisible() -> NotFound:
    return NotFound(
        "no_scorecard",
        "No scorecard you may see for this employee and period.",
        "Tidak ada kartu kinerja yang boleh Anda lihat untuk pegawai dan periode ini.",
        field="employee_id",
    )


async def _activities(
    session: AsyncSession, region_id: str, employee_id: str, period: Period
) -> dict[str, list[ActivityRead]]:
    key_filter = (
        contributions.c.year == period.year
        if period.kind is PeriodKind.YEAR
        else contributions.c.period == period.key
    )
    rows = (
        await session.execute(
            select(contributions)
            .where(
                contributions.c.region_id == region_id,
                contributions.c.employee_id == employee_id,
                contributions.c.reported.is_(True),
                key_filter,
            )
            .order_by(contributions.c.occurred_at, contributions.c.activity_id)
        )
    ).all()
    grouped: dict[str, list[ActivityRead]] = {}
    for row in rows:
        grouped.setdefault(row.indicator_id, []).append(
            ActivityRead(
                activity_id=row.activity_id,
                occurred_at=row.occurred_at,
                quantity=row.quantity,
                denominator=row.denominator,
                status=row.status,
                counted=row.status != ActivityStatus.REJECTED.value,
                corrected=row.measure_corrected,
                evidence_count=len(row.evidence_sha256),
            )
        )
    return grouped


async def scorecard(
    *, session: AsyncSession, principal: Principal, employee_id: str, period: str
) -> ScorecardRead:
    """An employee's scorecard; every number traceable to the activities behind it."""
    parsed = parse_period(period)
    region_id = principal.region
    summary = await summary_row(session, region_id, employee_id, parsed.key)
    if summary is None:
        raise _invisible()
    own = principal.employee_id == employee_id
    rater = principal.has(Role.RATER) and principal.employee_id is not None
    allowed = (
        principal.has(Role.REGION_ADMIN, Role.AUDITOR)
        or own
        or (
            rater
            and await rater_of(session, region_id, employee_id, summary.rater_id) == principal.employee_id
        )
    )
    if not allowed:
        raise _invisible()
    indicator_rows = (
        await session.execute(
            select(plan_indicators)
            .where(plan_indicators.c.plan_id == summary.plan_id, plan_indicators.c.region_id == region_id)
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
                    indicator_progress.c.period == parsed.key,
                )
            )
        ).all()
    }
    outcomes = {item["indicator_id"]: item for item in summary.indicator_outcomes}
    activities = await _activities(session, region_id, employee_id, parsed)
    indicators = []
    for planned in indicator_rows:
        row = progress.get(planned.indicator_id)
        indicators.append(
            IndicatorScore(
                indicator_id=planned.indicator_id,
                code=planned.code,
                name=planned.name,
                result_id=planned.result_id,
                result_kind=planned.result_kind,
                aspect=planned.aspect,
                direction=planned.direction,
                aggregation=planned.aggregation,
                unit_of_measure=planned.unit_of_measure,
                target=row.target if row else _target_without_activity(planned, parsed),
                qualitative_target=planned.qualitative_target,
                realisation=row.realisation if row else None,
                verified_share=row.verified_share if row else None,
                achievement=row.achievement if row else None,
                basis=outcomes.get(planned.indicator_id, {}).get("basis", "NO_DATA"),
                activity_count=row.activity_count if row else 0,
                verified_count=row.verified_count if row else 0,
                rejected_count=row.rejected_count if row else 0,
                last_activity_at=row.last_occurred_at if row else None,
                last_activity_id=row.last_activity_id if row else None,
                events_applied=row.events_applied if row else 0,
                last_event_id=row.last_event_id if row else None,
                updated_at=row.updated_at if row else None,
                activities=activities.get(planned.indicator_id, []),
            )
        )
    assessment = None
    if summary.behaviour_assessment_id:
        found = (
            await session.execute(
                select(behaviour_assessments).where(
                    behaviour_assessments.c.region_id == region_id,
                    behaviour_assessments.c.assessment_id == summary.behaviour_assessment_id,
                )
            )
        ).first()
        if found is not None:
            assessment = BehaviourRead(
                assessment_id=found.assessment_id,
                assessor_id=found.assessor_id,
                proposed_rating=found.proposed_rating,
                scores=found.scores,
                submitted_at=found.submitted_at,
            )
    visits = (
        await session.execute(
            select(field_visits)
            .where(
                field_visits.c.region_id == region_id,
                field_visits.c.employee_id == employee_id,
                period_filter(field_visits.c.period, parsed),
            )
            .order_by(field_visits.c.visited_at)
        )
    ).all()
    return ScorecardRead(
        employee_id=employee_id,
        region_id=region_id,
        period=parsed.key,
        plan_id=summary.plan_id,
        unit_id=summary.unit_id,
        job_type=summary.job_type,
        rater_id=summary.rater_id,
        achievement=summary.achievement,
        main_achievement=summary.main_achievement,
        additional_bonus=summary.additional_bonus,
        verified_share=summary.verified_share,
        activity_count=summary.activity_count,
        rule_set_from=summary.rule_set_from,
        proposed_result_rating=summary.proposed_result_rating,
        proposal_reasons=[ProposalReasonRead.model_validate(reason) for reason in summary.proposal_reasons],
        proposed_behaviour_rating=summary.proposed_behaviour_rating,
        behaviour_assessment=assessment,
        proposed_predicate=summary.proposed_predicate,
        decision=await _decision(session, summary),
        predicate=summary.predicate,
        period_closed=await is_closed(session, region_id, parsed),
        field_visits=[
            FieldVisitRead(
                visit_id=visit.visit_id,
                supervisor_id=visit.supervisor_id,
                visited_at=visit.visited_at,
                location=visit.location,
                findings=visit.findings,
                follow_up=visit.follow_up,
            )
            for visit in visits
        ],
        indicators=indicators,
        last_event_id=summary.last_event_id,
        updated_at=summary.updated_at,
    )


def _target_without_activity(planned: Any, period: Period) -> Decimal | None:
    """The period target of an indicator nobody reported on yet (no progress row holds it)."""
    target = indicator_of(planned, period).target
    return to_decimal(target.value) if isinstance(target, NumericTarget) else None


async def _decision(session: AsyncSession, summary: Row[Any]) -> DecisionRead | None:
    if summary.result_rating is None:
        return None
    latest = (
        await session.execute(
            select(rating_decisions)
            .where(
                rating_decisions.c.region_id == summary.region_id,
                rating_decisions.c.employee_id == summary.employee_id,
                rating_decisions.c.period == summary.period,
            )
            .order_by(rating_decisions.c.decided_at.desc())
            .limit(1)
        )
    ).first()
    changed = latest is not None and (
        latest.proposed_result_rating != summary.proposed_result_rating
        or latest.proposed_behaviour_rating != summary.proposed_behaviour_rating
    )
    return DecisionRead(
        result_rating=summary.result_rating,
        behaviour_rating=summary.behaviour_rating,
        predicate=summary.predicate,
        overridden=bool(summary.overridden),
        reason=summary.decision_reason,
        decided_by=summary.decided_by,
        decided_at=summary.decided_at,
        proposal_changed_since=changed,
    )


# --- dashboards ----------------------------------------------------------------------------------


def current_predicate(row: Any) -> Predicate | None:
    """The predicate that counts live: the confirmed one, else the proposal (once behaviour is known)."""
    value = row.predicate or row.proposed_predicate
    return Predicate(value) if value else None


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return to_decimal(sum((Fraction(v) for v in values), Fraction(0)) / len(values))


def _predicate_counts(predicates: list[Predicate]) -> list[PredicateCount]:
    counts = Counter(predicates)
    return [PredicateCount(predicate=p.value, label_id=p.label_id, count=counts[p]) for p in Predicate]


async def _scores(
    session: AsyncSession, region_id: str, period: str, unit_id: str | None = None
) -> list[Row[Any]]:
    conditions = [employee_scores.c.region_id == region_id, employee_scores.c.period == period]
    if unit_id is not None:
        conditions.append(employee_scores.c.unit_id == unit_id)
    return list((await session.execute(select(employee_scores).where(*conditions))).all())


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


async def _unit(session: AsyncSession, region_id: str, unit_id: str) -> Row[Any] | None:
    return (
        await session.execute(select(units).where(units.c.region_id == region_id, units.c.unit_id == unit_id))
    ).first()


async def ensure_known_unit(session: AsyncSession, region_id: str, unit_id: str) -> None:
    """404 for a unit this region does not have (another region's units are invisible, not empty)."""
    known = await _unit(session, region_id, unit_id) is not None or (
        await session.scalar(
            select(employees.c.employee_id)
            .where(employees.c.region_id == region_id, employees.c.unit_id == unit_id)
            .limit(1)
        )
        is not None
    )
    if not known:
        raise NotFound(
            "unknown_unit",
            "No such unit in your region.",
            "Unit tersebut tidak ada di daerah Anda.",
            field="unit_id",
        )


async def distribution_check(
    session: AsyncSession,
    region_id: str,
    period: Period,
    organisation_predicate: str | None,
    rows: list[Row[Any]],
) -> DistributionCheckRead | None:
    """The live distribution check of a unit's predicates (None without an organisation predicate)."""
    if not organisation_predicate:
        return None
    try:
        organisation = OrganisationPredicate(organisation_predicate.upper())
    except ValueError:
        return None
    rules = await rule_set_for(session, region_id, period)
    predicates = [p for p in (current_predicate(row) for row in rows) if p is not None]
    report = check_distribution(organisation, predicates, rules.distribution)
    return DistributionCheckRead(
        organisation_predicate=organisation.value,
        compliant=report.compliant,
        warnings=[
            DistributionWarning(
                message_en=result.message_en,
                message_id=result.message_id,
                actual_count=result.actual_count,
                required_count=result.required_count,
            )
            for result in report.violations
        ],
    )


async def _trend(
    session: AsyncSession, region_id: str, period: Period, unit_id: str | None
) -> list[TrendPoint]:
    kind = (await calendar(session, region_id)).kind
    keys = [p.key for p in periods_in_year(period.year, kind)]
    conditions = [employee_scores.c.region_id == region_id, employee_scores.c.period.in_(keys)]
    if unit_id is not None:
        conditions.append(employee_scores.c.unit_id == unit_id)
    rows = (
        await session.execute(
            select(employee_scores.c.period, employee_scores.c.achievement).where(*conditions)
        )
    ).all()
    year = Period(period.year, PeriodKind.YEAR)
    breaches_by_period: Counter[str] = Counter()
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
        in_period = [row for row in rows if row.period == key]
        points.append(
            TrendPoint(
                period=key,
                employees=len(in_period),
                achievement_mean=_mean([row.achievement for row in in_period if row.achievement is not None]),
                complaint_breaches=breaches_by_period[key],
            )
        )
    return points


def ranking(rows: list[Row[Any]], period: str) -> list[RankingEntry]:
    """Employees best first: predicate, then achievement (the rewards module's order)."""
    ranked = sorted(
        rows,
        key=lambda row: ranking_key(
            RewardCandidate(
                row.employee_id,
                row.unit_id,
                row.job_type,
                period,
                current_predicate(row) or Predicate.SANGAT_KURANG,
                None if row.achievement is None else Fraction(row.achievement),
            )
        ),
    )
    return [
        RankingEntry(
            rank=position,
            employee_id=row.employee_id,
            job_type=row.job_type,
            predicate=(p.value if (p := current_predicate(row)) else None),
            achievement=row.achievement,
        )
        for position, row in enumerate(ranked, start=1)
    ]


async def unit_dashboard(
    *, session: AsyncSession, principal: Principal, unit_id: str, period: str
) -> UnitDashboardRead:
    """A unit's dashboard: predicates and their distribution check, citizens' signals, trend, ranking."""
    parsed = parse_period(period)
    region_id = principal.region
    await ensure_known_unit(session, region_id, unit_id)
    unit = await _unit(session, region_id, unit_id)
    rows = await _scores(session, region_id, parsed.key, unit_id)
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        # A rater sees the dashboard of their own unit, and only their own team by name.
        own_unit = await session.scalar(
            select(employees.c.unit_id).where(
                employees.c.region_id == region_id, employees.c.employee_id == principal.employee_id
            )
        )
        if own_unit != unit_id:
            raise Forbidden(
                "not_your_unit",
                "Raters see only their own unit's dashboard.",
                "Penilai hanya dapat melihat dasbor unitnya sendiri.",
                field="unit_id",
            )
    satisfaction = (
        await session.execute(
            select(unit_satisfaction).where(
                unit_satisfaction.c.region_id == region_id,
                unit_satisfaction.c.unit_id == unit_id,
                unit_satisfaction.c.period == parsed.key,
            )
        )
    ).all()
    breaches = await _breaches(session, region_id, parsed, unit_id)
    predicates = [p for p in (current_predicate(row) for row in rows) if p is not None]
    organisation_predicate = unit.organisation_predicate if unit else None
    ranked = ranking(rows, parsed.key)
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        team = {row.employee_id for row in rows if row.rater_id == principal.employee_id}
        ranked = [entry for entry in ranked if entry.employee_id in team]
    return UnitDashboardRead(
        unit_id=unit_id,
        region_id=region_id,
        period=parsed.key,
        unit_name=unit.name if unit else None,
        organisation_predicate=organisation_predicate,
        employees=len(rows),
        achievement_mean=_mean([row.achievement for row in rows if row.achievement is not None]),
        predicates=_predicate_counts(predicates),
        without_predicate=len(rows) - len(predicates),
        decided=sum(1 for row in rows if row.predicate),
        distribution=await distribution_check(session, region_id, parsed, organisation_predicate, rows),
        satisfaction=[SatisfactionRead.model_validate(dict(row._mapping)) for row in satisfaction],
        complaint_breaches=sum(breaches.values()),
        complaint_breaches_by_stage={stage: count for (_, stage), count in sorted(breaches.items())},
        trend=await _trend(session, region_id, parsed, unit_id),
        ranking=ranked,
    )


async def region_dashboard(
    *, session: AsyncSession, principal: Principal, period: str
) -> RegionDashboardRead:
    """A region's dashboard: every unit's figures side by side."""
    parsed = parse_period(period)
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
    satisfaction = (
        await session.execute(
            select(unit_satisfaction.c.unit_id, unit_satisfaction.c.satisfaction_index).where(
                unit_satisfaction.c.region_id == region_id, unit_satisfaction.c.period == parsed.key
            )
        )
    ).all()
    indices: dict[str, list[Decimal]] = {}
    for unit_id, index in satisfaction:
        indices.setdefault(unit_id, []).append(index)
    summaries = []
    for unit_id in sorted(set(by_unit) | set(known_units) | {u for u, _ in breaches}):
        members = by_unit.get(unit_id, [])
        unit = known_units.get(unit_id)
        check = await distribution_check(
            session, region_id, parsed, unit.organisation_predicate if unit else None, members
        )
        summaries.append(
            UnitSummary(
                unit_id=unit_id,
                unit_name=unit.name if unit else None,
                employees=len(members),
                achievement_mean=_mean([row.achievement for row in members if row.achievement is not None]),
                distribution_compliant=check.compliant if check else None,
                complaint_breaches=sum(count for (u, _), count in breaches.items() if u == unit_id),
                satisfaction_index=_mean(indices.get(unit_id, [])),
            )
        )
    predicates = [p for p in (current_predicate(row) for row in rows) if p is not None]
    return RegionDashboardRead(
        region_id=region_id,
        period=parsed.key,
        employees=len(rows),
        achievement_mean=_mean([row.achievement for row in rows if row.achievement is not None]),
        predicates=_predicate_counts(predicates),
        units=summaries,
        trend=await _trend(session, region_id, parsed, None),
    )
