"""Feedback inside the organisation: continuous feedback and behaviour assessments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

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
from shared.auth import Principal, Role, require_roles
from shared.contracts.periods import PeriodKey
from shared.guarded_route import GuardedRoute
from shared.http import client_address
from shared.runtime import Context

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
    context: Context,
    request: Request,
    principal: Principal = Raters,
) -> ContinuousFeedbackRead:
    """Give feedback to an employee you supervise on a planned result, pointing at its evidence."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        given = await internal.give_continuous_feedback(
            uow=uow, principal=principal, employee_id=employee_id, feedback_in=feedback_in, now=utc_now()
        )
        await uow.audit(
            actor=principal.subject,
            action="continuous_feedback.give",
            subject=given.feedback_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return given


@router.get("/employees/{employee_id}/continuous-feedback", response_model=list[ContinuousFeedbackRead])
async def list_continuous_feedback(
    employee_id: EntityId,
    context: Context,
    period: Annotated[PeriodKey | None, Query()] = None,
    principal: Principal = InternalReaders,
) -> list[ContinuousFeedbackRead]:
    """Feedback an employee received (the employee, their rater, HR and auditors)."""
    session = await context.read_session(principal.region)
    async with session:
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
    context: Context,
    request: Request,
    principal: Principal = Assessors,
) -> BehaviourAssessmentRead:
    """Assess an employee on the BerAKHLAK values: as their rater, a colleague of the unit, or yourself."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        submitted = await internal.submit_behaviour_assessment(
            uow=uow, principal=principal, employee_id=employee_id, assessment_in=assessment_in
        )
        await uow.audit(
            actor=principal.subject,
            action=f"behaviour_assessment.{submitted.assessor_role.value}",
            subject=submitted.assessment_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return submitted


@router.get("/employees/{employee_id}/behaviour", response_model=BehaviourSummaryRead)
async def behaviour_summary(
    employee_id: EntityId,
    context: Context,
    period: PeriodQuery,
    principal: Principal = InternalReaders,
) -> BehaviourSummaryRead:
    """An employee's behaviour assessments for a period; peers only pooled, from three answers on."""
    session = await context.read_session(principal.region)
    async with session:
        return await internal.behaviour_summary(
            session=session, principal=principal, employee_id=employee_id, period=period
        )
