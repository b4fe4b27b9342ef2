"""Scoring's three hot reads (scorecard, unit and region dashboard) are hot routes: served without
FastAPI's dependency solving (shared.hot_route), each resolving only its roles (bench/README.md,
session 10)."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from services.scoring.entrypoints.api import router
from shared.auth import Role
from shared.hot_route import HotRoute
from shared.route_roles import allowed_roles_of

READS = {
    "/v1/employees/{employee_id}/scorecard": {Role.EMPLOYEE, Role.RATER, Role.REGION_ADMIN, Role.AUDITOR},
    "/v1/units/{unit_id}/dashboard": {Role.REGION_ADMIN, Role.AUDITOR, Role.RATER},
    "/v1/region/dashboard": {Role.REGION_ADMIN, Role.AUDITOR},
}


@pytest.mark.parametrize(("path", "roles"), READS.items())
def test_a_hot_read_is_a_hot_route_resolving_its_roles_only(path: str, roles: set[Role]) -> None:
    [route] = [
        r for r in router.routes if isinstance(r, APIRoute) and r.path == path and r.methods == {"GET"}
    ]
    assert isinstance(route, HotRoute)
    [dependency] = route.dependant.dependencies
    assert allowed_roles_of(dependency.call) == frozenset(roles)
