"""Feedback inside the organisation: continuous feedback and BerAKHLAK behaviour assessments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    activities,
    behaviour_assessments,
    continuous_feedback,
    planned_results,
)
from services.feedback.domain.behaviour import (
    DEFAULT_PEER_VISIBILITY,
    AssessorRole,
    BehaviourAssessment,
    CoreValue,
    ValueProfile,
    aggregate_peer_assessments,
    propose_behaviour_rating,
)
from services.feedback.domain.periods import period_at
from services.feedback.metrics import BEHAVIOUR_ASSESSMENTS, CONTINUOUS_FEEDBACK
from services.feedback.service_layer.periods import in_period
from services.feedback.service_layer.read_models import EmployeeRecord, region_clock, require_employee
from services.feedback.service_layer.schemas import (
    BehaviourAssessmentCreate,
    BehaviourAssessmentRead,
    BehaviourSummaryRead,
    ContinuousFeedbackCreate,
    ContinuousFeedbackRead,
    ValueScores,
)
from shared.auth import Principal, Role
from shared.contracts.feedback import BehaviourAssessmentSubmitted, ContinuousFeedbackGiven
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

_TWO_PLACES = Decimal("0.01")


def _not_your_team() -> Refusal:
    return Refusal(
        "not_your_team",
        "You can only act on employees you supervise.",
        field="employee_id",
        kind=RefusalKind.FORBIDDEN,
    )


def _own_employee_id(principal: Principal) -> str:
    if principal.employee_id is None:
        raise Refusal("no_employee_id", "Your token names no employee.", kind=RefusalKind.FORBIDDEN)
    return principal.employee_id


async def _may_read(session: AsyncSession, principal: Principal, employee: EmployeeRecord) -> None:
    """The employee themself, their rater, the region's HR and auditors; nobody else (404)."""
    if principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        return
    me = principal.employee_id
    if me is not None and (
        me == employee.employee_id or (principal.has(Role.RATER) and employee.supervisor_id == me)
    ):
        return
    raise Refusal("unknown_employee", "No such employee.", field="employee_id", kind=RefusalKind.NOT_FOUND)


async def give_continuous_feedback(
    *,
    uow: UnitOfWork,
    principal: Principal,
    employee_id: str,
    feedback_in: ContinuousFeedbackCreate,
    now: datetime,
) -> ContinuousFeedbackRead:
    """A rater gives feedback to an employee they supervise on one planned result and its evidence."""
    session, region_id = uow.session, principal.region
    rater_id = _own_employee_id(principal)
    employee = await require_employee(session, region_id, employee_id, field="employee_id")
    if employee.supervisor_id != rater_id:
        raise _not_your_team()
    result = (
        await session.execute(
            select(planned_results).where(
                planned_results.c.region_id == region_id,
                planned_results.c.result_id == feedback_in.result_id,
                planned_results.c.employee_id == employee_id,
                planned_results.c.in_force.is_(True),
            )
        )
    ).first()
    if result is None:
        raise Refusal(
            "unknown_result",
            "The planned result is not part of the employee's approved work plan.",
            field="result_id",
        )
    evidence = sorted(set(feedback_in.activity_ids))
    if evidence:
        known = set(
            await session.scalars(
                select(activities.c.activity_id).where(
                    activities.c.region_id == region_id,
                    activities.c.employee_id == employee_id,
                    activities.c.result_id == feedback_in.result_id,
                    activities.c.activity_id.in_(evidence),
                )
            )
        )
        missing = [activity for activity in evidence if activity not in known]
        if missing:
            raise Refusal(
                "unknown_evidence",
                # Feedback learns of reported activities from reporting's events, gathered up to a
                # second (FeedbackSettings.consumer_gather_ms): a just-reported one may still come.
                "These activities are not reported evidence of this result: %(missing)s. One reported in"
                " the last few seconds may not have arrived yet: try again shortly.",
                field="activity_ids",
                params={"missing": ", ".join(missing)},
            )
    clock = await region_clock(session, region_id)
    period = period_at(now, timezone=clock.timezone, kind=clock.period_kind).key
    feedback_id = uuid.uuid4().hex
    await session.execute(
        insert(continuous_feedback).values(
            feedback_id=feedback_id,
            region_id=region_id,
            employee_id=employee_id,
            rater_id=rater_id,
            result_id=feedback_in.result_id,
            activity_ids=evidence,
            period=period,
            text=feedback_in.text,
            given_at=now,
        )
    )
    uow.emit(
        ContinuousFeedbackGiven(
            region_id=region_id,
            feedback_id=feedback_id,
            employee_id=employee_id,
            rater_id=rater_id,
            result_id=feedback_in.result_id,
            activity_id=evidence[0] if evidence else None,
            activity_ids=evidence,
            period=period,
            text=feedback_in.text,
        ),
        occurred_at=now,
    )
    CONTINUOUS_FEEDBACK.inc()
    return ContinuousFeedbackRead(
        feedback_id=feedback_id,
        employee_id=employee_id,
        rater_id=rater_id,
        result_id=feedback_in.result_id,
        result_text=result.text,
        activity_ids=evidence,
        period=period,
        text=feedback_in.text,
        given_at=clock.local(now),
    )


