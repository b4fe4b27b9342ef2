"""Demo data for ``make up``: the four regions of the seeds, with what every journey needs to try.

Units, people and approved plans (a counted and a qualitative indicator each), the services citizens
rate in each unit with single-use survey tickets, and activities awaiting each head's verification.
Loaded through the public HTTP APIs with development tokens, exactly as real clients would; feedback
and reporting learn the organisation and plans from planning's events, so their part waits until
they have. A second ``make up`` finds the regions already there and leaves them alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from shared.auth import Role, mint_dev_token
from shared.region_time import region_now
from shared.settings import ServiceSettings
from shared.time_ordered_ids import uuid7

REGIONS = {
    "belawan": ("Kecamatan Belawan", "Asia/Jakarta"),
    "gerunggang": ("Kecamatan Gerunggang", "Asia/Jakarta"),
    "medan": ("Kota Medan", "Asia/Jakarta"),
    "wanggar": ("Distrik Wanggar", "Asia/Jayapura"),
}

#: (unit code, unit name, job type, position, indicator name, unit of measure, annual target)
UNITS = [
    (
        "disdik",
        "Dinas Pendidikan",
        "school_supervisor",
        "Pengawas Sekolah",
        "Sekolah dikunjungi",
        "sekolah",
        48,
    ),
    (
        "dukcapil",
        "Dinas Kependudukan dan Catatan Sipil",
        "id_card_registrar",
        "Petugas Registrasi KTP-el",
        "KTP-el diterbitkan",
        "dokumen",
        2400,
    ),
    (
        "dpu",
        "Dinas Pelayanan Umum",
        "front_office_clerk",
        "Petugas Loket",
        "Berkas layanan diselesaikan",
        "berkas",
        1800,
    ),
]
STAFF_PER_UNIT = 3

#: The service citizens rate in each unit: (service id, name, survey kind).
UNIT_SERVICES = {
    "disdik": ("sd-negeri", "Layanan pendidikan SD negeri", "school_parents"),
    "dukcapil": ("ktp-el", "Perekaman dan penerbitan KTP-el", "public_service"),
    "dpu": ("loket-berkas", "Loket penerimaan berkas", "public_service"),
}
TICKETS_PER_SERVICE = 5
ACTIVITIES_PER_STAFF = 2
#: How long feedback and reporting may take to learn the demo's organisation and plans from events.
EVENTS_DEADLINE_SECONDS = 90.0


@dataclass(frozen=True)
class DemoTicket:
    """A single-use survey ticket, as a counter would print it on a receipt."""

    unit_id: str
    service_id: str
    code: str


@dataclass
class DemoLoad:
    """What a demo load did: a summary for the terminal and the tickets it issued, by region."""

    summary: str
    tickets: dict[str, list[DemoTicket]] = field(default_factory=dict)


@dataclass
class _Staff:
    employee_id: str
    indicator_id: str


@dataclass
class _RegionSeed:
    """What planning holds of a new demo region, for the services that learn it from events."""

    region: str
    timezone: str
    units: dict[str, str] = field(default_factory=dict)  # code -> unit id
    staff: list[_Staff] = field(default_factory=list)


def _nip(region_index: int, unit_index: int, person: int) -> str:
    """A well-formed 18-digit NIP (birth date, appointment month, sex, sequence)."""
    birth = f"19{80 + person:02d}0{1 + unit_index}1{region_index}"
    return f"{birth}2010{1 + person % 9:02d}{1 + person % 2}{100 + region_index * 10 + unit_index:03d}"


def _post_once_known(
    client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str], deadline: float
) -> httpx.Response:
    """POST until the service knows what the request refers to (404 or 422 until its consumer has
    applied planning's events), then insist on success."""
    while True:
        response = client.post(path, json=body, headers=headers)
        if response.status_code not in (404, 422) or time.monotonic() > deadline:
            response.raise_for_status()
            return response
        time.sleep(0.5)


def _earlier_this_year(ago: timedelta, timezone: str) -> datetime:
    """A moment ``ago`` before now, but inside this year in the region's zone (the plans' year, as
    reporting reads it in the offset sent) in the first minutes of it."""
    now = region_now(timezone)
    return max(now - ago, datetime(now.year, 1, 1, tzinfo=now.tzinfo))


def load_demo(*, data_dir: Path, ports: dict[str, int]) -> DemoLoad:
    """Create the demo regions (skipping any that exist); returns a summary and the tickets issued."""
    settings = ServiceSettings(data_dir=data_dir)
    planning = f"http://127.0.0.1:{ports['planning']}"
    created = 0
    seeds: list[_RegionSeed] = []

    def token(roles: list[Role], region: str | None, employee: str | None = None) -> dict[str, str]:
        minted = mint_dev_token(
            settings, subject=employee or roles[0].value, roles=roles, region_id=region, employee_id=employee
        )
        return {"Authorization": f"Bearer {minted}"}

    with httpx.Client(base_url=planning, timeout=15) as http:
        for region_index, (region, (name, timezone)) in enumerate(REGIONS.items()):
            response = http.post(
                "/v1/regions",
                json={"region_id": region, "name": name, "timezone": timezone},
                headers=token([Role.PLATFORM_ADMIN], None),
            )
            if response.status_code == 409:
                continue
            response.raise_for_status()
            created += 1
            seed = _RegionSeed(region, timezone)
            year = region_now(timezone).year  # the plans' year: the region's own
            seeds.append(seed)
            admin = token([Role.REGION_ADMIN], region)
            for unit_index, (code, unit_name, job_type, position, indicator, uom, target) in enumerate(UNITS):
                unit = http.post("/v1/units", json={"code": code, "name": unit_name}, headers=admin)
                unit.raise_for_status()
                unit_id = unit.json()["unit_id"]
                seed.units[code] = unit_id
                head = f"{region}-{code}-kepala"
                http.post(
                    "/v1/employees",
                    json={
                        "employee_id": head,
                        "nip": _nip(region_index, unit_index, 0),
                        "name": f"Kepala {unit_name}",
                        "unit_id": unit_id,
                        "position": f"Kepala {unit_name}",
                        "job_type": "head",
                        "effective_from": f"{year}-01-01",
                    },
                    headers=admin,
                ).raise_for_status()
                for person in range(1, STAFF_PER_UNIT + 1):
                    staff = f"{region}-{code}-{person}"
                    http.post(
                        "/v1/employees",
                        json={
                            "employee_id": staff,
                            "nip": _nip(region_index, unit_index, person),
                            "name": f"{position} {person}",
                            "unit_id": unit_id,
                            "position": position,
                            "job_type": job_type,
                            "supervisor_id": head,
                            "effective_from": f"{year}-01-01",
                        },
                        headers=admin,
                    ).raise_for_status()
                    quarter = target // 4
                    plan = http.post(
                        "/v1/work-plans",
                        json={
                            "year": year,
                            "results": [
                                {
                                    "text": f"{indicator} sesuai standar pelayanan",
                                    "indicators": [
                                        {
                                            "name": indicator,
                                            "unit_of_measure": uom,
                                            "target": target,
                                            "period_targets": {f"{year}-Q{q}": quarter for q in range(1, 5)},
                                        },
                                        {
                                            # Judged by the rater (penilaian atasan), not counted.
                                            "name": "Sikap pelayanan kepada warga",
                                            "aspect": "quality",
                                            "qualitative_target": "Warga dilayani dengan ramah dan tertib; "
                                            "tidak ada pengaduan tentang sikap petugas",
                                        },
                                    ],
                                }
                            ],
                        },
                        headers=token([Role.EMPLOYEE], region, staff),
                    )
                    plan.raise_for_status()
                    plan_id = plan.json()["plan_id"]
                    counted = plan.json()["results"][0]["indicators"][0]["indicator_id"]
                    seed.staff.append(_Staff(staff, counted))
                    http.post(
                        f"/v1/work-plans/{plan_id}/submit", headers=token([Role.EMPLOYEE], region, staff)
                    )
                    http.post(
                        f"/v1/work-plans/{plan_id}/approve",
                        headers=token([Role.EMPLOYEE, Role.RATER], region, head),
                    ).raise_for_status()
    tickets = _seed_feedback_and_reporting(seeds, ports=ports, token=token)
    people = len(UNITS) * (STAFF_PER_UNIT + 1)
    summary = (
        f"demo data: {created} region(s) created ({len(REGIONS) - created} already there); "
        f"each has {len(UNITS)} units with a rated service and {TICKETS_PER_SERVICE} survey tickets, "
        f"{people} employees with approved plans (a counted and a qualitative indicator) and "
        f"{ACTIVITIES_PER_STAFF} activities per staff member awaiting their head's verification.\n"
        "Try: kinerja token --role employee --region medan --employee medan-dukcapil-1\n"
        "     kinerja token --role employee,rater --region medan --employee medan-dukcapil-kepala "
        "(then GET :8002/v1/activities?status=submitted)"
    )
    example = next((ticket for region_tickets in tickets.values() for ticket in region_tickets), None)
    if example is not None:
        summary += f"\n     a survey ticket of {example.unit_id}/{example.service_id}: {example.code}"
    return DemoLoad(summary=summary, tickets=tickets)


def _seed_feedback_and_reporting(
    seeds: list[_RegionSeed], *, ports: dict[str, int], token: Callable[..., dict[str, str]]
) -> dict[str, list[DemoTicket]]:
    """Rated services and tickets per unit (feedback), and activities to verify (reporting)."""
    deadline = time.monotonic() + EVENTS_DEADLINE_SECONDS
    tickets: dict[str, list[DemoTicket]] = {}
    feedback = httpx.Client(base_url=f"http://127.0.0.1:{ports['feedback']}", timeout=15)
    reporting = httpx.Client(base_url=f"http://127.0.0.1:{ports['reporting']}", timeout=15)
    with feedback, reporting:
        for seed in seeds:
            admin = token([Role.REGION_ADMIN], seed.region)
            issued = tickets.setdefault(seed.region, [])
            for code, unit_id in seed.units.items():
                service_id, name, kind = UNIT_SERVICES[code]
                declared = {"service_id": service_id, "name": name, "survey_kind": kind}
                _post_once_known(feedback, f"/v1/units/{unit_id}/services", declared, admin, deadline)
                batch = feedback.post(
                    f"/v1/units/{unit_id}/service-tickets",
                    json={"service_id": service_id, "count": TICKETS_PER_SERVICE},
                    headers=admin,
                )
                batch.raise_for_status()
                issued += [DemoTicket(unit_id, service_id, t["code"]) for t in batch.json()["tickets"]]
            for staff in seed.staff:
                as_staff = token([Role.EMPLOYEE], seed.region, staff.employee_id)
                for hours_ago in range(1, ACTIVITIES_PER_STAFF + 1):
                    activity = {
                        "activity_id": f"demo-{uuid7().hex}",
                        "indicator_id": staff.indicator_id,
                        "occurred_at": _earlier_this_year(
                            timedelta(minutes=10 * hours_ago), seed.timezone
                        ).isoformat(),
                        "quantity": 5 * hours_ago,
                        "description": "Melayani warga di loket sesuai standar pelayanan",
                    }
                    _post_once_known(reporting, "/v1/activities", activity, as_staff, deadline)
    return tickets
