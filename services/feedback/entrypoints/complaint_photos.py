"""A complaint's photo: the citizen attaches it with the tracking code, the complaint's staff see it."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from starlette.types import Scope

from services.feedback.entrypoints.citizen import (
    CitizenClient,
    CitizenRoute,
    Traffic,
    citizen_protection,
    citizen_work,
    feedback_settings,
)
from services.feedback.entrypoints.complaint_api import ComplaintReaders
from services.feedback.entrypoints.params import EntityId, RegionId, TrackingCode
from services.feedback.service_layer import complaint_photos
from shared.auth import Principal
from shared.guarded_route import GuardedRoute
from shared.http import PUBLIC
from shared.route_work import Context, RegionSession

PhotoCitizen = citizen_protection("complaint_photo", Traffic.WRITE)


class PhotoRoute(CitizenRoute):
    """The one citizen route whose body is a photo: limited to the photo limit instead."""

    def body_limit(self, scope: Scope) -> int:
        """The photo limit of the running service."""
        return feedback_settings(scope["app"].state.context).complaint_photo_max_bytes


public_router = APIRouter(prefix="/v1/public", tags=["citizens"], route_class=PhotoRoute)
router = APIRouter(prefix="/v1", tags=["feedback"], route_class=GuardedRoute)


@public_router.put(
    "/regions/{region_id}/complaints/{tracking_code}/photo",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra={
        **PUBLIC,
        "requestBody": {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
    },
)
async def attach_complaint_photo(
    region_id: RegionId,
    tracking_code: TrackingCode,
    request: Request,
    context: Context,
    citizen: CitizenClient = PhotoCitizen,
) -> Response:
    """Attach one photo (JPEG, PNG or WebP, the body itself) to a complaint before it is checked."""
    content = await request.body()
    async with citizen_work(context, region_id, citizen) as work:
        complaint_id = await complaint_photos.attach_photo(
            uow=work.uow, region_id=region_id, tracking_code=tracking_code, content=content
        )
        work.record("complaint.photo", complaint_id, detail=f"{len(content)} bytes")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/complaints/{complaint_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def complaint_photo(
    complaint_id: EntityId, session: RegionSession, principal: Principal = ComplaintReaders
) -> Response:
    """The photo the citizen attached, for staff who may read the complaint."""
    content_type, content = await complaint_photos.photo_of(
        session=session, principal=principal, complaint_id=complaint_id
    )
    return Response(content, media_type=content_type, headers={"Cache-Control": "private, no-store"})
