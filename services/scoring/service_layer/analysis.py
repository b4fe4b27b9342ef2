"""Diagnosis, objectivity, anomalies and rewards over the employee-period views of a region."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import employee_scores, flags, late_events, rating_decisions
from services.scoring.domain.achievement import Aspect
from services.scoring.domain.behaviour import value_ratings
from services.scoring.domain.diagnosis import (
    IndicatorOutcome,
    Shortfall,
    diagnose_unit,
    recommend_development,
)
from services.scoring.domain.objectivity import (
    ActivityVolume,
    ObjectivityFlag,
    rater_objectivity,
    volume_anomalies,
)
from services.scoring.domain.periods import Period, parse_period_key
from services.scoring.domain.rating import Rating, RatingDecision, RatingKind, RatingProposal
from services.scoring.domain.rewards import RewardCandidate, top_performers
from services.scoring.service_layer.analysis_schemas import (
    EmployeeDiagnosisRead,
    FlagRead,
    RaterObjectivityRead,
    RecommendationRead,
    RewardGroupRead,
    RewardWinnerRead,
    ShortfallRead,
    SystemProblemRead,
    UnitDiagnosisRead,
)
from services.scoring.service_layer.flags import Emit, FlagKind, raise_flag
from services.scoring.service_layer.governance_schemas import LateEventRead
from services.scoring.service_layer.queries.common import current_predicate, ensure_known_unit
from services.scoring.service_layer.rules import rule_set_for
from services.scoring.service_layer.views import latest_rater_assessment, to_decimal

_OBJECTIVITY_KINDS = {
    ObjectivityFlag.LENIENT: FlagKind.LENIENT_RATER,
    ObjectivityFlag.SEVERE: FlagKind.SEVERE_RATER,
    ObjectivityFlag.FREQUENT_OVERRIDES: FlagKind.FREQUENT_OVERRIDES,
}


async def _scores(
    session: AsyncSession, region_id: str, period: Period, unit_id: str | None = None
) -> list[Any]:
    conditions = [employee_scores.c.region_id == region_id, employee_scores.c.period == period.key]
    if unit_id is not None:
        conditions.append(employee_scores.c.unit_id == unit_id)
    return list((await session.execute(select(employee_scores).where(*conditions))).all())


def _outcomes(rows: list[Row[Any]]) -> list[IndicatorOutcome]:
    """Each employee's indicators as the diagnosis sees them; no data counts as nothing achieved."""
    return [
        IndicatorOutcome(
            row.employee_id,
            item["code"],
            Aspect(item["aspect"]),
            Fraction(item["achievement"]) if item["achievement"] is not None else Fraction(0),
        )
        for row in rows
        for item in row.indicator_outcomes
    ]


async def latest_decisions(session: AsyncSession, region_id: str, period: Period) -> list[RatingDecision]:
    """The decision in force per employee (their latest), as domain decisions of both kinds."""
    rows = (
        await session.execute(
            select(rating_decisions)
            .where(rating_decisions.c.region_id == region_id, rating_decisions.c.period == period.key)
            .order_by(rating_decisions.c.employee_id, rating_decisions.c.decided_at.desc())
            .ext(distinct_on(rating_decisions.c.employee_id))
        )
    ).all()
    decisions = []
    for row in rows:
        decisions.append(
            RatingDecision(
                RatingProposal(RatingKind.RESULTS, Rating(row.proposed_result_rating)),
                Rating(row.result_rating),
                row.rater_id,
                row.decided_at,
                row.reason,
            )
        )
        if row.proposed_behaviour_rating:
            decisions.append(
                RatingDecision(
                    RatingProposal(RatingKind.BEHAVIOUR, Rating(row.proposed_behaviour_rating)),
                    Rating(row.behaviour_rating),
                    row.rater_id,
                    row.decided_at,
                    row.reason,
                )
            )
    return decisions


