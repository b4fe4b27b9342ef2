"""The submission routes resolve one dependency, their role: each level of FastAPI dependencies costs
every request about 10 µs, a few per cent of a submission (bench/README.md, session 9); and they are
hot routes, served without FastAPI's dependency solving at all (session 10)."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from services.reporting.entrypoints.activity_api import router
from shared.auth import Role
from shared.hot_route import HotRoute
from shared.route_roles import allowed_roles_of


@pytest.mark.parametrize("path", ["/v1/activities", "/v1/activities/batch"])
def test_a_submission_route_resolves_its_role_and_nothing_else(path: str) -> None:
    [route] = [
        r
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and "POST" in (r.methods or set())
    ]
    [dependency] = route.dependant.dependencies
    assert allowed_roles_of(dependency.call) == frozenset({Role.EMPLOYEE})
    assert dependency.dependencies == []


@pytest.mark.parametrize("path", ["/v1/activities", "/v1/activities/batch"])
def test_a_submission_route_is_a_hot_route(path: str) -> None:
    [route] = [
        r for r in router.routes if isinstance(r, APIRoute) and r.path == path and r.methods == {"POST"}
    ]
    assert isinstance(route, HotRoute)