async def feedback_of(
    *, session: AsyncSession, principal: Principal, employee_id: str, period: str | None
) -> list[ContinuousFeedbackRead]:
    """Feedback an employee received, newest first (the employee, their rater, HR, auditors)."""
    region_id = principal.region
    employee = await require_employee(session, region_id, employee_id, field="employee_id")
    await _may_read(session, principal, employee)
    statement = (
        select(continuous_feedback, planned_results.c.text.label("result_text"))
        .outerjoin(
            planned_results,
            (planned_results.c.result_id == continuous_feedback.c.result_id)
            & (planned_results.c.region_id == continuous_feedback.c.region_id),
        )
        .where(continuous_feedback.c.region_id == region_id, continuous_feedback.c.employee_id == employee_id)
    )
    if period is not None:
        statement = statement.where(in_period(continuous_feedback.c.period, period))
    rows = await session.execute(statement.order_by(continuous_feedback.c.given_at.desc()))
    clock = await region_clock(session, region_id)
    return [
        ContinuousFeedbackRead(
            feedback_id=row.feedback_id,
            employee_id=row.employee_id,
            rater_id=row.rater_id,
            result_id=row.result_id,
            result_text=row.result_text,
            activity_ids=list(row.activity_ids),
            period=row.period,
            text=row.text,
            given_at=clock.local(row.given_at),
        )
        for row in rows
    ]


async def _assessor_role(
    session: AsyncSession, principal: Principal, employee: EmployeeRecord
) -> AssessorRole:
    me = _own_employee_id(principal)
    if me == employee.employee_id:
        return AssessorRole.SELF
    if principal.has(Role.RATER) and employee.supervisor_id == me:
        return AssessorRole.RATER
    colleague = await require_employee(session, principal.region, me, field="employee_id")
    # Peers are colleagues of the same unit; anyone else's opinion is not a peer assessment.
    if colleague.unit_id == employee.unit_id:
        return AssessorRole.PEER
    raise Refusal(
        "not_a_colleague",
        "Only the employee, their rater and colleagues of the same unit may assess this employee.",
        field="employee_id",
        kind=RefusalKind.FORBIDDEN,
    )


