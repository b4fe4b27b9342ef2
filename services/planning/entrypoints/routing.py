"""What planning's route modules share: the router shape and the role guards."""

from __future__ import annotations

from fastapi import APIRouter

from shared.auth import Role
from shared.guarded_route import GuardedRoute
from shared.route_roles import require_roles


def planning_router() -> APIRouter:
    """A router of planning's versioned API (its routes guarded, a NUL in the URL refused among them)."""
    return APIRouter(prefix="/v1", tags=["planning"], route_class=GuardedRoute)


PlatformAdmin = require_roles(Role.PLATFORM_ADMIN)
RegionAdmin = require_roles(Role.REGION_ADMIN)
Employee = require_roles(Role.EMPLOYEE)
Rater = require_roles(Role.RATER)
RegionReader = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER, Role.EMPLOYEE)
TeamReader = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)
