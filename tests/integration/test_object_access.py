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
import csv
import io
import re
import socket
import string
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from services.planning.domain.csv_import import COLUMNS
from shared.auth import Role
from shared.db import restrict_to_region
from shared.runtime import build_app
from tests.conftest import wait_until
from tests.contract.test_access_policies import ALL_ENDPOINTS, PROTECTED, Endpoint
from tests.integration.object_access_seeds import (
    BERAKHLAK,
    NOW,
    PERIOD,
    PHOTO,
    SKM_ITEMS,
    YEAR,
    World,
    citizen,
    random_nip,
    seed_world,
    start_services,
    unique,
)

pytestmark = pytest.mark.integration

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPERATIONAL = frozenset({"/healthz", "/readyz", "/metrics"})

# --- How each endpoint is called with region A's objects ------------------------------------------

#: Path parameter → region A's object; the second argument is the caller's region.
PATH_SEEDS: dict[str, Callable[[World, str], str]] = {
    "region_id": lambda world, region: region,  # public routes: the caller names their own region
    "unit_id": lambda world, _: world.ids["unit_id"],
    "employee_id": lambda world, _: world.ids["owner"],
    "plan_id": lambda world, _: world.ids["plan_id"],
    "indicator_id": lambda world, _: world.ids["indicator_id"],
    "activity_id": lambda world, _: world.ids["activity_id"],
    "sha256": lambda world, _: world.ids["sha256"],
    "complaint_id": lambda world, _: world.ids["complaint_id"],
    "tracking_code": lambda world, _: world.ids["tracking_code"],
    "period": lambda world, _: PERIOD,
    "day": lambda world, _: world.ids["day"],
}
#: Path parameters that name no object of a region: every region has its own periods and its own
#: calendar days, so another region's caller acts on theirs (an answer must still carry none of A's data).
REGION_RELATIVE = frozenset({"region_id", "period", "day"})

#: Query parameters filled whenever an endpoint has them (required ones must be here).
QUERY_SEEDS: dict[str, Callable[[World], Any]] = {
    "employee_id": lambda world: world.ids["owner"],
    "supervisor_id": lambda world: world.ids["head"],
    "unit_id": lambda world: world.ids["unit_id"],
    "indicator_id": lambda world: world.ids["indicator_id"],
    "service_id": lambda world: world.ids["service_id"],
    "period": lambda _: PERIOD,
    "year": lambda _: YEAR,
}


def _activity(world: World) -> dict[str, Any]:
    return {
        "activity_id": unique("act"),
        "indicator_id": world.ids["indicator_id"],
        "occurred_at": (NOW - timedelta(hours=1)).isoformat(),
        "quantity": 3,
        "description": "Laporan dari luar tim",
    }


def _plan_results(world: World) -> list[dict[str, Any]]:
    indicator = {"name": "KTP-el diterbitkan", "unit_of_measure": "keping", "target": 10}
    return [
        {"text": "Rencana tiruan", "supports_result_id": world.ids["result_id"], "indicators": [indicator]}
    ]


def _organisation_csv(world: World) -> str:
    """One employee placed under region A's head, in region A's unit code."""
    row = {
        "nip": random_nip(),
        "name": "Pegawai Tiruan",
        "unit_code": world.ids["unit_code"],
        "unit_name": "Unit Tiruan",
        "unit_kind": "dinas",
        "parent_unit_code": "",
        "position": "Petugas",
        "job_type": "id_card_registrar",
        "supervisor_nip": world.ids["head_nip"],
        "effective_date": f"{YEAR}-01-01",
    }
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerow([row[column] for column in COLUMNS])
    return text.getvalue()


