"""How the object-level access tests call each endpoint with region A's objects, and read the answers.

Every path and query parameter is filled with a seeded object of region A, every write has a
plausible body; a parameter or write without one fails the suite (``seed_hint`` says where to add it).
"""

from __future__ import annotations

import csv
import io
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.planning.domain.csv_import import COLUMNS
from shared.region_time import DEFAULT_TIMEZONE
from tests.contract.test_access_policies import Endpoint
from tests.integration.object_access_world import (
    BERAKHLAK,
    PHOTO,
    SKM_ITEMS,
    World,
    citizen,
    random_nip,
    unique,
)
from tests.region_clock import moment_ago

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
    "period": lambda world, _: world.period,
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
    "period": lambda world: world.period,
    "year": lambda world: world.year,
}


def activity_body(world: World) -> dict[str, Any]:
    return {
        "activity_id": unique("act"),
        "indicator_id": world.ids["indicator_id"],
        "occurred_at": moment_ago(DEFAULT_TIMEZONE, timedelta(hours=1)).isoformat(),
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
        "effective_date": f"{world.year}-01-01",
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
            "effective_from": f"{w.year}-01-01",
        }
    },
    "planning POST /v1/employees/{employee_id}/moves": lambda w: {
        "json": {"effective_from": f"{w.year}-06-01", "position": "Dipindahkan Paksa"}
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
    "planning POST /v1/work-plans": lambda w: {"json": {"year": w.year, "results": _plan_results(w)}},
    "planning PUT /v1/work-plans/{plan_id}": lambda w: {"json": {"results": _plan_results(w)}},
    "planning POST /v1/work-plans/{plan_id}/submit": lambda w: {},
    "planning POST /v1/work-plans/{plan_id}/approve": lambda w: {},
    "planning POST /v1/work-plans/{plan_id}/reject": lambda w: {"json": {"reason": "Ditolak dari luar"}},
    "planning POST /v1/work-plans/{plan_id}/revise": lambda w: {},
    "planning POST /v1/work-plans/{plan_id}/withdraw": lambda w: {"json": {"reason": "Ditarik dari luar"}},
    "reporting POST /v1/activities": lambda w: {"json": activity_body(w)},
    "reporting POST /v1/activities/batch": lambda w: {"json": {"items": [activity_body(w)]}},
    "reporting POST /v1/activities/{activity_id}/verify": lambda w: {"json": {"note": "Diverifikasi"}},
    "reporting POST /v1/activities/{activity_id}/reject": lambda w: {"json": {"note": "Ditolak dari luar"}},
    "reporting POST /v1/activities/{activity_id}/correction": lambda w: {
        "json": {
            "occurred_at": moment_ago(DEFAULT_TIMEZONE, timedelta(hours=1)).isoformat(),
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
            "visited_at": moment_ago(DEFAULT_TIMEZONE, timedelta(hours=1)).isoformat(),
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
    "scoring POST /v1/rules": lambda w: {"json": {"effective_from": f"{w.year + 1}-01-01"}},
    "feedback POST /v1/units/{unit_id}/services": lambda w: {
        "json": {"service_id": unique("svc"), "name": "Layanan Tiruan"}
    },
    "feedback POST /v1/units/{unit_id}/service-tickets": lambda w: {"json": {"count": 1}},
    "feedback PUT /v1/units/{unit_id}/service-users": lambda w: {
        "json": {"period": w.period, "service_users": 1000}
    },
    "feedback POST /v1/complaints/{complaint_id}/transitions": lambda w: {"json": {"status": "verified"}},
    "feedback POST /v1/complaint-calendar/holidays": lambda w: {
        "json": {"day": f"{w.year}-12-30", "name": "Libur Tiruan"}
    },
    "feedback DELETE /v1/complaint-calendar/holidays/{day}": lambda w: {},
    "feedback POST /v1/complaint-policies": lambda w: {"json": {"effective_from": f"{w.year + 1}-01-01"}},
    "feedback POST /v1/employees/{employee_id}/continuous-feedback": lambda w: {
        "json": {
            "result_id": w.ids["result_id"],
            "activity_ids": [w.ids["activity_id"]],
            "text": "Umpan balik dari luar",
        }
    },
    "feedback POST /v1/employees/{employee_id}/behaviour-assessments": lambda w: {
        "json": {"period": w.period, "scores": dict.fromkeys(BERAKHLAK, 1)}
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


def seed_hint(what: str) -> str:
    return (
        f"{what}: add a real object of region A for it in tests/integration/object_access_seeds.py "
        "and map it in tests/integration/object_access_calls.py, so that this endpoint's object-level "
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
            pytest.fail(seed_hint(f"{endpoint}: path parameter {{{name}}} has no seed"))
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
            pytest.fail(seed_hint(f"{endpoint}: required query parameter {name!r} has no seed"))
    sent |= _strings(params)
    options: dict[str, Any] = {}
    if endpoint.method in WRITES:
        if str(endpoint) not in BODIES:
            pytest.fail(seed_hint(f"{endpoint}: no request body in BODIES"))
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
