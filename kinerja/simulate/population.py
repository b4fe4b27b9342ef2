"""The simulated population: regions, units with their heads, employees with approved work plans.

Built through the planning API as the demo loader does; feedback is then told which service each
unit offers and issues the single-use tickets citizens answer surveys with.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from kinerja.demo import REGIONS, UNITS
from kinerja.simulate.progress import NoProgress, Progress
from shared.auth import Role, ensure_dev_signing_key, mint_dev_token
from shared.region_time import region_now
from shared.settings import ServiceSettings

SETUP_CONCURRENCY = 24


@dataclass(frozen=True, slots=True)
class SimulatedEmployee:
    """One employee of the simulated population, with the indicator they report against."""

    employee_id: str
    region_id: str
    region_key: str
    job_type: str
    indicator_id: str
    headers: dict[str, str]
    unit_id: str = ""
    #: The token of the unit's head, who rates the employee and verifies their activities.
    rater_headers: dict[str, str] = field(default_factory=dict)

    @property
    def timezone(self) -> str:
        """The zone of the employee's region, whose calendar decides their today and year."""
        return REGIONS[self.region_key][1]


@dataclass
class SimulatedUnit:
    """A unit of the population: citizens rate its service (with tickets) and complain about it."""

    region_id: str
    unit_id: str
    admin_headers: dict[str, str]
    tickets: list[str] = field(default_factory=list)


@dataclass
class Population:
    """The regions and employees a simulation reports for."""

    regions: list[str]
    employees: list[SimulatedEmployee]
    units: list[SimulatedUnit] = field(default_factory=list)