async def submit_behaviour_assessment(
    *, uow: UnitOfWork, principal: Principal, employee_id: str, assessment_in: BehaviourAssessmentCreate
) -> BehaviourAssessmentRead:
    """Assess an employee on the seven BerAKHLAK values, as their rater, a peer or themself."""
    session, region_id = uow.session, principal.region
    employee = await require_employee(session, region_id, employee_id, field="employee_id")
    role = await _assessor_role(session, principal, employee)
    assessor_id = _own_employee_id(principal)
    assessment = BehaviourAssessment.from_mapping(role, assessor_id, assessment_in.scores)
    assessment_id = uuid.uuid4().hex
    inserted = await session.scalar(
        insert(behaviour_assessments)
        .values(
            assessment_id=assessment_id,
            region_id=region_id,
            employee_id=employee_id,
            assessor_id=assessor_id,
            assessor_role=role.value,
            period=assessment_in.period,
            scores=list(assessment.scores),
            note=assessment_in.note,
        )
        .on_conflict_do_nothing(index_elements=["region_id", "employee_id", "period", "assessor_id"])
        .returning(behaviour_assessments.c.assessment_id)
    )
    if inserted is None:
        raise Refusal(
            "already_assessed",
            "You have already assessed this employee for this period.",
            field="period",
            kind=RefusalKind.CONFLICT,
        )
    proposal = propose_behaviour_rating(assessment.profile()) if role is AssessorRole.RATER else None
    uow.emit(
        BehaviourAssessmentSubmitted(
            region_id=region_id,
            assessment_id=assessment_id,
            employee_id=employee_id,
            # A peer's identity never leaves the service: consumers see only that a peer answered.
            assessor_id=assessor_id if role is not AssessorRole.PEER else "peer",
            assessor_role=role.value,
            period=assessment_in.period,
            scores={value.value: assessment.score(value) for value in CoreValue},
            proposed_rating=proposal.value if proposal else None,
        )
    )
    BEHAVIOUR_ASSESSMENTS.labels(role.value).inc()
    return BehaviourAssessmentRead(
        assessment_id=assessment_id, employee_id=employee_id, assessor_role=role, period=assessment_in.period
    )


def _value_scores(profile: ValueProfile) -> ValueScores:
    def rounded(value: Fraction) -> Decimal:
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(_TWO_PLACES)

    return ValueScores(
        scores={value: rounded(profile.mean(value)) for value in CoreValue},
        overall=rounded(profile.overall_mean),
        assessors=profile.assessors,
    )


def _assessment_of(row: Any) -> BehaviourAssessment:
    return BehaviourAssessment(AssessorRole(row.assessor_role), row.assessor_id, tuple(row.scores))


async def behaviour_summary(
    *, session: AsyncSession, principal: Principal, employee_id: str, period: str
) -> BehaviourSummaryRead:
    """An employee's assessments for a period: rater and self as given, peers pooled from three on."""
    region_id = principal.region
    employee = await require_employee(session, region_id, employee_id, field="employee_id")
    await _may_read(session, principal, employee)
    rows: Sequence[Any] = (
        await session.execute(
            select(behaviour_assessments).where(
                behaviour_assessments.c.region_id == region_id,
                behaviour_assessments.c.employee_id == employee_id,
                behaviour_assessments.c.period == period,
            )
        )
    ).all()
    by_role: dict[AssessorRole, list[BehaviourAssessment]] = {role: [] for role in AssessorRole}
    for row in rows:
        by_role[AssessorRole(row.assessor_role)].append(_assessment_of(row))
    rater = by_role[AssessorRole.RATER][0].profile() if by_role[AssessorRole.RATER] else None
    own = by_role[AssessorRole.SELF][0].profile() if by_role[AssessorRole.SELF] else None
    peers = aggregate_peer_assessments(by_role[AssessorRole.PEER], DEFAULT_PEER_VISIBILITY)
    proposal = propose_behaviour_rating(rater) if rater else None
    return BehaviourSummaryRead(
        employee_id=employee_id,
        period=period,
        rater=_value_scores(rater) if rater else None,
        self_assessment=_value_scores(own) if own else None,
        peers=_value_scores(peers) if peers else None,
        peer_minimum=DEFAULT_PEER_VISIBILITY.minimum_peers,
        proposed_rating=proposal.value if proposal else None,
        proposed_rating_label_id=proposal.label_id if proposal else None,
    )