#: A plausible request body for every write ("service METHOD path"): keyword arguments of httpx.
BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "planning POST /v1/regions": lambda w: {"json": {"region_id": w.region, "name": "Kota Tiruan"}},
    "planning POST /v1/units": lambda w: {
        "json": {
            "code": unique("TIRUAN"),
            "name": "Unit Tiruan",
            "kind": "section",
            "parent_unit_id": w.ids["unit_id"],
        }
    },
    "planning PATCH /v1/units/{unit_id}": lambda w: {"json": {"name": "Nama Diganti", "kind": "agency"}},
    "planning POST /v1/employees": lambda w: {
        "json": {
            "employee_id": unique("p-intruder"),
            "nip": random_nip(),
            "name": "Pegawai Tiruan",
            "unit_id": w.ids["unit_id"],
            "position": "Petugas",
            "job_type": "id_card_registrar",
            "supervisor_id": w.ids["head"],
            "effective_from": f"{YEAR}-01-01",
        }
    },
    "planning POST /v1/employees/{employee_id}/moves": lambda w: {
        "json": {"effective_from": f"{YEAR}-06-01", "position": "Dipindahkan Paksa"}
    },
    "planning POST /v1/imports/organisation": lambda w: {
        "content": _organisation_csv(w).encode(),
        "headers": {"Content-Type": "text/csv"},
    },
    "planning POST /v1/indicator-templates": lambda w: {
        "json": {
            "code": "TIRUAN-"
            + "".join(c for c in uuid.uuid4().hex.upper() if c in string.ascii_uppercase)[:6],
            "name_id": "Dokumen tiruan",
            "name_en": "Forged documents",
            "job_types": ["id_card_registrar"],
            "aspect": "quantity",
            "unit_of_measure": "dokumen",
        }
    },
    "planning POST /v1/work-plans": lambda w: {"json": {"year": YEAR, "results": _plan_results(w)}},
    "planning PUT /v1/work-plans/{plan_id}": lambda w: {"json": {"results": _plan_results(w)}},
    "planning POST /v1/work-plans/{plan_id}/submit": lambda w: {},
    "planning POST /v1/work-plans/{plan_id}/approve": lambda w: {},
    "planning POST /v1/work-plans/{plan_id}/reject": lambda w: {"json": {"reason": "Ditolak dari luar"}},
    "planning POST /v1/work-plans/{plan_id}/revise": lambda w: {},
    "planning POST /v1/work-plans/{plan_id}/withdraw": lambda w: {"json": {"reason": "Ditarik dari luar"}},
    "reporting POST /v1/activities": lambda w: {"json": _activity(w)},
    "reporting POST /v1/activities/batch": lambda w: {"json": {"items": [_activity(w)]}},
    "reporting POST /v1/activities/{activity_id}/verify": lambda w: {"json": {"note": "Diverifikasi"}},
    "reporting POST /v1/activities/{activity_id}/reject": lambda w: {"json": {"note": "Ditolak dari luar"}},
    "reporting POST /v1/activities/{activity_id}/correction": lambda w: {
        "json": {
            "occurred_at": (NOW - timedelta(hours=1)).isoformat(),
            "quantity": 999,
            "description": "Dikoreksi dari luar",
        }
    },
    "reporting POST /v1/activities/{activity_id}/evidence": lambda w: {
        "files": {"file": ("bukti.jpg", PHOTO[:-1] + b"\x01", "image/jpeg")}
    },
    "reporting POST /v1/field-visits": lambda w: {
        "json": {
            "visit_id": unique("visit"),
            "employee_ids": [w.ids["owner"]],
            "location": "Kantor Kecamatan",
            "visited_at": (NOW - timedelta(hours=1)).isoformat(),
            "findings": "Kunjungan tiruan",
        }
    },
    "scoring POST /v1/employees/{employee_id}/ratings/{period}": lambda w: {
        "json": {
            "result_rating": "BELOW",
            "behaviour_rating": "BELOW",
            "reason": "Diturunkan tanpa dasar oleh pihak lain",
        }
    },
    "scoring PUT /v1/employees/{employee_id}/judgements/{period}/{indicator_id}": lambda w: {
        "json": {"judgement": "NOT_MET", "note": "Dinilai tanpa dasar oleh pihak lain"}
    },
    "scoring POST /v1/periods/{period}/close": lambda w: {"json": {"acknowledge_warnings": True}},
    "scoring POST /v1/periods/{period}/analysis": lambda w: {},
    "scoring POST /v1/rules": lambda w: {"json": {"effective_from": f"{YEAR + 1}-01-01"}},
    "feedback POST /v1/units/{unit_id}/services": lambda w: {
        "json": {"service_id": unique("svc"), "name": "Layanan Tiruan"}
    },
    "feedback POST /v1/units/{unit_id}/service-tickets": lambda w: {"json": {"count": 1}},
    "feedback PUT /v1/units/{unit_id}/service-users": lambda w: {
        "json": {"period": PERIOD, "service_users": 1000}
    },
    "feedback POST /v1/complaints/{complaint_id}/transitions": lambda w: {"json": {"status": "verified"}},
    "feedback POST /v1/complaint-calendar/holidays": lambda w: {
        "json": {"day": f"{YEAR}-12-30", "name": "Libur Tiruan"}
    },
    "feedback DELETE /v1/complaint-calendar/holidays/{day}": lambda w: {},
    "feedback POST /v1/complaint-policies": lambda w: {"json": {"effective_from": f"{YEAR + 1}-01-01"}},
    "feedback POST /v1/employees/{employee_id}/continuous-feedback": lambda w: {
        "json": {
            "result_id": w.ids["result_id"],
            "activity_ids": [w.ids["activity_id"]],
            "text": "Umpan balik dari luar",
        }
    },
    "feedback POST /v1/employees/{employee_id}/behaviour-assessments": lambda w: {
        "json": {"period": PERIOD, "scores": dict.fromkeys(BERAKHLAK, 1)}
    },
    "feedback POST /v1/public/regions/{region_id}/units/{unit_id}/survey-responses": lambda w: {
        "json": {"scores": dict.fromkeys(SKM_ITEMS, 1), "service_id": w.ids["service_id"]}
    },
    "feedback POST /v1/public/regions/{region_id}/complaints": lambda w: {
        "json": {"unit_id": w.ids["unit_id"], "description": "Pengaduan dari daerah lain tentang unit ini"}
    },
    "feedback POST /v1/public/regions/{region_id}/complaints/{tracking_code}/reopen": lambda w: {
        "json": {"reason": "Dibuka kembali oleh orang lain"}
    },
    "feedback PUT /v1/public/regions/{region_id}/complaints/{tracking_code}/photo": lambda w: {
        "content": PHOTO,
        "headers": {"Content-Type": "image/jpeg"},
    },
}