def nip_for(index: int) -> str:
    """A well-formed, per-region unique 18-digit NIP (birth date, appointment, sex, sequence)."""
    birth = date(1965, 1, 1) + timedelta(days=index // 999)
    appointment_year = birth.year + 22 + index % 10
    sex = 1 + index % 2
    return f"{birth:%Y%m%d}{appointment_year}{1 + index % 12:02d}{sex}{1 + index % 999:03d}"


def _split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as whole numbers allow."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class TokenMint:
    """Development tokens for the simulated users (signed with the platform's development key)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        ensure_dev_signing_key(settings.dev_signing_key_path)

    def headers(self, roles: list[Role], region: str | None, employee: str | None = None) -> dict[str, str]:
        """The Authorization header of a user."""
        token = mint_dev_token(
            self._settings,
            subject=employee or roles[0].value,
            roles=roles,
            region_id=region,
            employee_id=employee,
            ttl_seconds=12 * 3600,
        )
        return {"Authorization": f"Bearer {token}"}


async def _post(
    http: httpx.AsyncClient, path: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> Any:
    response = await http.post(path, json=body, headers=headers)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


async def build_population(
    planning: httpx.AsyncClient,
    mint: TokenMint,
    *,
    employees: int,
    regions: int,
    prefix: str = "sim",
    year: int | None = None,
    progress: Progress | None = None,
) -> Population:
    """Create regions, units, heads and employees with approved plans through the planning API: the
    plans of ``year``, else of each region's own year now (in its zone, as its pages read it)."""
    progress = progress or NoProgress()
    tag = uuid.uuid4().hex[:6]
    region_keys = list(REGIONS)
    people_per_region = _split(employees, regions)
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    population = Population(regions=[], employees=[])
    platform = mint.headers([Role.PLATFORM_ADMIN], None)
    progress.start("planning: people, plans", employees)

    async def onboard(
        region: str, key: str, year: int, unit_id: str, unit: tuple[Any, ...], head: str, index: int
    ) -> None:
        code, _, job_type, position, indicator, uom, target = unit
        employee_id = f"{region}-{code}-{index}"
        admin = mint.headers([Role.REGION_ADMIN], region)
        own = mint.headers([Role.EMPLOYEE], region, employee_id)
        quarters = _split(int(target), 4)
        async with gate:
            await _post(
                planning,
                "/v1/employees",
                {
                    "employee_id": employee_id,
                    "nip": nip_for(index),
                    "name": f"{position} {index}",
                    "unit_id": unit_id,
                    "position": position,
                    "job_type": job_type,
                    "supervisor_id": head,
                    "effective_from": f"{year}-01-01",
                },
                admin,
            )
            plan = await _post(
                planning,
                "/v1/work-plans",
                {
                    "year": year,
                    "results": [
                        {
                            "text": f"{indicator} sesuai standar pelayanan",
                            "indicators": [
                                {
                                    "name": indicator,
                                    "unit_of_measure": uom,
                                    "target": target,
                                    "period_targets": {f"{year}-Q{q + 1}": quarters[q] for q in range(4)},
                                }
                            ],
                        }
                    ],
                },
                own,
            )
            await _post(planning, f"/v1/work-plans/{plan['plan_id']}/submit", None, own)
            rater = mint.headers([Role.EMPLOYEE, Role.RATER], region, head)
            await _post(planning, f"/v1/work-plans/{plan['plan_id']}/approve", None, rater)
        population.employees.append(
            SimulatedEmployee(
                employee_id=employee_id,
                region_id=region,
                region_key=key,
                job_type=job_type,
                indicator_id=plan["results"][0]["indicators"][0]["indicator_id"],
                headers=own,
                unit_id=unit_id,
                rater_headers=rater,
            )
        )
        progress.advance()

    jobs: list[Awaitable[None]] = []
    for number, people in enumerate(people_per_region):
        key = region_keys[number % len(region_keys)]
        region = f"{prefix}-{tag}-{key}" + (f"-{number}" if number >= len(region_keys) else "")
        name, timezone = REGIONS[key]
        region_year = year or region_now(timezone).year
        await _post(
            planning, "/v1/regions", {"region_id": region, "name": name, "timezone": timezone}, platform
        )
        population.regions.append(region)
        admin = mint.headers([Role.REGION_ADMIN], region)
        index = 0
        for unit, staff in zip(UNITS, _split(people, len(UNITS)), strict=True):
            if staff == 0:
                continue
            code, unit_name = unit[0], unit[1]
            unit_id = (await _post(planning, "/v1/units", {"code": code, "name": unit_name}, admin))[
                "unit_id"
            ]
            population.units.append(SimulatedUnit(region, unit_id, admin))
            head = f"{region}-{code}-kepala"
            index += 1
            await _post(
                planning,
                "/v1/employees",
                {
                    "employee_id": head,
                    "nip": nip_for(index),
                    "name": f"Kepala {unit_name}",
                    "unit_id": unit_id,
                    "position": f"Kepala {unit_name}",
                    "job_type": "head",
                    "effective_from": f"{region_year}-01-01",
                },
                admin,
            )
            for _ in range(staff):
                index += 1
                jobs.append(onboard(region, key, region_year, unit_id, unit, head, index))
    try:
        await asyncio.gather(*jobs)
    finally:
        progress.finish()
    return population


#: The service every simulated unit offers citizens (a public service survey, no respondent profile).
SIMULATED_SERVICE = {
    "service_id": "loket-terpadu",
    "name": "Loket pelayanan terpadu",
    "survey_kind": "public_service",
}
#: Feedback issues at most this many tickets per request.
TICKETS_PER_REQUEST = 200


async def prepare_feedback(
    feedback: httpx.AsyncClient,
    population: Population,
    *,
    tickets_per_unit: int,
    timeout: float = 180.0,
) -> None:
    """Declare each unit's service and issue its tickets, once feedback knows the unit from events."""
    deadline = time.monotonic() + timeout
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def prepare(unit: SimulatedUnit) -> None:
        async with gate:
            path = f"/v1/units/{unit.unit_id}/services"
            while (
                response := await feedback.post(path, json=SIMULATED_SERVICE, headers=unit.admin_headers)
            ).status_code in (404, 422):
                # Feedback learns the unit from planning's events, a moment after planning answered.
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            if response.status_code >= 400 and response.status_code != 409:
                raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:300]}")
            left = tickets_per_unit
            while left > 0:
                count = min(left, TICKETS_PER_REQUEST)
                issued = await _post(
                    feedback,
                    f"/v1/units/{unit.unit_id}/service-tickets",
                    {"service_id": SIMULATED_SERVICE["service_id"], "count": count},
                    unit.admin_headers,
                )
                unit.tickets += [ticket["code"] for ticket in issued["tickets"]]
                left -= count

    await asyncio.gather(*(prepare(unit) for unit in population.units))
