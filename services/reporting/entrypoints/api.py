"""HTTP API of the reporting service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.reporting.entrypoints.schemas import (
    ActivityCreate,
    ActivityRead,
    BatchCreate,
    BatchRead,
    ReviewCreate,
)
from services.reporting.service_layer import services
from shared.auth import CurrentPrincipal
from shared.runtime import Context

router = APIRouter(prefix="/v1", tags=["reporting"])


@router.post("/activities", status_code=status.HTTP_201_CREATED, response_model=ActivityRead)
async def submit_activity(
    activity_in: ActivityCreate, context: Context, principal: CurrentPrincipal, response: Response
) -> ActivityRead:
    """Report an activity; sending the same activity_id again returns the original (200)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        activity, created = await services.submit_activity(
            uow=uow, principal=principal, activity_in=activity_in
        )
        await uow.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return activity


@router.post("/activities/batch", response_model=BatchRead)
async def submit_batch(batch: BatchCreate, context: Context, principal: CurrentPrincipal) -> BatchRead:
    """Sync activities queued offline; each item gets its own outcome."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        result = await services.submit_batch(uow=uow, principal=principal, items=batch.items)
        await uow.commit()
    return result


@router.post("/activities/{activity_id}/verify", response_model=ActivityRead)
async def verify_activity(
    activity_id: str, review: ReviewCreate, context: Context, principal: CurrentPrincipal
) -> ActivityRead:
    """Verify an activity of someone you rate."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        activity = await services.verify_activity(
            uow=uow, principal=principal, activity_id=activity_id, note=review.note
        )
        await uow.audit(actor=principal.subject, action="activity.verify", subject=activity_id)
        await uow.commit()
    return activity


@router.get("/employees/{employee_id}/activities", response_model=list[ActivityRead])
async def list_activities(
    employee_id: str,
    context: Context,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[datetime | None, Query(description="Page: activities before this time")] = None,
) -> list[ActivityRead]:
    """An employee's activities, newest first."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        return await services.list_activities(
            session=uow.session, principal=principal, employee_id=employee_id, limit=limit, before=before
        )
