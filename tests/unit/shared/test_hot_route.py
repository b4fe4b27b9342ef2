"""A hot route answers every request as the same endpoint declared as an ordinary route does, without
FastAPI's dependency solving on the requests it takes (shared/hot_route.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import httpx
import orjson
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.dependencies import utils as dependency_utils
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import Match

from shared.auth import Principal, Role, TokenVerifier, mint_dev_token
from shared.guarded_route import GuardedRoute
from shared.hot_route import HotPaths, HotRoute, hot_route
from shared.http import client_address, create_app
from shared.route_roles import require_roles
from shared.settings import ServiceSettings
from tests.unit.shared.test_admitted_once import settings

__all__ = ["settings"]  # a signing key and the settings that read it, the admission tests' fixture


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thing_id: str = Field(pattern=r"^[a-z0-9-]{3,20}$")
    amount: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    note: str = Field(min_length=3, max_length=50)


AsEmployee = require_roles(Role.EMPLOYEE)
ItemId = Annotated[str, PathParam(max_length=8)]
Limit = Annotated[int, Query(ge=1, le=10)]


async def take_thing(
    thing: Thing, item_id: ItemId, request: Request, limit: Limit = 5, principal: Principal = AsEmployee
) -> Response:
    """Echo what the route was given."""
    answer = {
        "thing": thing.model_dump(mode="json"),
        "amount": repr(thing.amount),
        "item_id": item_id,
        "limit": limit,
        "caller": principal.subject,
        "client": client_address(request),
    }
    return Response(orjson.dumps(answer), status_code=201)


plain = APIRouter(route_class=GuardedRoute)
plain.add_api_route("/v1/things/{item_id}", take_thing, methods=["POST"], status_code=201)
hot = APIRouter(route_class=GuardedRoute)
hot_route(hot, "POST", "/v1/things/{item_id}", status_code=201)(take_thing)

GOOD = b'{"thing_id": "abc-1", "amount": 1.50000, "note": "hello"}'
JSON = {"Content-Type": "application/json"}

#: (name, path, headers, body): every way a request may be wrong, and some right ones.
REQUESTS: list[tuple[str, str, dict[str, str], bytes]] = [
    ("good", "/v1/things/x1", JSON, GOOD),
    ("good, charset", "/v1/things/x1?limit=3", {"Content-Type": "application/json; charset=utf-8"}, GOOD),
    ("good, +json", "/v1/things/x1", {"Content-Type": "application/vnd.kinerja+json"}, GOOD),
    ("good, upper case type", "/v1/things/x1", {"Content-Type": "Application/JSON"}, GOOD),
    (
        "big number",
        "/v1/things/x1",
        JSON,
        b'{"thing_id": "abc-1", "amount": 123456789012345678901234, "note": "x"}',
    ),
    ("NaN", "/v1/things/x1", JSON, b'{"thing_id": "abc-1", "amount": NaN, "note": "hello"}'),
    ("no content type", "/v1/things/x1", {}, GOOD),
    ("text", "/v1/things/x1", {"Content-Type": "text/plain"}, GOOD),
    ("form", "/v1/things/x1", {"Content-Type": "application/x-www-form-urlencoded"}, b"thing_id=abc-1"),
    ("empty body", "/v1/things/x1", JSON, b""),
    ("not JSON", "/v1/things/x1", JSON, b'{"thing_id": '),
    ("JSON null", "/v1/things/x1", JSON, b"null"),
    ("a list", "/v1/things/x1", JSON, b"[1, 2]"),
    ("missing fields", "/v1/things/x1", JSON, b'{"thing_id": "abc-1"}'),
    ("extra field", "/v1/things/x1", JSON, b'{"thing_id": "abc-1", "note": "hello", "more": 1}'),
    ("bad pattern", "/v1/things/x1", JSON, b'{"thing_id": "ABC 1", "note": "hello"}'),
    ("too many places", "/v1/things/x1", JSON, b'{"thing_id": "abc-1", "note": "hello", "amount": 1.23456}'),
    ("long path parameter", "/v1/things/x123456789", JSON, GOOD),
    ("query out of range", "/v1/things/x1?limit=11", JSON, GOOD),
    ("query not a number", "/v1/things/x1?limit=many", JSON, GOOD),
    ("UTF-16 body", "/v1/things/x1", JSON, GOOD.decode().encode("utf-16")),
    ("nested past the parser's depth", "/v1/things/x1", JSON, b"[" * 2000),
]


def _app(router: APIRouter, settings: ServiceSettings) -> FastAPI:
    app = create_app(title="t", description="t", routers=[router], readiness_checks={}, max_body_bytes=2048)
    app.state.token_verifier = TokenVerifier(settings)
    return app


async def _answers(
    router: APIRouter, settings: ServiceSettings, requests: list[tuple[str, str, dict[str, str], bytes]]
) -> list[tuple[int, Any, str | None]]:
    app = _app(router, settings)
    employee = mint_dev_token(settings, subject="e-1", roles=[Role.EMPLOYEE], region_id="r-unit")
    answers = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        for _, path, headers, body in requests:
            response = await http.post(
                path, content=body, headers=headers | {"Authorization": f"Bearer {employee}"}
            )
            answers.append((response.status_code, response.json(), response.headers.get("content-type")))
    return answers


@pytest.mark.parametrize("request_", REQUESTS, ids=[name for name, *_ in REQUESTS])
async def test_a_hot_route_answers_as_the_ordinary_route(
    settings: ServiceSettings, request_: tuple[str, str, dict[str, str], bytes]
) -> None:
    [ordinary] = await _answers(plain, settings, [request_])
    [lean] = await _answers(hot, settings, [request_])
    assert lean == ordinary


async def test_a_hot_route_refuses_before_the_body_as_every_route(settings: ServiceSettings) -> None:
    app = _app(hot, settings)
    rater = mint_dev_token(settings, subject="r-1", roles=[Role.RATER], region_id="r-unit")
    employee = mint_dev_token(settings, subject="e-1", roles=[Role.EMPLOYEE], region_id="r-unit")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        anonymous = await http.post("/v1/things/x1", content=GOOD, headers=JSON)
        wrong_role = await http.post(
            "/v1/things/x1", content=GOOD, headers=JSON | {"Authorization": f"Bearer {rater}"}
        )
        too_large = await http.post(
            "/v1/things/x1", content=b" " * 4096 + GOOD, headers=JSON | {"Authorization": f"Bearer {rater}"}
        )
        too_large_allowed = await http.post(
            "/v1/things/x1",
            content=b" " * 4096 + GOOD,
            headers=JSON | {"Authorization": f"Bearer {employee}"},
        )
        wrong_method = await http.put("/v1/things/x1", content=GOOD, headers=JSON)
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "missing_token")
    assert (wrong_role.status_code, wrong_role.json()["error"]["code"]) == (403, "wrong_role")
    assert (too_large.status_code, too_large.json()["error"]["code"]) == (403, "wrong_role")  # token first
    assert (too_large_allowed.status_code, too_large_allowed.json()["error"]["code"]) == (413, "too_large")
    assert wrong_method.status_code == 405


async def test_a_hot_route_solves_no_dependencies_for_the_requests_it_takes(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    solved: list[object] = []
    solve = dependency_utils.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        solved.append(kwargs.get("dependant"))
        return await solve(*args, **kwargs)

    monkeypatch.setattr("fastapi.routing.solve_dependencies", counting)
    good = [r for r in REQUESTS if r[0] == "good"]
    [(status, _, _)] = await _answers(hot, settings, good)
    assert (status, solved) == (201, [])
    await _answers(plain, settings, good)
    assert solved, "the ordinary route solves its dependencies (the count sees them)"


async def _header_parameter(
    principal: Principal = AsEmployee, x_trace: Annotated[str, Header()] = ""
) -> Response:
    return Response(b"{}")


async def _other_dependency(
    principal: Principal = AsEmployee, extra: Annotated[int, Depends(lambda: 1)] = 0
) -> Response:
    return Response(b"{}")


async def _no_roles() -> Response:
    return Response(b"{}")


@pytest.mark.parametrize("endpoint", [_header_parameter, _other_dependency, _no_roles])
def test_a_hot_route_refuses_what_its_lean_path_would_skip(endpoint: Any) -> None:
    with pytest.raises(TypeError, match="hot route /v1/refused cannot take"):
        HotRoute("/v1/refused", endpoint, methods=["POST"])


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_the_application_finds_a_hot_route_of_a_fixed_path_ahead_of_its_table(
    settings: ServiceSettings,
) -> None:
    fixed = APIRouter(route_class=GuardedRoute)
    hot_route(fixed, "POST", "/v1/fixed")(_no_parameters)
    app = _app(fixed, settings)
    hot_paths = app.router.routes[0]
    assert isinstance(hot_paths, HotPaths)
    [route] = [r for r in fixed.routes if isinstance(r, HotRoute)]
    assert hot_paths.matches(_scope("POST", "/v1/fixed")) == (
        Match.FULL,
        {"endpoint": _no_parameters, "route": route, "path_params": {}},
    )
    assert hot_paths.matches(_scope("GET", "/v1/fixed"))[0] is Match.NONE  # a 405, from the table
    assert hot_paths.matches(_scope("POST", "/v1/things/x1"))[0] is Match.NONE  # a path parameter
    assert hot_paths.matches(_scope("POST", "/v1/fixed") | {"root_path": "/api"})[0] is Match.NONE


def test_a_hot_path_another_route_of_its_method_also_matches_is_left_to_the_table() -> None:
    shadowing = APIRouter(route_class=GuardedRoute)
    shadowing.add_api_route("/v1/{anything}", _no_parameters, methods=["POST"])
    hot_route(shadowing, "POST", "/v1/fixed")(_no_parameters)
    assert HotPaths(shadowing.routes).routes == {}


async def _no_parameters(principal: Principal = AsEmployee) -> Response:
    return Response(b"{}")


def test_the_application_finds_a_hot_route_with_path_parameters_by_its_pattern(
    settings: ServiceSettings,
) -> None:
    app = _app(hot, settings)
    hot_paths = app.router.routes[0]
    assert isinstance(hot_paths, HotPaths)
    [route] = [r for r in hot.routes if isinstance(r, HotRoute)]
    assert hot_paths.matches(_scope("POST", "/v1/things/x1")) == (
        Match.FULL,
        {"endpoint": take_thing, "route": route, "path_params": {"item_id": "x1"}},
    )
    assert hot_paths.matches(_scope("PUT", "/v1/things/x1"))[0] is Match.NONE  # a 405, from the table
    assert hot_paths.matches(_scope("POST", "/v1/things/x1/more"))[0] is Match.NONE


@pytest.mark.parametrize(
    ("other", "left_to_the_table"),
    [
        ("/v1/things/special", True),
        ("/v1/{kind}/x1", True),
        ("/v1/{anything:path}", True),
        ("/v1/others/{item_id}", False),
        ("/v1/things/{item_id}/parts", False),
    ],
)
def test_a_hot_path_with_parameters_another_route_may_match_is_left_to_the_table(
    other: str, left_to_the_table: bool
) -> None:
    shadowing = APIRouter(route_class=GuardedRoute)
    shadowing.add_api_route(other, _no_parameters, methods=["POST"])
    hot_route(shadowing, "POST", "/v1/things/{item_id}")(_no_parameters_but_one)
    assert (HotPaths(shadowing.routes).patterned == {}) is left_to_the_table


async def _no_parameters_but_one(item_id: str, principal: Principal = AsEmployee) -> Response:
    return Response(b"{}")


async def test_plain_parameters_present_are_validated_without_fastapis_reading_of_them(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each by its own field; one missing (its default, or its error) by FastAPI's own reading."""
    read: list[object] = []
    request_params_to_args = dependency_utils.request_params_to_args

    def counting(fields: Any, received: Any) -> Any:
        read.append(received)
        return request_params_to_args(fields, received)

    monkeypatch.setattr("shared.hot_route.request_params_to_args", counting)
    given = [r for r in REQUESTS if r[0] in ("good, charset", "query out of range")]
    assert [status for status, _, _ in await _answers(hot, settings, given)] == [201, 422]
    assert read == []
    [(status, answer, _)] = await _answers(hot, settings, [r for r in REQUESTS if r[0] == "good"])
    assert (status, answer["limit"], len(read)) == (201, 5, 1)  # the default, read by FastAPI
