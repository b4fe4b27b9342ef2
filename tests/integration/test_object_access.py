"""Object-level access of every endpoint, generated from the route tables, on real objects.

``tests/contract/test_access_policies.py`` proves that each route admits only its declared roles.
Here the caller holds an admitted role and asks for real objects of region A:
- a caller of another region (holding every role the endpoint admits, and even claiming the
  employee id of region A's employee) gets 403 or 404 for an object of region A, and an answer
  that succeeds (a list, a creation in their own region) carries none of region A's identifiers;
- an employee asking for a colleague's object by id gets 403 or 404;
- a refused write leaves region A exactly as it was, read back by region A's own staff.
Each path parameter is filled with a seeded object of region A; a parameter, a required query
parameter or a write without a seed fails the suite, so a new endpoint cannot slip through.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from shared.auth import Role
from shared.db import restrict_to_region
from shared.runtime import build_app
from tests.conftest import wait_until
from tests.contract.test_access_policies import ALL_ENDPOINTS, PROTECTED, Endpoint
from tests.integration.object_access_calls import (
    BODIES,
    COLLEAGUE_MAY,
    COVERED_ELSEWHERE,
    EMPTY_FOR_UNKNOWN,
    NAMES_EVERY_REGION,
    OPERATIONAL,
    PATH_SEEDS,
    WRITES,
    activity_body,
    build_call,
    leaked,
    names_an_object,
    path_parameters,
    seed_hint,
    send,
)
from tests.integration.object_access_seeds import seed_world
from tests.integration.object_access_world import (
    World,
    start_services,
    unique,
)

pytestmark = pytest.mark.integration

# --- What region A looks like to its own staff ----------------------------------------------------


async def snapshot(world: World) -> dict[str, Any]:
    """Region A's objects and audit trails as its HR and auditors read them, and its outbox sizes."""
    staff = world.headers(["region_admin", "auditor"])
    owner, unit, period = world.ids["owner"], world.ids["unit_id"], {"period": world.period}
    reads: list[tuple[str, str, dict[str, Any]]] = [
        ("planning", "/v1/units", {}),
        ("planning", "/v1/employees", {}),
        ("planning", f"/v1/employees/{owner}/history", {}),
        ("planning", "/v1/work-plans", {}),
        ("reporting", "/v1/activities", {}),
        ("reporting", f"/v1/activities/{world.ids['activity_id']}", {}),
        ("reporting", "/v1/field-visits", {}),
        ("scoring", f"/v1/employees/{owner}/scorecard", period),
        ("scoring", "/v1/overrides", period),
        ("scoring", "/v1/periods", {}),
        ("scoring", "/v1/rules", {}),
        ("scoring", "/v1/flags", {}),
        ("feedback", f"/v1/units/{unit}/services", {}),
        ("feedback", f"/v1/units/{unit}/satisfaction", period | {"service_id": world.ids["service_id"]}),
        ("feedback", f"/v1/complaints/{world.ids['complaint_id']}", {}),
        ("feedback", "/v1/complaint-calendar/holidays", {}),
        ("feedback", "/v1/complaint-policies", {}),
        ("feedback", f"/v1/employees/{owner}/continuous-feedback", {}),
        ("feedback", f"/v1/employees/{owner}/behaviour", period),
    ]
    reads += [(name, "/v1/audit-log", {"limit": 500}) for name in world.services]
    state: dict[str, Any] = {}
    for name, path, params in reads:
        client = world.services[name].client
        assert client is not None
        response = await client.get(path, params=params, headers=staff)
        assert response.status_code == 200, f"{name} {path}: {response.status_code} {response.text[:300]}"
        state[f"{name} {path}"] = response.json()
    for name, running in world.services.items():
        context = running.context
        assert context is not None
        outbox = context.tables.outbox
        async with context.session_factory() as session, session.begin():
            await restrict_to_region(session, world.region)
            state[f"{name} outbox"] = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.region_id == world.region)
            )
    return state


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in before if before[key] != after.get(key)]


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(infrastructure: Any, make_token: Callable[..., str]) -> AsyncIterator[World]:
    """Seeded once for the module: the four services' APIs and region A's objects."""
    services = await start_services()
    try:
        yield await seed_world(services, make_token)
    finally:
        for service in reversed(services.values()):
            await service.close()


