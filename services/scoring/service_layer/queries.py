"""Read side of scoring: scorecards and dashboards straight from the materialized views.

Nothing here recomputes a realisation or a proposal: reads take the stored view rows and only
aggregate them (counts, means, rankings) or attach the facts behind them.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, and_, any_, bindparam, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.tables import (
    WHOLE_UNIT,
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
    region_settings,
    unit_satisfaction,
    units,
)
from services.scoring.domain.achievement import NumericTarget
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.calendar import DEFAULT_PERIOD_KIND
from services.scoring.domain.distribution import check_distribution
from services.scoring.domain.periods import (
    Period,
    PeriodKind,
    parse_period_key,
    periods_in_year,
)
from services.scoring.domain.predicate import OrganisationPredicate, Predicate
from services.scoring.domain.rules import RuleSet
from services.scoring.service_layer.rules import rule_set_for
from services.scoring.service_layer.schemas import (
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
from services.scoring.service_layer.views import (
    calendar,
    employee_assignment,
    employees_today,
    indicator_of,
    to_decimal,
)
from shared.auth import Principal, Role, ensure_may_read_unit
from shared.errors import NotFound
from shared.region_time import as_sent


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
        employee_assignment(
            select(employees.c.supervisor_id).where(
                employees.c.region_id == region_id, employees.c.employee_id == employee_id
            )
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


# The hot reads' statements are built once, with bind parameters: SQLAlchemy then memoises their
# cache keys and reuses the compiled SQL, which is most of a statement's cost in Python.


@cache
def _activities_statement(whole_year: bool) -> Any:
    """An employee's reported activities of a period or of a whole year, in time order."""
    return (
        select(
            contributions.c.activity_id,
            contributions.c.indicator_id,
            contributions.c.occurred_at,
            contributions.c.occurred_utc_offset,
            contributions.c.quantity,
            contributions.c.denominator,
            contributions.c.status,
            contributions.c.measure_corrected,
            # The count is all the scorecard shows of the evidence: no JSON to decode per activity.
            func.jsonb_array_length(contributions.c.evidence_sha256).label("evidence_count"),
        )
        .where(
            contributions.c.region_id == bindparam("region_id", type_=String),
            contributions.c.employee_id == bindparam("employee_id", type_=String),
            contributions.c.reported.is_(True),
            contributions.c.year == bindparam("year", type_=Integer)
            if whole_year
            else contributions.c.period == bindparam("period", type_=String),
        )
        .order_by(contributions.c.occurred_at, contributions.c.activity_id)
    )


async def _activities(
    session: AsyncSession, region_id: str, employee_id: str, period: Period
) -> dict[str, list[ActivityRead]]:
    whole_year = period.kind is PeriodKind.YEAR
    rows = (
        await session.execute(
            _activities_statement(whole_year),
            {"region_id": region_id, "employee_id": employee_id}
            | ({"year": period.year} if whole_year else {"period": period.key}),
        )
    ).all()
    grouped: dict[str, list[ActivityRead]] = {}
    for row in rows:
        grouped.setdefault(row.indicator_id, []).append(
            ActivityRead(
                activity_id=row.activity_id,
                occurred_at=as_sent(row.occurred_at, row.occurred_utc_offset),
                quantity=row.quantity,
                denominator=row.denominator,
                status=row.status,
                counted=row.status != ActivityStatus.REJECTED.value,
                corrected=row.measure_corrected,
                evidence_count=row.evidence_count,
            )
        )
    return grouped


#: The latest rating decision on an employee-period (to tell whether the proposal changed since).
_latest_decision = (
    select(
        rating_decisions.c.decision_id.label("latest_decision_id"),
        rating_decisions.c.proposed_result_rating.label("latest_proposed_result_rating"),
        rating_decisions.c.proposed_behaviour_rating.label("latest_proposed_behaviour_rating"),
    )
    .where(
        rating_decisions.c.region_id == employee_scores.c.region_id,
        rating_decisions.c.employee_id == employee_scores.c.employee_id,
        rating_decisions.c.period == employee_scores.c.period,
    )
    .order_by(rating_decisions.c.decided_at.desc())
    .limit(1)
    .lateral("latest_decision")
)


