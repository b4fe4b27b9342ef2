"""Scoring's upstream events for the API tests, and a region that applies them through the handlers.

``Region`` stamps events in the order they happen and applies them as the consumer runner does;
the builders make an employee, an approved plan, reported and verified activities and a rater's
behaviour assessment; ``seeded`` starts scoring with a region of a head and two employees.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from shared.contracts.feedback import BehaviourAssessmentSubmitted
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityReported, ActivityVerified
from shared.db import REGION_SETTING
from tests.conftest import new_region_id, outbox_payloads
from tests.integration.scoring_scenarios import Delivery, wrap
from tests.integration.test_scoring_views import deliver

YEAR = 2026
Q1 = f"{YEAR}-Q1"
IN_Q1 = datetime(YEAR, 2, 10, 3, tzinfo=UTC)


class Region:
    """A region's events, stamped in the order they happen, applied through the handlers."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.id = new_region_id()
        self.clock = datetime(YEAR, 1, 1, tzinfo=UTC)

    def stamp(self, event: Any) -> Delivery:
        self.clock += timedelta(seconds=1)
        return wrap(event, self.clock)

    async def apply(self, *events: Any) -> list[Delivery]:
        deliveries = [self.stamp(event) for event in events]
        await deliver(self.service.context.session_factory, deliveries)
        return deliveries

    async def count(self, table: Any, *conditions: Any) -> int:
        async with self.service.context.session_factory() as session, session.begin():
            await session.execute(select(func.set_config(REGION_SETTING, self.id, True)))
            return int(
                await session.scalar(
                    select(func.count()).select_from(table).where(table.c.region_id == self.id, *conditions)
                )
                or 0
            )

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        return await outbox_payloads(self.service, self.id, event_type)


def employee(
    region: str, employee_id: str, supervisor: str | None, job: str = "registrar"
) -> EmployeeUpserted:
    return EmployeeUpserted(
        region_id=region,
        employee_id=employee_id,
        nip="199001012015032002",
        name=employee_id,
        unit_id="dukcapil",
        position="Petugas",
        job_type=job,
        supervisor_id=supervisor,
        effective_from=date(YEAR, 1, 1),
    )


def plan(region: str, employee_id: str, rater: str) -> WorkPlanApproved:
    return WorkPlanApproved(
        region_id=region,
        plan_id=f"{employee_id}-plan",
        employee_id=employee_id,
        rater_id=rater,
        unit_id="dukcapil",
        job_type="registrar",
        year=YEAR,
        version=1,
        results=[
            PlannedResultSnapshot(
                result_id=f"{employee_id}-r1",
                kind="main",
                text="KTP-el diterbitkan tepat waktu",
                indicators=[
                    IndicatorSnapshot(
                        indicator_id=f"{employee_id}-docs",
                        code="ktp-issued",
                        name="KTP-el diterbitkan",
                        aspect="quantity",
                        direction="higher_is_better",
                        aggregation="sum",
                        unit_of_measure="dokumen",
                        target=Decimal(400),
                    ),
                    IndicatorSnapshot(
                        indicator_id=f"{employee_id}-wait",
                        code="waiting-minutes",
                        name="Waktu tunggu",
                        aspect="time",
                        direction="lower_is_better",
                        aggregation="average",
                        unit_of_measure="menit",
                        target=Decimal(15),
                    ),
                ],
            )
        ],
    )


def reported(
    region: str, employee_id: str, activity: str, indicator: str, quantity: int, **extra: Any
) -> Any:
    return ActivityReported(
        region_id=region,
        activity_id=activity,
        employee_id=employee_id,
        plan_id=f"{employee_id}-plan",
        result_id=f"{employee_id}-r1",
        indicator_id=f"{employee_id}-{indicator}",
        occurred_at=extra.pop("occurred_at", IN_Q1),
        quantity=Decimal(quantity),
        description="Layanan loket",
        **extra,
    )


def verified(region: str, employee_id: str, activity: str) -> ActivityVerified:
    return ActivityVerified(
        region_id=region, activity_id=activity, employee_id=employee_id, verifier_id="boss"
    )


def rater_assessment(region: str, employee_id: str, rater: str, score: int) -> BehaviourAssessmentSubmitted:
    return BehaviourAssessmentSubmitted(
        region_id=region,
        assessment_id=uuid.uuid4().hex,
        employee_id=employee_id,
        assessor_id=rater,
        assessor_role="rater",
        period=Q1,
        scores=dict.fromkeys(
            (
                "service_oriented",
                "accountable",
                "competent",
                "harmonious",
                "loyal",
                "adaptive",
                "collaborative",
            ),
            score,
        ),
    )


async def seeded(start_service: Any) -> tuple[Any, Region]:
    service = await start_service("scoring")
    region = Region(service)
    r = region.id
    await region.apply(
        RegionRegistered(region_id=r, name="Kota Uji"),
        UnitUpserted(
            region_id=r,
            unit_id="dukcapil",
            code="dukcapil",
            name="Dinas Dukcapil",
            kind="opd",
            organisation_predicate="baik",
        ),
        employee(r, "boss", None),
        employee(r, "ani", "boss"),
        employee(r, "budi", "boss"),
        plan(r, "ani", "boss"),
        plan(r, "budi", "boss"),
    )
    return service, region
