"""Feedback's public reads beyond the citizen's own submissions: the region directory and figures.

No token, no personal data; rate-limited per address and device like every citizen route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.feedback.entrypoints.citizen import CitizenClient, CitizenRoute, Traffic, citizen_protection
from services.feedback.entrypoints.params import RegionId, utc_now
from services.feedback.service_layer import public_directory, public_figures
from services.feedback.service_layer.public_schemas import PublicFiguresRead, PublicRegionRead, RegionNameRead
from shared.contracts.periods import PeriodKey
from shared.http import PUBLIC
from shared.route_work import Context

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
    async with context.read_session(region_id) as session:
        return await public_directory.region_profile(session, region_id)


@router.get("/regions/{region_id}/figures", response_model=PublicFiguresRead, openapi_extra=PUBLIC)
async def region_figures(
    region_id: RegionId,
    context: Context,
    period: Annotated[PeriodKey | None, Query(description="e.g. 2026-Q4; now if none")] = None,
    _: CitizenClient = DirectoryCitizen,
) -> PublicFiguresRead:
    """Each unit's satisfaction index, grade and respondents, and its complaints filed and closed in time."""
    async with context.read_session(region_id) as session:
        return await public_figures.region_figures(session, region_id, period, utc_now())
