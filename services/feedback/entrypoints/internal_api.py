"""Feedback inside the organisation: continuous feedback and behaviour assessments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.feedback.entrypoints.params import (
    EntityId,
    PeriodQuery,
    utc_now,
)
from services.feedback.service_layer import internal
from services.feedback.service_layer.schemas import (
    BehaviourAssessmentCreate,
    BehaviourAssessmentRead,
    BehaviourSummaryRead,
    ContinuousFeedbackCreate,
    ContinuousFeedbackRead,
)
from shared.auth import Principal, Role
from shared.contracts.periods import PeriodKey
from shared.guarded_route import GuardedRoute
from shared.route_roles import require_roles
from shared.route_work import RegionSession, RegionWork

router = APIRouter(prefix="/v1", tags=["feedback"], route_class=GuardedRoute)

Raters = require_roles(Role.RATER)
Assessors = require_roles(Role.EMPLOYEE, Role.RATER)
InternalReaders = require_roles(Role.EMPLOYEE, Role.RATER, Role.REGION_ADMIN, Role.AUDITOR)


@router.post(
    "/employees/{employee_id}/continuous-feedback",
    status_code=status.HTTP_201_CREATED,
    response_model=ContinuousFeedbackRead,
)
async def give_continuous_feedback(
    employee_id: EntityId,
    feedback_in: ContinuousFeedbackCreate,
    work: RegionWork,
    principal: Principal = Raters,
) -> ContinuousFeedbackRead:
    """Give feedback to an employee you supervise on a planned result, pointing at its evidence."""
    given = await internal.give_continuous_feedback(
        uow=work.uow, principal=principal, employee_id=employee_id, feedback_in=feedback_in, now=utc_now()
    )
    work.record("continuous_feedback.give", given.feedback_id)
    return given


@router.get("/employees/{employee_id}/continuous-feedback", response_model=list[ContinuousFeedbackRead])
async def list_continuous_feedback(
    employee_id: EntityId,
    session: RegionSession,
    period: Annotated[PeriodKey | None, Query()] = None,
    principal: Principal = InternalReaders,
) -> list[ContinuousFeedbackRead]:
    """Feedback an employee received (the employee, their rater, HR and auditors)."""
    return await internal.feedback_of(
        session=session, principal=principal, employee_id=employee_id, period=period
    )


@router.post(
    "/employees/{employee_id}/behaviour-assessments",
    status_code=status.HTTP_201_CREATED,
    response_model=BehaviourAssessmentRead,
)
async def submit_behaviour_assessment(
    employee_id: EntityId,
    assessment_in: BehaviourAssessmentCreate,
    work: RegionWork,
    principal: Principal = Assessors,
) -> BehaviourAssessmentRead:
    """Assess an employee on the BerAKHLAK values: as their rater, a colleague of the unit, or yourself."""
    submitted = await internal.submit_behaviour_assessment(
        uow=work.uow, principal=principal, employee_id=employee_id, assessment_in=assessment_in
    )
    work.record(f"behaviour_assessment.{submitted.assessor_role.value}", submitted.assessment_id)
    return submitted


@router.get("/employees/{employee_id}/behaviour", response_model=BehaviourSummaryRead)
async def behaviour_summary(
    employee_id: EntityId,
    session: RegionSession,
    period: PeriodQuery,
    principal: Principal = InternalReaders,
) -> BehaviourSummaryRead:
    """An employee's behaviour assessments for a period; peers only pooled, from three answers on."""
    return await internal.behaviour_summary(
        session=session, principal=principal, employee_id=employee_id, period=period
    )