#: Public answers that name every region by design, and which of region A's identifiers they may
#: carry (nothing else of region A may appear in them).
NAMES_EVERY_REGION: dict[str, Callable[[World], set[str]]] = {
    "feedback GET /v1/public/regions": lambda w: {w.region},  # the list a citizen picks their region from
}

#: Endpoints an employee may rightly call on a colleague, and why.
COLLEAGUE_MAY: dict[str, str] = {
    "feedback POST /v1/employees/{employee_id}/behaviour-assessments": (
        "peer assessment (BerAKHLAK 360): colleagues assess each other; shown only pooled, from three"
    ),
}

#: Reads that answer an object unknown in the caller's region with an empty 200 instead of 404. No
#: data leaks (the answer must carry none of region A's identifiers, while region A's own caller
#: gets them for the same request), but the convention is 404: remove an entry once its service
#: answers 404 for an unknown id.
EMPTY_FOR_UNKNOWN: dict[str, str] = {
    "reporting GET /v1/employees/{employee_id}/activities": (
        "the caller claims that employee id as their own; ids are per region, so their own (empty) "
        "history in their own region is the right answer"
    ),
}

#: Endpoints whose object-level rule needs more than one request, with the test that covers them.
COVERED_ELSEWHERE: dict[str, str] = {
    "reporting GET /v1/feed": "test_the_live_feed_of_another_region_never_carries_region_a_activity",
}


def path_parameters(endpoint: Endpoint) -> list[str]:
    return re.findall(r"\{(\w+)(?::\w+)?\}", endpoint.path)


def names_an_object(endpoint: Endpoint) -> bool:
    """Whether the path names an object of region A (not only the caller's region or period)."""
    return any(name not in REGION_RELATIVE for name in path_parameters(endpoint))