_SCORECARD_SUMMARY_FROM = employee_scores.outerjoin(_latest_decision, true()).outerjoin(
    behaviour_assessments,
    and_(
        behaviour_assessments.c.region_id == employee_scores.c.region_id,
        behaviour_assessments.c.assessment_id == employee_scores.c.behaviour_assessment_id,
    ),
)


@cache
def _scorecard_summary_statement() -> Any:
    region_id = bindparam("region_id", type_=String)
    employee_id = bindparam("employee_id", type_=String)
    closed = (
        select(closed_periods.c.period)
        .where(
            closed_periods.c.region_id == region_id,
            or_(
                closed_periods.c.period == bindparam("period", type_=String),
                closed_periods.c.period == bindparam("year_key", type_=String),
            ),
        )
        .exists()
    )
    supervisor = employee_assignment(
        select(employees.c.supervisor_id).where(
            employees.c.region_id == region_id, employees.c.employee_id == employee_id
        )
    ).scalar_subquery()
    return (
        select(
            employee_scores,
            closed.label("period_closed"),
            supervisor.label("team_supervisor_id"),
            behaviour_assessments.c.assessment_id.label("assessment_found_id"),
            behaviour_assessments.c.assessor_id.label("assessment_assessor_id"),
            behaviour_assessments.c.proposed_rating.label("assessment_proposed_rating"),
            behaviour_assessments.c.scores.label("assessment_scores"),
            behaviour_assessments.c.submitted_at.label("assessment_submitted_at"),
            _latest_decision,
        )
        .select_from(_SCORECARD_SUMMARY_FROM)
        .where(
            employee_scores.c.region_id == region_id,
            employee_scores.c.employee_id == employee_id,
            employee_scores.c.period == bindparam("period", type_=String),
        )
    )


async def _scorecard_summary(
    session: AsyncSession, region_id: str, employee_id: str, period: Period
) -> Row[Any] | None:
    """The employee-period view row with, in the same statement, what the scorecard shows beside it.

    Whether the period (or its year) is closed, the employee's supervisor in the team read model,
    the rater's behaviour assessment behind the proposal and the latest rating decision: one round
    trip instead of five, each through an index.
    """
    parameters = {
        "region_id": region_id,
        "employee_id": employee_id,
        "period": period.key,
        "year_key": f"{period.year:04d}",
    }
    return (await session.execute(_scorecard_summary_statement(), parameters)).first()


#: A plan's indicators, each with its progress row of the period when there is one.
_PROGRESS_COLUMNS = (
    indicator_progress.c.indicator_id.label("progress_indicator_id"),
    indicator_progress.c.target.label("progress_target"),
    indicator_progress.c.realisation,
    indicator_progress.c.verified_share,
    indicator_progress.c.achievement,
    indicator_progress.c.activity_count,
    indicator_progress.c.verified_count,
    indicator_progress.c.rejected_count,
    indicator_progress.c.last_occurred_at,
    indicator_progress.c.last_activity_id,
    indicator_progress.c.events_applied,
    indicator_progress.c.last_event_id,
    indicator_progress.c.updated_at,
)


@cache
def _indicators_with_progress_statement() -> Any:
    region_id = bindparam("region_id", type_=String)
    return (
        select(plan_indicators, *_PROGRESS_COLUMNS)
        .outerjoin(
            indicator_progress,
            and_(
                indicator_progress.c.region_id == region_id,
                indicator_progress.c.employee_id == bindparam("employee_id", type_=String),
                indicator_progress.c.period == bindparam("period", type_=String),
                indicator_progress.c.indicator_id == plan_indicators.c.indicator_id,
            ),
        )
        .where(
            plan_indicators.c.plan_id == bindparam("plan_id", type_=String),
            plan_indicators.c.region_id == region_id,
        )
        .order_by(plan_indicators.c.position)
    )


