"""HTTP API of the feedback service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.feedback.entrypoints.schemas import (
    SatisfactionIndexRead,
    SurveyResponseCreate,
    SurveyResponseRead,
)
from services.feedback.service_layer import services
from shared.auth import CurrentPrincipal, Role, require_roles
from shared.http import PUBLIC
from shared.runtime import Context

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post(
    "/public/regions/{region_id}/units/{unit_id}/survey-responses",
    status_code=status.HTTP_201_CREATED,
    response_model=SurveyResponseRead,
    openapi_extra=PUBLIC,
)
async def submit_survey_response(
    region_id: str, unit_id: str, response_in: SurveyResponseCreate, context: Context
) -> SurveyResponseRead:
    """Rate a public service (SKM). Anonymous: no account or token needed."""
    async with context.unit_of_work(region_id=region_id) as uow:
        receipt = await services.submit_survey_response(
            uow=uow, region_id=region_id, unit_id=unit_id, response_in=response_in
        )
        await uow.commit()
    return receipt


@router.get(
    "/units/{unit_id}/satisfaction",
    response_model=SatisfactionIndexRead,
    dependencies=[require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)],
)
async def get_satisfaction_index(
    unit_id: str,
    context: Context,
    principal: CurrentPrincipal,
    period: Annotated[str, Query(pattern=r"^\d{4}-Q[1-4]$")],
    service_id: str | None = None,
) -> SatisfactionIndexRead:
    """The live satisfaction index (IKM) of a unit for a period."""
    session = await context.read_session(principal.region)
    async with session:
        return await services.satisfaction_index(
            session=session, region_id=principal.region, unit_id=unit_id, period=period, service_id=service_id
        )