def _hint(what: str) -> str:
    return (
        f"{what}: add a real object of region A for it in tests/integration/object_access_seeds.py "
        "and map it in tests/integration/test_object_access.py, so that this endpoint's object-level "
        "access is tested"
    )


@dataclass
class Call:
    """One request of the test, and every value it sends (an echo of those is no leak)."""

    method: str
    path: str
    params: dict[str, Any]
    options: dict[str, Any]
    sent: set[str] = field(default_factory=set)


def _strings(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, dict):
        return {s for item in value.values() for s in _strings(item)}
    if isinstance(value, list | tuple):
        return {s for item in value for s in _strings(item)}
    return {str(value)}


def build_call(world: World, documents: dict[str, Any], endpoint: Endpoint, *, region: str) -> Call:
    """The request for ``endpoint`` naming region A's objects, as a caller of ``region``."""
    path = endpoint.path
    sent: set[str] = set()
    for name in path_parameters(endpoint):
        if name not in PATH_SEEDS:
            pytest.fail(_hint(f"{endpoint}: path parameter {{{name}}} has no seed"))
        value = PATH_SEEDS[name](world, region)
        path = re.sub(r"\{" + name + r"(?::\w+)?\}", value.replace("\\", "\\\\"), path)
        sent.add(value)
    params: dict[str, Any] = {}
    operation = documents[endpoint.service]["paths"][endpoint.path][endpoint.method.lower()]
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        if name in QUERY_SEEDS:
            params[name] = QUERY_SEEDS[name](world)
        elif parameter.get("required"):
            pytest.fail(_hint(f"{endpoint}: required query parameter {name!r} has no seed"))
    sent |= _strings(params)
    options: dict[str, Any] = {}
    if endpoint.method in WRITES:
        if str(endpoint) not in BODIES:
            pytest.fail(_hint(f"{endpoint}: no request body in BODIES"))
        options = BODIES[str(endpoint)](world)
        sent |= _strings(options.get("json"))
        if options.get("headers", {}).get("Content-Type") == "text/csv":
            sent |= {cell for line in csv.reader(io.StringIO(options["content"].decode())) for cell in line}
    return Call(endpoint.method, path, params, options, sent)


async def send(
    world: World, endpoint: Endpoint, call: Call, headers: dict[str, str] | None
) -> httpx.Response:
    service = world.services[endpoint.service]
    options = dict(call.options)
    options["headers"] = {**options.get("headers", {}), **(headers or {})}
    if endpoint.public:
        # An anonymous citizen from an address of their own (the citizen rate limits are per address).
        async with citizen(service) as client:
            return await client.request(call.method, call.path, params=call.params, **options)
    assert service.client is not None
    return await service.client.request(call.method, call.path, params=call.params, **options)


def leaked(world: World, endpoint: Endpoint, call: Call, response: httpx.Response) -> list[str]:
    """Region A's identifiers in an answer, once every value the caller sent is taken out of it."""
    text = response.content.decode("utf-8", errors="replace")
    for echo in sorted(call.sent, key=len, reverse=True):
        if len(echo) >= 8:
            text = text.replace(echo, "")
    public = NAMES_EVERY_REGION[str(endpoint)](world) if str(endpoint) in NAMES_EVERY_REGION else set()
    return sorted(i for i in world.identifiers - public if i in text)


# --- What region A looks like to its own staff ----------------------------------------------------


async def snapshot(world: World) -> dict[str, Any]:
    """Region A's objects and audit trails as its HR and auditors read them, and its outbox sizes."""
    staff = world.headers(["region_admin", "auditor"])
    owner, unit, period = world.ids["owner"], world.ids["unit_id"], {"period": PERIOD}
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
            assert name in PATH_SEEDS, _hint(f"{endpoint}: path parameter {{{name}}} has no seed")
        if endpoint.method in WRITES and endpoint.path not in OPERATIONAL:
            assert str(endpoint) in BODIES, _hint(f"{endpoint}: no request body in BODIES")
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
            activity = _activity(world) | {"description": unique("Layanan loket malam")}
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
