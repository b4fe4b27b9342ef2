"""What planning's route modules share: the router shape and the role guards."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from shared.auth import Role
from shared.guarded_route import GuardedRoute
from shared.refusals import Refusal
from shared.route_roles import require_roles
from shared.validation import contains_nul


async def _no_nul_in_url(request: Request) -> None:
    """Refuse NUL characters in paths and query strings: PostgreSQL text cannot hold them."""
    if contains_nul(request.url.path) or contains_nul(str(request.query_params)):
        raise Refusal("invalid_input", "The URL must not contain NUL characters.")


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
