"""Ids a client chooses are unique per region: an id used in another region is neither refused (an
oracle of another region's objects, and a way to squat ids) nor mixed with the other region's object.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.feedback.adapters.tables import activities as feedback_activities
from services.feedback.adapters.tables import employees as feedback_employees
from services.feedback.service_layer import read_models as feedback_read_models
from shared.contracts import Envelope
from shared.contracts.planning import EmployeeUpserted
from shared.contracts.reporting import ActivityReported
from shared.db import restrict_to_region
from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import apply_event, auth, new_region_id
from tests.integration.test_reporting_support import Member, apply, approved_plan, employee_upserted
from tests.region_clock import moment_ago, year_in

pytestmark = pytest.mark.integration


async def test_an_employee_id_used_in_another_region_is_free_in_this_one(start_service, make_token):
    planning = await start_service("planning")
    shared_id = f"e-{uuid.uuid4().hex[:8]}"
    platform = auth(make_token("platform_admin"))
    names = {}
    year = year_in(DEFAULT_TIMEZONE)  # regions registered without a zone: WIB
    for index, region in enumerate((new_region_id(), new_region_id())):
        created = await planning.client.post(
            "/v1/regions", json={"region_id": region, "name": f"Kota {index}"}, headers=platform
        )
        assert created.status_code == 201, created.text
        admin = auth(make_token("region_admin", region=region))
        unit = await planning.client.post(
            "/v1/units", json={"code": "dukcapil", "name": "Dukcapil"}, headers=admin
        )
        names[region] = f"Pegawai {index}"
        for employee_id, name, supervisor, sequence in (
            (f"{shared_id}-head", "Kepala", None, 1),
            (shared_id, names[region], f"{shared_id}-head", 2),
        ):
            employee = await planning.client.post(
                "/v1/employees",
                json={
                    "employee_id": employee_id,
                    "nip": f"199001012015031{sequence:03d}",
                    "name": name,
                    "unit_id": unit.json()["unit_id"],
                    "position": "Petugas",
                    "job_type": "id_card_registrar",
                    "supervisor_id": supervisor,
                    "effective_from": f"{year}-01-01",
                },
                headers=admin,
            )
            assert employee.status_code == 201, employee.text
        plan = await planning.client.post(
            "/v1/work-plans",
            json={
                "year": year,
                "results": [
                    {
                        "text": "KTP-el diterbitkan",
                        "indicators": [{"name": "KTP-el", "unit_of_measure": "dok", "target": 9}],
                    }
                ],
            },
            headers=auth(make_token("employee", region=region, employee=shared_id)),
        )
        assert plan.status_code == 201, plan.text
    for region, name in names.items():
        read = await planning.client.get(
            f"/v1/employees/{shared_id}", headers=auth(make_token("region_admin", region=region))
        )
        assert read.json()["name"] == name


async def test_activity_and_visit_ids_used_in_another_region_are_free_in_this_one(start_service, make_token):
    reporting = await start_service("reporting")
    staff_id, rater_id = f"staff-{uuid.uuid4().hex[:8]}", f"head-{uuid.uuid4().hex[:8]}"
    activity_id, visit_id = f"a-{uuid.uuid4().hex[:16]}", f"visit-{uuid.uuid4().hex[:12]}"
    quantities = {}
    for quantity, region in ((5, new_region_id()), (7, new_region_id())):
        plan, indicators = approved_plan(region, staff_id, rater_id)
        await apply(
            reporting,
            region,
            employee_upserted(region, rater_id, None),
            employee_upserted(region, staff_id, rater_id),
            plan,
        )
        staff = Member(staff_id, make_token("employee", region=region, employee=staff_id), indicators)
        body: dict[str, Any] = {
            "activity_id": activity_id,
            "indicator_id": staff.indicators["count"],
            "occurred_at": moment_ago(DEFAULT_TIMEZONE, timedelta(minutes=1)).isoformat(),
            "quantity": quantity,
            "description": "Menerbitkan KTP-el",
        }
        submitted = await reporting.client.post("/v1/activities", json=body, headers=auth(staff.token))
        assert submitted.status_code == 201, submitted.text
        quantities[region] = submitted.json()["quantity"]
        visit = await reporting.client.post(
            "/v1/field-visits",
            json={
                "visit_id": visit_id,
                "employee_ids": [staff_id],
                "location": "Kantor kecamatan",
                "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "findings": "Antrean tertib",
            },
            headers=auth(make_token("employee,rater", region=region, employee=rater_id)),
        )
        assert visit.status_code == 201, visit.text
    for region, quantity in quantities.items():
        read = await reporting.client.get(
            f"/v1/activities/{activity_id}",
            headers=auth(make_token("employee", region=region, employee=staff_id)),
        )
        assert read.status_code == 200, read.text
        assert read.json()["quantity"] == quantity


async def test_read_models_keep_each_regions_object_under_a_shared_id(start_service):
    feedback = await start_service("feedback")
    employee_id, activity_id = f"e-{uuid.uuid4().hex[:8]}", f"a-{uuid.uuid4().hex[:16]}"
    regions = [new_region_id(), new_region_id()]
    for index, region in enumerate(regions):
        upserted = EmployeeUpserted(
            region_id=region,
            employee_id=employee_id,
            nip=f"19900101201503{index:04d}",
            name=f"Pegawai {index}",
            unit_id=f"unit-{index}",
            position="Petugas",
            job_type="clerk",
            supervisor_id=None,
            effective_from=date(year_in(DEFAULT_TIMEZONE), 1, 1),
        )
        reported = ActivityReported(
            region_id=region,
            activity_id=activity_id,
            employee_id=employee_id,
            plan_id="plan-1",
            result_id="rhk-1",
            indicator_id="ind-1",
            occurred_at=datetime.now(UTC),
            quantity="1",
            description="Layanan",
        )
        async with feedback.context.unit_of_work(region_id=region) as uow:
            for handler, event, producer in (
                (feedback_read_models.on_employee_upserted, upserted, "planning"),
                (feedback_read_models.on_activity_reported, reported, "reporting"),
            ):
                envelope = Envelope.wrap(event, producer=producer)
                await apply_event(handler, uow.session, feedback.context.outbox, event, envelope)
            await uow.commit()
    for index, region in enumerate(regions):
        async with feedback.context.session_factory() as session, session.begin():
            await restrict_to_region(session, region)
            unit = await session.scalar(
                select(feedback_employees.c.unit_id).where(feedback_employees.c.employee_id == employee_id)
            )
            stored = await session.scalar(
                select(feedback_activities.c.region_id).where(
                    feedback_activities.c.activity_id == activity_id
                )
            )
        assert unit == f"unit-{index}"
        assert stored == region
