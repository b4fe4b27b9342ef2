"""The first journey over HTTP, shared by the end-to-end tests: four service processes, real servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import httpx

from kinerja.platform import ServiceProcesses
from kinerja.services import SERVICE_NAMES
from services.feedback.domain.satisfaction import ServiceItem
from shared.region_time import region_now
from tests.conftest import auth, event_deadline, new_region_id, settings_endpoints, wait_until

ALL_GOOD = dict.fromkeys((item.value for item in ServiceItem), 4)


def running_platform(data_dir: Any) -> Iterator[ServiceProcesses]:
    """The four services as separate processes on free ports, as `make up` runs them."""
    from kinerja import infra

    endpoints = settings_endpoints()
    services = ServiceProcesses(
        endpoints, data_dir, ports={name: infra.free_port() for name in SERVICE_NAMES}
    )
    services.start_all()
    try:
        services.wait_healthy(timeout=90)
        yield services
    finally:
        services.stop_all()


def url(platform: ServiceProcesses, service: str, path: str) -> str:
    return f"http://127.0.0.1:{platform.ports[service]}{path}"


@dataclass(frozen=True)
class Journey:
    """What the first journey created."""

    region: str
    unit_id: str


async def first_journey(platform: ServiceProcesses, make_token: Any) -> Journey:
    """A region, its unit and two employees, an approved plan, an activity in the scorecard and a
    citizen's survey in the unit's dashboard; returns the region and unit."""
    region = new_region_id()
    admin = make_token("region_admin", region=region)
    head, staff = f"h-{uuid.uuid4().hex[:6]}", f"e-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            url(platform, "planning", "/v1/regions"),
            json={"region_id": region, "name": "Kota Uji"},
            headers=auth(make_token("platform_admin")),
        )
        assert created.status_code == 201, created.text
        unit = (
            await http.post(
                url(platform, "planning", "/v1/units"),
                json={"code": "dukcapil", "name": "Dinas Dukcapil"},
                headers=auth(admin),
            )
        ).json()
        for employee_id, nip, supervisor in (
            (head, "197001011995031001", None),
            (staff, "199001012015032002", head),
        ):
            response = await http.post(
                url(platform, "planning", "/v1/employees"),
                json={
                    "employee_id": employee_id,
                    "nip": nip,
                    "name": employee_id,
                    "unit_id": unit["unit_id"],
                    "position": "Petugas",
                    "job_type": "id_card_registrar",
                    "supervisor_id": supervisor,
                    "effective_from": "2026-01-01",
                },
                headers=auth(admin),
            )
            assert response.status_code == 201, response.text
        staff_token = make_token("employee", region=region, employee=staff)
        head_token = make_token("employee,rater", region=region, employee=head)
        # The region (no zone sent: planning's WIB) reads the plan's year and the quarter in its zone.
        moment = region_now("Asia/Jakarta")
        year = moment.year
        quarter = f"{year}-Q{(moment.month - 1) // 3 + 1}"
        plan = (
            await http.post(
                url(platform, "planning", "/v1/work-plans"),
                json={
                    "year": year,
                    "results": [
                        {
                            "text": "KTP-el diterbitkan",
                            "indicators": [
                                {"name": "KTP-el diterbitkan", "unit_of_measure": "dokumen", "target": 400}
                            ],
                        }
                    ],
                },
                headers=auth(staff_token),
            )
        ).json()
        indicator_id = plan["results"][0]["indicators"][0]["indicator_id"]
        await http.post(
            url(platform, "planning", f"/v1/work-plans/{plan['plan_id']}/submit"), headers=auth(staff_token)
        )
        approved = await http.post(
            url(platform, "planning", f"/v1/work-plans/{plan['plan_id']}/approve"), headers=auth(head_token)
        )
        assert approved.status_code == 200, approved.text

        activity = {
            "activity_id": uuid.uuid4().hex,
            "indicator_id": indicator_id,
            "occurred_at": moment.astimezone(UTC).isoformat(),
            "quantity": 40,
            "description": "Menerbitkan 40 KTP-el di loket",
        }

        async def reported():
            response = await http.post(
                url(platform, "reporting", "/v1/activities"), json=activity, headers=auth(staff_token)
            )
            return response if response.status_code == 201 else None

        # Reporting learns the approved plan from planning's event; wait for it rather than sleep (the
        # deadline covers the consumers' group joins, see event_deadline).
        await wait_until(reported, timeout=event_deadline(), interval=0.3)

        async def realisation():
            response = await http.get(
                url(platform, "scoring", f"/v1/employees/{staff}/scorecard"),
                params={"period": quarter},
                headers=auth(staff_token),
            )
            if response.status_code != 200:
                return None
            return response.json()["indicators"][0]["realisation"] == "40.0000" and response.json()

        scorecard = await wait_until(realisation, timeout=event_deadline(), interval=0.3)
        assert scorecard["indicators"][0]["activity_count"] == 1

        async def survey_accepted():
            response = await http.post(
                url(
                    platform,
                    "feedback",
                    f"/v1/public/regions/{region}/units/{unit['unit_id']}/survey-responses",
                ),
                json={"scores": ALL_GOOD},
            )
            return response if response.status_code == 201 else None

        await wait_until(survey_accepted, timeout=event_deadline(), interval=0.3)

        async def satisfaction():
            response = await http.get(
                url(platform, "scoring", f"/v1/units/{unit['unit_id']}/dashboard"),
                params={"period": quarter},
                headers=auth(admin),
            )
            return response.status_code == 200 and response.json()["satisfaction"] and response.json()

        dashboard = await wait_until(satisfaction, timeout=event_deadline(), interval=0.3)
        assert dashboard["satisfaction"][0]["satisfaction_index"] == "100.00"
        assert dashboard["satisfaction"][0]["grade"] == "A"
    return Journey(region=region, unit_id=unit["unit_id"])
