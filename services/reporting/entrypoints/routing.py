"""What reporting's route modules share: the router shape, path and query types, and the role guards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from shared.auth import Role
from shared.guarded_route import GuardedRoute
from shared.route_roles import require_roles


def reporting_router() -> APIRouter:
    """A router of reporting's versioned API."""
    return APIRouter(prefix="/v1", tags=["reporting"], route_class=GuardedRoute)


ActivityId = Annotated[str, Path(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=300, description="next_cursor of the previous page.")]

#: Who may call what: an employee reports and corrects, a rater reviews and visits, and the object
#: rules of the service layer narrow each further (own records, own team, own region).
AsEmployee = require_roles(Role.EMPLOYEE)
AsRater = require_roles(Role.RATER)
AsReader = require_roles(Role.EMPLOYEE, Role.RATER, Role.REGION_ADMIN, Role.AUDITOR)
