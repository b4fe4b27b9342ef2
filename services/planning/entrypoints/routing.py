"""What planning's route modules share: the router shape, role guards and a read session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Role, require_roles
from shared.errors import Unprocessable
from shared.guarded_route import GuardedRoute
from shared.runtime import ServiceContext
from shared.validation import contains_nul


async def _no_nul_in_url(request: Request) -> None:
    """Refuse NUL characters in paths and query strings: PostgreSQL text cannot hold them."""
    if contains_nul(request.url.path) or contains_nul(str(request.query_params)):
        raise Unprocessable(
            "invalid_input",
            "The URL must not contain NUL characters.",
            "URL tidak boleh berisi karakter NUL.",
        )


def planning_router() -> APIRouter:
    """A router of planning's versioned API: guarded, and refusing NUL characters in the URL."""
    return APIRouter(
        prefix="/v1", tags=["planning"], dependencies=[Depends(_no_nul_in_url)], route_class=GuardedRoute
    )


PlatformAdmin = require_roles(Role.PLATFORM_ADMIN)
RegionAdmin = require_roles(Role.REGION_ADMIN)
Employee = require_roles(Role.EMPLOYEE)
Rater = require_roles(Role.RATER)
RegionReader = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER, Role.EMPLOYEE)
TeamReader = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)


@asynccontextmanager
async def reading(context: ServiceContext, region_id: str) -> AsyncIterator[AsyncSession]:
    """A session for reads in the region, closed when the block ends."""
    session = await context.read_session(region_id)
    try:
        yield session
    finally:
        await session.close()