@pytest.fixture(scope="module")
async def documents(world: World) -> dict[str, Any]:
    """Each service's OpenAPI document: where the query parameters of each operation are declared."""
    found: dict[str, Any] = {}
    for name, service in world.services.items():
        assert service.client is not None
        response = await service.client.get("/openapi.json")
        assert response.status_code == 200
        found[name] = response.json()
    return found


# --- The tests ------------------------------------------------------------------------------------

CROSS_REGION = [e for e in ALL_ENDPOINTS if e.path not in OPERATIONAL and str(e) not in COVERED_ELSEWHERE]
COLLEAGUE = [
    e
    for e in PROTECTED
    if e.roles and Role.EMPLOYEE in e.roles and names_an_object(e) and str(e) not in COLLEAGUE_MAY
]


def test_every_endpoint_is_covered_and_every_parameter_has_a_seed() -> None:
    """The lists above come from the route tables; a seed missing for any of them fails here first."""
    assert {e.service for e in CROSS_REGION} == {"planning", "reporting", "scoring", "feedback"}
    assert COLLEAGUE, "no endpoint admits employees with an object id in its path"
    for endpoint in ALL_ENDPOINTS:
        for name in path_parameters(endpoint):
            assert name in PATH_SEEDS, seed_hint(f"{endpoint}: path parameter {{{name}}} has no seed")
        if endpoint.method in WRITES and endpoint.path not in OPERATIONAL:
            assert str(endpoint) in BODIES, seed_hint(f"{endpoint}: no request body in BODIES")
    known = {str(e) for e in ALL_ENDPOINTS}
    for listed in (*BODIES, *COLLEAGUE_MAY, *EMPTY_FOR_UNKNOWN, *COVERED_ELSEWHERE, *NAMES_EVERY_REGION):
        assert listed in known, f"{listed} is no longer an endpoint: remove it from this module"


async def check_refusal(
    world: World,
    documents: dict[str, Any],
    endpoint: Endpoint,
    *,
    caller: dict[str, str] | None,
    caller_region: str,
    caller_ids: set[str],
    owner: dict[str, str] | None,
) -> None:
    """Call as ``caller``; an object of region A is refused, anything else carries none of A's data.

    ``caller_ids`` are the identities the caller's token claims (an echo of them is no leak). For a
    read, ``owner`` (region A's own caller) then makes the same request, which must succeed: the
    refusal is about the caller, never about a seed that does not exist. A refused write must leave
    region A as its staff saw it before.
    """
    call = build_call(world, documents, endpoint, region=caller_region)
    call.sent |= caller_ids
    writes = endpoint.method in WRITES
    before = await snapshot(world) if writes else None
    response = await send(world, endpoint, call, caller)
    outcome = f"{endpoint} → {response.status_code} {response.text[:400]}"
    assert response.status_code < 500, outcome
    # Not even an error message may name what region A holds beyond what the caller sent.
    found = leaked(world, endpoint, call, response)
    assert not found, f"region A's data {found} in {outcome}"
    empty_answer_allowed = str(endpoint) in EMPTY_FOR_UNKNOWN and not writes
    if names_an_object(endpoint) and not (empty_answer_allowed and response.is_success):
        allowed = {403, 404, 422} if writes else {403, 404}
        assert response.status_code in allowed, f"region A's object reached: {outcome}"
    if writes and response.status_code == 422:
        code = response.json().get("error", {}).get("code")
        assert code != "invalid_input", f"the body in BODIES no longer fits {endpoint}: {outcome}"
    if before is not None:
        changed = differences(before, await snapshot(world))
        assert not changed, f"{endpoint} changed region A ({changed}) although it answered {outcome}"
        return
    if owner is None and not endpoint.public:
        return
    own_call = build_call(world, documents, endpoint, region=world.region)
    own = await send(world, endpoint, own_call, owner)
    assert own.is_success, (
        f"region A's own caller cannot read {endpoint} either ({own.status_code} {own.text[:300]}): "
        "the seed names no real object, so the refusal above proves nothing"
    )
    if empty_answer_allowed and response.is_success:
        assert leaked(world, endpoint, own_call, own), (
            f"{endpoint}: region A's own answer carries none of its seeded identifiers either, so an "
            f"empty answer to another region proves nothing: {own.text[:300]}"
        )


