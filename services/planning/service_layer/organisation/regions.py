"""Regions (daerah): registering one, finding it, and its local today."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.tables import regions
from services.planning.domain.organisation import (
    Region,
)
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.schemas import RegionCreate, RegionRead
from shared.contracts.planning import RegionRegistered
from shared.refusals import Refusal, RefusalKind
from shared.region_time import region_now
from shared.unit_of_work import UnitOfWork


def new_id() -> str:
    """A fresh opaque id."""
    return uuid.uuid4().hex


async def register_region(*, uow: UnitOfWork, region_in: RegionCreate) -> RegionRead:
    """Add a region to the platform."""
    try:
        Region(region_in.region_id, region_in.name)
    except Refusal as error:
        raise in_api_terms(error, renames={"id": "region_id"}) from None
    existing = await uow.session.scalar(
        select(regions.c.region_id).where(regions.c.region_id == region_in.region_id)
    )
    if existing is not None:
        raise Refusal(
            "region_exists",
            "Region %(region_id)s already exists.",
            field="region_id",
            kind=RefusalKind.CONFLICT,
            params={"region_id": repr(region_in.region_id)},
        )
    await uow.session.execute(insert(regions).values(**region_in.model_dump()))
    uow.emit(RegionRegistered(**region_in.model_dump()))
    return RegionRead(**region_in.model_dump())


async def require_region(session: AsyncSession, region_id: str, *, lock: bool = False) -> Row[Any]:
    """The caller's region row, or 404.

    With `lock`, changes to the region's organisation wait for each other, so two concurrent moves
    can never each pass the cycle check against a state the other is changing.
    """
    row = await repository.region_row(session, region_id, lock=lock)
    if row is None:
        raise Refusal(
            "unknown_region",
            "Region %(region_id)s does not exist.",
            kind=RefusalKind.NOT_FOUND,
            params={"region_id": repr(region_id)},
        )
    return row


def region_today(region: Row[Any]) -> date:
    """Today on a region's own calendar (its row, as :func:`require_region` reads it): its day
    starts at midnight in its time zone."""
    return region_now(region.timezone).date()


async def today_in_region(session: AsyncSession, region_id: str) -> date:
    """Today on the region's own calendar, for a caller not holding its row."""
    return region_today(await require_region(session, region_id))
