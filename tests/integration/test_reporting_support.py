"""Helpers shared by the reporting integration tests (this module holds no tests itself).

Read models are seeded by calling the service's own event handlers with a real, region-restricted
database session: the same code path the consumer runs, without a consumer group join per test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.service_layer import read_models
from shared.contracts import Envelope
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    WorkPlanApproved,
)
from shared.db import restrict_to_region
from shared.outbox import envelopes_of
from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import apply_event, auth
from tests.region_clock import moment_ago, year_in


def new_id(prefix: str = "a") -> str:
    """A client-generated id of the accepted shape."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@dataclass
class Member:
    """A team member with their token and indicator ids by kind (count, ratio, qualitative)."""

    employee_id: str
    token: str
    indicators: dict[str, str] = field(default_factory=dict)


@dataclass
class Team:
    """A rater and their team in one region."""

    region: str
    rater: Member
    members: list[Member]


async def apply(service: Any, region: str, *events: Any) -> None:
    """Apply planning events through reporting's handlers, as the consumer would."""
    handlers: dict[type, Any] = {
        RegionRegistered: read_models.on_region_registered,
        EmployeeUpserted: read_models.on_employee_upserted,
        WorkPlanApproved: read_models.on_work_plan_approved,
    }
    async with service.context.unit_of_work(region_id=region) as uow:
        for event in events:
            envelope = Envelope.wrap(event, producer="planning")
            await apply_event(handlers[type(event)], uow.session, service.context.outbox, event, envelope)
        await uow.commit()


def employee_upserted(
    region: str, employee_id: str, supervisor_id: str | None, *, effective_from: date | None = None
) -> EmployeeUpserted:
    """Planning's event for an employee under a supervisor."""
    return EmployeeUpserted(
        region_id=region,
        employee_id=employee_id,
        nip="199001012015032002",
        name=f"Pegawai {employee_id}",
        unit_id="unit-dukcapil",
        position="Petugas",
        job_type="id_card_registrar",
        supervisor_id=supervisor_id,
        effective_from=effective_from or date(year_in(DEFAULT_TIMEZONE), 1, 1),
    )


def approved_plan(
    region: str, employee_id: str, rater_id: str, *, year: int | None = None
) -> tuple[WorkPlanApproved, dict[str, str]]:
    """An approved plan with a count, a ratio and a qualitative indicator, for ``year``: the current
    year by default, read when the plan is made (not at import) in WIB, the zone reporting reads a
    region in that it was not told the zone of."""
    ids = {kind: new_id("ind") for kind in ("count", "ratio", "qualitative")}
    indicators = [
        IndicatorSnapshot(
            indicator_id=ids["count"],
            name="KTP-el diterbitkan",
            aspect="quantity",
            direction="higher_is_better",
            aggregation="sum",
            unit_of_measure="dokumen",
            target=400,
        ),
        IndicatorSnapshot(
            indicator_id=ids["ratio"],
            name="Layanan tepat waktu",
            aspect="time",
            direction="higher_is_better",
            aggregation="ratio",
            unit_of_measure="%",
            target=90,
        ),
        IndicatorSnapshot(
            indicator_id=ids["qualitative"],
            name="Inovasi layanan",
            aspect="quality",
            direction="higher_is_better",
            aggregation="last",
            unit_of_measure="-",
            qualitative_target="Satu inovasi layanan diterapkan",
        ),
    ]
    plan = WorkPlanApproved(
        region_id=region,
        plan_id=new_id("plan"),
        employee_id=employee_id,
        rater_id=rater_id,
        unit_id="unit-dukcapil",
        job_type="id_card_registrar",
        year=year or year_in(DEFAULT_TIMEZONE),
        version=1,
        results=[
            PlannedResultSnapshot(
                result_id=new_id("rhk"),
                kind="main",
                text="KTP-el diterbitkan tepat waktu",
                indicators=indicators,
            )
        ],
    )
    return plan, ids


async def seed_team(
    service: Any, make_token: Any, region: str, *, size: int = 2, zone: str = DEFAULT_TIMEZONE
) -> Team:
    """A rater (who also reports) and ``size`` members, each with an approved plan for the year of
    the region's ``zone`` (the zone it was registered with)."""
    rater_id = new_id("head")
    rater = Member(rater_id, make_token("employee,rater", region=region, employee=rater_id))
    members = []
    events: list[Any] = [employee_upserted(region, rater_id, None)]
    for _ in range(size):
        employee_id = new_id("staff")
        plan, ids = approved_plan(region, employee_id, rater_id, year=year_in(zone))
        events += [employee_upserted(region, employee_id, rater_id), plan]
        members.append(Member(employee_id, make_token("employee", region=region, employee=employee_id), ids))
    await apply(service, region, *events)
    return Team(region, rater, members)


def activity(
    member: Member, kind: str = "count", *, zone: str = DEFAULT_TIMEZONE, **overrides: Any
) -> dict[str, Any]:
    """A valid activity body for one of the member's indicators, a minute ago within the year of
    the region's ``zone``."""
    body: dict[str, Any] = {
        "activity_id": new_id(),
        "indicator_id": member.indicators[kind],
        "occurred_at": moment_ago(zone, timedelta(minutes=1)).isoformat(),
        "quantity": 12,
        "description": "Menerbitkan KTP-el di loket kecamatan",
    }
    if kind == "ratio":
        body |= {"quantity": 9, "denominator": 10}
    if kind == "qualitative":
        body.pop("quantity")
    return body | overrides


async def submit(service: Any, member: Member, body: dict[str, Any]) -> Any:
    """POST one activity as the member."""
    return await service.client.post("/v1/activities", json=body, headers=auth(member.token))


async def outbox(service: Any, region: str) -> list[tuple[str, dict[str, Any]]]:
    """The region's outbox events, oldest first, as (type, payload)."""
    table = service.context.tables.outbox
    async with service.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        rows = (
            await session.execute(
                select(table.c.event_type, table.c.value)
                .where(table.c.region_id == region)
                .order_by(table.c.id)
            )
        ).all()
    return [
        (row.event_type, orjson.loads(envelope)["payload"])
        for row in rows
        for envelope in envelopes_of(row.value)
    ]


@asynccontextmanager
async def statements_sent(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The statements sent on the engine's connections checked out meanwhile, in order (each
    connection's statements are prepared by an earlier use, so only the group's own are listed)."""
    statements: list[str] = []
    drivers: list[Any] = []

    def record(query: Any) -> None:
        statements.append(query.query)

    def listen(dbapi_connection: Any, *_: Any) -> None:
        drivers.append(dbapi_connection.driver_connection)
        dbapi_connection.driver_connection.add_query_logger(record)

    event.listen(engine.sync_engine, "checkout", listen)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "checkout", listen)
        # asyncpg hands each query to its loggers with loop.call_soon: let the last (COMMIT) arrive
        # before the loggers go, which check-in (synchronous when nothing wraps the connection) did not.
        await asyncio.sleep(0)
        for driver in drivers:
            driver.remove_query_logger(record)