@pytest.mark.parametrize("endpoint", CROSS_REGION, ids=str)
async def test_a_caller_of_another_region_never_reaches_region_a(
    world: World, documents: dict[str, Any], endpoint: Endpoint
) -> None:
    roles = {role.value for role in endpoint.roles or ()}
    # The other region's identity provider may put any employee id in its tokens: even that of the
    # region A employee with the most right to this endpoint (the owner, or their head for raters).
    claimed = world.ids["owner"] if "employee" in roles or "rater" not in roles else world.ids["head"]
    impostor = None if endpoint.public else world.headers(roles, region=world.other_region, employee=claimed)
    own = None if endpoint.public else world.headers(roles, employee=claimed)
    await check_refusal(
        world,
        documents,
        endpoint,
        caller=impostor,
        caller_region=world.other_region,
        caller_ids={claimed},
        owner=own,
    )


@pytest.mark.parametrize("endpoint", COLLEAGUE, ids=str)
async def test_an_employee_never_reaches_a_colleagues_object(
    world: World, documents: dict[str, Any], endpoint: Endpoint
) -> None:
    colleague_id = world.ids["colleague"]
    await check_refusal(
        world,
        documents,
        endpoint,
        caller=world.headers(["employee"], employee=colleague_id),
        caller_region=world.region,
        caller_ids={colleague_id},
        owner=world.headers(["employee"], employee=world.ids["owner"]),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _collect(stream: httpx.Response, into: list[str]) -> None:
    async for line in stream.aiter_lines():
        into.append(line)


async def test_the_live_feed_of_another_region_never_carries_region_a_activity(world: World) -> None:
    """A rater of region B claiming region A's head's employee id hears nothing of A's team."""
    reporting = world.services["reporting"]
    assert reporting.context is not None
    assert reporting.client is not None
    port = _free_port()
    app = build_app(reporting.definition, reporting.context)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None))
    serving = asyncio.create_task(server.serve())
    head = world.headers(["rater"], employee=world.ids["head"])
    impostor = world.headers(["rater"], region=world.other_region, employee=world.ids["head"])
    heard: dict[str, list[str]] = {"head": [], "impostor": []}
    try:

        async def started() -> bool:
            return bool(server.started)

        await wait_until(started, timeout=10, interval=0.05)
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http,
            http.stream("GET", "/v1/feed", headers=head) as own_stream,
            http.stream("GET", "/v1/feed", headers=impostor) as other_stream,
        ):
            assert (own_stream.status_code, other_stream.status_code) == (200, 200)
            listeners = [
                asyncio.create_task(_collect(own_stream, heard["head"])),
                asyncio.create_task(_collect(other_stream, heard["impostor"])),
            ]

            async def both_connected() -> bool:
                return all(": connected" in lines for lines in heard.values())

            await wait_until(both_connected, timeout=10, interval=0.05)
            activity = activity_body(world) | {"description": unique("Layanan loket malam")}
            response = await reporting.client.post(
                "/v1/activities",
                json=activity,
                headers=world.headers(["employee"], employee=world.ids["owner"]),
            )
            assert response.status_code == 201, response.text

            async def head_heard_it() -> bool:
                return any(activity["activity_id"] in line for line in heard["head"])

            await wait_until(head_heard_it, timeout=10, interval=0.05)
            # Both subscriptions read the same Redis; what reached one has had its time to reach the other.
            await asyncio.sleep(0.5)
            for listener in listeners:
                listener.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
        world.remember(activity["activity_id"], activity["description"])
        assert not [line for line in heard["impostor"] if line.startswith("data:")], heard["impostor"]
    finally:
        server.should_exit = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(serving, timeout=10)