async def _indicators_with_progress(
    session: AsyncSession, region_id: str, employee_id: str, plan_id: str, period: str
) -> list[Row[Any]]:
    parameters = {"region_id": region_id, "employee_id": employee_id, "plan_id": plan_id, "period": period}
    return list((await session.execute(_indicators_with_progress_statement(), parameters)).all())


@cache
def _field_visits_statement(whole_year: bool) -> Any:
    """An employee's field visits of a period, or of every period of a year."""
    return (
        select(field_visits)
        .where(
            field_visits.c.region_id == bindparam("region_id", type_=String),
            field_visits.c.employee_id == bindparam("employee_id", type_=String),
            field_visits.c.period.like(bindparam("pattern", type_=String))
            if whole_year
            else field_visits.c.period == bindparam("period", type_=String),
        )
        .order_by(field_visits.c.visited_at)
    )


async def scorecard(
    *, session: AsyncSession, principal: Principal, employee_id: str, period: str
) -> ScorecardRead:
    """An employee's scorecard; every number traceable to the activities behind it."""
    parsed = parse_period_key(period)
    region_id = principal.region
    summary = await _scorecard_summary(session, region_id, employee_id, parsed)
    if summary is None:
        raise _invisible()
    own = principal.employee_id == employee_id
    rater = principal.has(Role.RATER) and principal.employee_id is not None
    allowed = (
        principal.has(Role.REGION_ADMIN, Role.AUDITOR)
        or own
        or (rater and (summary.team_supervisor_id or summary.rater_id) == principal.employee_id)
    )
    if not allowed:
        raise _invisible()
    indicator_rows = await _indicators_with_progress(
        session, region_id, employee_id, summary.plan_id, parsed.key
    )
    outcomes = {item["indicator_id"]: item for item in summary.indicator_outcomes}
    activities = await _activities(session, region_id, employee_id, parsed)
    indicators = []
    for planned in indicator_rows:
        progress = planned.progress_indicator_id is not None
        outcome = outcomes.get(planned.indicator_id, {})
        # A judged (qualitative) indicator's achievement comes from the rater's judgement, not progress.
        judged = outcome.get("judgement") is not None and outcome.get("achievement") is not None
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
                target=planned.progress_target if progress else _target_without_activity(planned, parsed),
                qualitative_target=planned.qualitative_target,
                realisation=planned.realisation if progress else None,
                verified_share=planned.verified_share if progress else None,
                achievement=(
                    Decimal(outcome["achievement"]) if judged else planned.achievement if progress else None
                ),
                basis=outcome.get("basis", "NO_DATA"),
                judgement=outcome.get("judgement"),
                activity_count=planned.activity_count if progress else 0,
                verified_count=planned.verified_count if progress else 0,
                rejected_count=planned.rejected_count if progress else 0,
                last_activity_at=planned.last_occurred_at if progress else None,
                last_activity_id=planned.last_activity_id if progress else None,
                events_applied=planned.events_applied if progress else 0,
                last_event_id=planned.last_event_id if progress else None,
                updated_at=planned.updated_at if progress else None,
                activities=activities.get(planned.indicator_id, []),
            )
        )
    assessment = None
    if summary.behaviour_assessment_id and summary.assessment_found_id is not None:
        assessment = BehaviourRead(
            assessment_id=summary.assessment_found_id,
            assessor_id=summary.assessment_assessor_id,
            proposed_rating=summary.assessment_proposed_rating,
            scores=summary.assessment_scores,
            submitted_at=summary.assessment_submitted_at,
        )
    whole_year = parsed.kind is PeriodKind.YEAR
    visits = (
        await session.execute(
            _field_visits_statement(whole_year),
            {"region_id": region_id, "employee_id": employee_id}
            | ({"pattern": f"{parsed.year:04d}%"} if whole_year else {"period": parsed.key}),
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
        decision=_decision_of(summary),
        predicate=summary.predicate,
        period_closed=bool(summary.period_closed),
        field_visits=[
            FieldVisitRead(
                visit_id=visit.visit_id,
                supervisor_id=visit.supervisor_id,
                visited_at=as_sent(visit.visited_at, visit.visited_utc_offset),
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


def _decision_of(summary: Row[Any]) -> DecisionRead | None:
    """The rater's decision on a scorecard summary (read with its latest decision row)."""
    if summary.result_rating is None:
        return None
    changed = summary.latest_decision_id is not None and (
        summary.latest_proposed_result_rating != summary.proposed_result_rating
        or summary.latest_proposed_behaviour_rating != summary.proposed_behaviour_rating
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
    # Decimal addition is exact at these sizes (4 places, 28 digits), and far cheaper than Fractions.
    return to_decimal(Fraction(sum(values, Decimal(0))) / len(values))


def _mean_of(total: Decimal | None, count: int) -> Decimal | None:
    """The mean from an exact SQL sum and count, rounded as ``_mean`` rounds."""
    if not count or total is None:
        return None
    return to_decimal(Fraction(total) / count)


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
def _unit_statement() -> Any:
    """A unit, with its region's period kind (the dashboard's trend needs it: one round trip less)."""
    region_id = bindparam("region_id", type_=String)
    period_kind = (
        select(region_settings.c.period_kind)
        .where(region_settings.c.region_id == region_id)
        .scalar_subquery()
    )
    return select(units, period_kind.label("region_period_kind")).where(
        units.c.region_id == region_id,
        units.c.unit_id == bindparam("unit_id", type_=String),
    )


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


async def _unit(session: AsyncSession, region_id: str, unit_id: str) -> Row[Any] | None:
    return (await session.execute(_unit_statement(), {"region_id": region_id, "unit_id": unit_id})).first()


async def ensure_known_unit(session: AsyncSession, region_id: str, unit_id: str) -> None:
    """404 for a unit this region does not have (another region's units are invisible, not empty)."""
    team = employees_today()
    known = await _unit(session, region_id, unit_id) is not None or (
        await session.scalar(
            select(team.c.employee_id)
            .where(team.c.region_id == region_id, team.c.unit_id == unit_id)
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
    predicates = [p for p in (current_predicate(row) for row in rows) if p is not None]
    return await _distribution_of(session, region_id, period, organisation_predicate, predicates)


async def _distribution_of(
    session: AsyncSession,
    region_id: str,
    period: Period,
    organisation_predicate: str | None,
    predicates: list[Predicate],
    rules_in_force: dict[str, RuleSet] | None = None,
) -> DistributionCheckRead | None:
    """The check; ``rules_in_force`` keeps the period's rule set across calls (a region's units)."""
    if not organisation_predicate:
        return None
    try:
        organisation = OrganisationPredicate(organisation_predicate.upper())
    except ValueError:
        return None
    known = rules_in_force if rules_in_force is not None else {}
    if period.key not in known:
        known[period.key] = await rule_set_for(session, region_id, period)
    rules = known[period.key]
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
                achievement_mean=_mean_of(total.achievement_sum, total.measured) if total else None,
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
    unit = await _unit(session, region_id, unit_id)
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
            "achievement_mean": _mean([row.achievement for row in rows if row.achievement is not None]),
            "predicates": _predicate_counts(predicates),
            "without_predicate": len(rows) - len(predicates),
            "decided": sum(1 for row in rows if row.predicate),
            "distribution": await _distribution_of(
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
        check = await _distribution_of(
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
                achievement_mean=_mean([row.achievement for row in members if row.achievement is not None]),
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
        achievement_mean=_mean([row.achievement for row in rows if row.achievement is not None]),
        predicates=_predicate_counts(predicates),
        units=summaries,
        trend=await _trend(session, region_id, parsed, None),
    )
