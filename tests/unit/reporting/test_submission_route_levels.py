"""The submission routes resolve one dependency, their role: each level of FastAPI dependencies costs
every request about 10 µs, a few per cent of a submission (bench/README.md, session 9); and they are
hot routes, served without FastAPI's dependency solving at all (session 10)."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from kinerja.services import definition
from services.reporting.entrypoints.activity_api import router
from shared.auth import Role
from shared.hot_route import HotPaths, HotRoute
from shared.route_roles import allowed_roles_of
from shared.runtime import build_app
from shared.wiring import build_context


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


def test_reporting_finds_its_submission_routes_ahead_of_its_route_table() -> None:
    service = definition("reporting")
    hot_paths = build_app(service, build_context(service)).router.routes[0]
    assert isinstance(hot_paths, HotPaths)
    assert set(hot_paths.routes) == {("POST", "/v1/activities"), ("POST", "/v1/activities/batch")}