async def analyse_period(session: AsyncSession, emit: Emit, *, region_id: str, period: Period) -> int:
    """Raise the period's flags: system problems, rater objectivity, implausible volumes; returns new ones."""
    rules = await rule_set_for(session, region_id, period)
    rows = await _scores(session, region_id, period)
    raised = 0
    by_unit: dict[str, list[Row[Any]]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    for unit_id, members in sorted(by_unit.items()):
        for problem in diagnose_unit(_outcomes(members), rules.diagnosis).system_problems:
            raised += await raise_flag(
                session,
                emit,
                region_id=region_id,
                kind=FlagKind.SYSTEM_PROBLEM,
                subject_id=f"{unit_id}/{problem.template_code}",
                period=period.key,
                details={
                    "unit_id": unit_id,
                    "indicator_code": problem.template_code,
                    "holders": problem.holders,
                    "missed": problem.missed,
                },
            )
    for rater in rater_objectivity(await latest_decisions(session, region_id, period), rules.objectivity):
        for flag in sorted(rater.flags):
            raised += await raise_flag(
                session,
                emit,
                region_id=region_id,
                kind=_OBJECTIVITY_KINDS[flag],
                subject_id=rater.rater_id,
                period=period.key,
                details={
                    "rater_id": rater.rater_id,
                    "team_size": rater.team_size,
                    "leniency_index": str(to_decimal(rater.leniency_index)),
                    "override_rate": str(to_decimal(rater.override_rate)),
                },
            )
    volumes = [ActivityVolume(row.employee_id, row.job_type, Fraction(row.activity_count)) for row in rows]
    for anomaly in volume_anomalies(volumes, rules.volume):
        raised += await raise_flag(
            session,
            emit,
            region_id=region_id,
            kind=FlagKind.IMPLAUSIBLE_VOLUME,
            subject_id=anomaly.employee_id,
            period=period.key,
            details={
                "employee_id": anomaly.employee_id,
                "job_type": anomaly.job_type,
                "volume": str(to_decimal(anomaly.volume)),
                "peer_median": str(to_decimal(anomaly.peer_median)),
                "robust_z": str(to_decimal(anomaly.robust_z)),
                "direction": anomaly.direction.value,
            },
        )
    return raised


async def list_flags(session: AsyncSession, *, region_id: str, period: str | None) -> list[FlagRead]:
    """The region's flags, newest first."""
    conditions = [flags.c.region_id == region_id]
    if period is not None:
        conditions.append(flags.c.period == parse_period_key(period).key)
    rows = (
        await session.execute(
            select(flags).where(*conditions).order_by(flags.c.raised_at.desc(), flags.c.flag_id)
        )
    ).all()
    return [FlagRead.model_validate(dict(row._mapping)) for row in rows]


async def list_late_events(session: AsyncSession, *, region_id: str, period: str) -> list[LateEventRead]:
    """Events that arrived after their period closed."""
    rows = (
        await session.execute(
            select(late_events)
            .where(late_events.c.region_id == region_id, late_events.c.period == parse_period_key(period).key)
            .order_by(late_events.c.received_at)
        )
    ).all()
    return [LateEventRead.model_validate(dict(row._mapping)) for row in rows]


def _shortfalls(items: tuple[Shortfall, ...]) -> list[ShortfallRead]:
    return [
        ShortfallRead(
            code=s.template_code,
            aspect=s.aspect.value,
            achievement=to_decimal(s.achievement) or 0,
            scope=s.scope.value,
        )
        for s in items
    ]


async def unit_diagnosis(
    session: AsyncSession, *, region_id: str, unit_id: str, period: str
) -> UnitDiagnosisRead:
    """System problems of a unit, and each employee's own shortfalls with the development that fits."""
    parsed = parse_period_key(period)
    await ensure_known_unit(session, region_id, unit_id)
    rules = await rule_set_for(session, region_id, parsed)
    rows = await _scores(session, region_id, parsed, unit_id)
    diagnosis = diagnose_unit(_outcomes(rows), rules.diagnosis)
    employees = []
    for row in sorted(rows, key=lambda r: r.employee_id):
        assessment = await latest_rater_assessment(session, region_id, row.employee_id, parsed.key)
        behaviour = value_ratings(assessment.scores) if assessment else {}
        plan = recommend_development(
            diagnosis.for_employee(row.employee_id), row.job_type, behaviour, rules.training
        )
        employees.append(
            EmployeeDiagnosisRead(
                employee_id=row.employee_id,
                individual=_shortfalls(plan.weak_indicators),
                systemic=_shortfalls(plan.system_issues),
                weak_values=[value.value for value in plan.weak_values],
                recommendations=[
                    RecommendationRead(
                        code=rec.entry.code,
                        kind=rec.entry.kind,
                        title_id=rec.entry.title_id,
                        title_en=rec.entry.title_en,
                        because_indicators=list(rec.because_indicators),
                        because_values=[value.value for value in rec.because_values],
                    )
                    for rec in plan.recommendations
                ],
            )
        )
    return UnitDiagnosisRead(
        unit_id=unit_id,
        period=parsed.key,
        system_problems=[
            SystemProblemRead(code=p.template_code, holders=p.holders, missed=p.missed)
            for p in diagnosis.system_problems
        ],
        employees=employees,
    )


async def objectivity(session: AsyncSession, *, region_id: str, period: str) -> list[RaterObjectivityRead]:
    """Per rater: leniency or severity against the data-driven proposals, and the override rate."""
    parsed = parse_period_key(period)
    rules = await rule_set_for(session, region_id, parsed)
    return [
        RaterObjectivityRead(
            rater_id=r.rater_id,
            team_size=r.team_size,
            leniency_index=to_decimal(r.leniency_index) or 0,
            override_rate=to_decimal(r.override_rate) or 0,
            assessed=r.assessed,
            flags=sorted(flag.value for flag in r.flags),
        )
        for r in rater_objectivity(await latest_decisions(session, region_id, parsed), rules.objectivity)
    ]


async def rewards(session: AsyncSession, *, region_id: str, period: str) -> list[RewardGroupRead]:
    """The top performers per unit and job type (penghargaan)."""
    parsed = parse_period_key(period)
    rules = await rule_set_for(session, region_id, parsed)
    candidates = [
        RewardCandidate(
            row.employee_id,
            row.unit_id,
            row.job_type,
            parsed.key,
            predicate,
            None if row.achievement is None else Fraction(row.achievement),
        )
        for row in await _scores(session, region_id, parsed)
        if (predicate := current_predicate(row)) is not None
    ]
    return [
        RewardGroupRead(
            unit_id=group.unit_id,
            job_type=group.job_type,
            winners=[
                RewardWinnerRead(
                    employee_id=w.employee_id,
                    predicate=w.predicate.value,
                    achievement=to_decimal(w.achievement),
                )
                for w in group.winners
            ],
        )
        for group in top_performers(candidates, rules.rewards)
    ]
