"""An employee's scorecard: the summary row, its indicators' progress and the activities behind them."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, func, or_, select, true
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import (
    behaviour_assessments,
    closed_periods,
    contributions,
    employee_scores,
    employees,
    field_visits,
    indicator_progress,
    plan_indicators,
    rating_decisions,
)
from services.scoring.domain.achievement import NumericTarget
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key
from services.scoring.service_layer.schemas import (
    ActivityRead,
    BehaviourRead,
    DecisionRead,
    FieldVisitRead,
    IndicatorScore,
    ProposalReasonRead,
    ScorecardRead,
)
from services.scoring.service_layer.views import employee_assignment, indicator_of, to_decimal
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind
from shared.region_time import as_sent


def _invisible() -> Refusal:
    return Refusal(
        "no_scorecard",
        "No scorecard you may see for this employee and period.",
        field="employee_id",
        kind=RefusalKind.NOT_FOUND,
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
