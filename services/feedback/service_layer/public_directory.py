"""What anyone may read about a region without an account: its name, time zone, units and services.

These are public facts (the names of offices and of the services they offer), never personal data.
The list of regions reads across regions, the one public read that does, and only the ``regions``
table's name and zone columns.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import regions, unit_services, units
from services.feedback.service_layer.public_schemas import (
    PublicRegionRead,
    PublicServiceRead,
    PublicUnitRead,
    RegionNameRead,
)
from shared.db import see_all_regions
from shared.refusals import Refusal, RefusalKind


async def list_regions(session: AsyncSession) -> list[RegionNameRead]:
    """Every region by name, for a citizen choosing where they were served."""
    await see_all_regions(session)
    rows = await session.execute(
        select(regions.c.region_id, regions.c.name, regions.c.timezone).order_by(regions.c.name)
    )
    return [RegionNameRead(region_id=row.region_id, name=row.name, timezone=row.timezone) for row in rows]


async def region_profile(session: AsyncSession, region_id: str) -> PublicRegionRead:
    """A region's name and zone, its units and each unit's rated services."""
    region = (
        await session.execute(
            select(regions.c.name, regions.c.timezone, regions.c.period_kind).where(
                regions.c.region_id == region_id
            )
        )
    ).first()
    if region is None:
        raise Refusal("unknown_region", "No such region.", field="region_id", kind=RefusalKind.NOT_FOUND)
    unit_rows = await session.execute(
        select(units.c.unit_id, units.c.name).where(units.c.region_id == region_id).order_by(units.c.name)
    )
    service_rows = await session.execute(
        select(unit_services.c.unit_id, unit_services.c.service_id, unit_services.c.name)
        .where(unit_services.c.region_id == region_id)
        .order_by(unit_services.c.name)
    )
    services: dict[str, list[PublicServiceRead]] = {}
    for row in service_rows:
        services.setdefault(row.unit_id, []).append(
            PublicServiceRead(service_id=row.service_id, name=row.name)
        )
    return PublicRegionRead(
        region_id=region_id,
        name=region.name,
        timezone=region.timezone,
        period_kind=region.period_kind,
        units=[
            PublicUnitRead(unit_id=row.unit_id, name=row.name, services=services.get(row.unit_id, []))
            for row in unit_rows
        ],
    )
