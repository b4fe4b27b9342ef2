"""Feedback's public reads beyond the citizen's own submissions: the region directory and figures.

No token, no personal data; rate-limited per address and device like every citizen route.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.feedback.entrypoints.api import RegionId
from services.feedback.entrypoints.citizen import CitizenClient, CitizenRoute, Traffic, citizen_protection
from services.feedback.entrypoints.public_schemas import PublicRegionRead, RegionNameRead
from services.feedback.service_layer import public_directory
from shared.http import PUBLIC
from shared.runtime import Context

router = APIRouter(prefix="/v1/public", tags=["citizens"], route_class=CitizenRoute)

DirectoryCitizen = citizen_protection("directory", Traffic.READ)


@router.get("/regions", response_model=list[RegionNameRead], openapi_extra=PUBLIC)
async def list_regions(context: Context, _: CitizenClient = DirectoryCitizen) -> list[RegionNameRead]:
    """Every region on the platform by name and time zone."""
    async with context.session_factory() as session:
        return await public_directory.list_regions(session)


@router.get("/regions/{region_id}", response_model=PublicRegionRead, openapi_extra=PUBLIC)
async def region_profile(
    region_id: RegionId, context: Context, _: CitizenClient = DirectoryCitizen
) -> PublicRegionRead:
    """A region's name, time zone, units and the services citizens can rate."""
    session = await context.read_session(region_id)
    async with session:
        return await public_directory.region_profile(session, region_id)
