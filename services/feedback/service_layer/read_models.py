"""What the feedback service keeps of other services' facts, and how it reads them back.

Event handlers run inside the consumer's transaction, already restricted to the event's region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import activities, employees, planned_results, regions, units
from services.feedback.domain.calendar import WIB
from services.feedback.domain.periods import DEFAULT_PERIOD_KIND, PeriodKind
from shared.auth import Principal, ensure_may_read_unit
from shared.contracts import EnvelopeHead
from shared.contracts.planning import (
    EmployeeUpserted,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.contracts.reporting import ActivityReported
from shared.db import in_each_region
from shared.json_rows import insert_from_json_rows, json_rows
from shared.messaging.scope import Batch, HandlerScope
from shared.read_models import FactOrder, holding_or_first, stamp_values, stored_if_newer
from shared.refusals import Refusal, RefusalKind
from shared.region_time import in_zone, region_now


@dataclass(frozen=True)
class RegionClock:
    """The time zone and period length a region counts in."""

    timezone: str = WIB
    period_kind: PeriodKind = DEFAULT_PERIOD_KIND

    def local(self, instant: datetime) -> datetime:
        """A time the service computed, shown in the region's zone as every service shows it."""
        return in_zone(instant, ZoneInfo(self.timezone))


@dataclass(frozen=True)
class EmployeeRecord:
    """An employee as this service knows them."""

    employee_id: str
    unit_id: str
    supervisor_id: str | None
    name: str


async def on_region_registered(scope: HandlerScope[None], event: RegionRegistered, _: EnvelopeHead) -> None:
    """Remember the region's time zone and period length (surveys and deadlines count by them)."""
    session = scope.session
    statement = insert(regions).values(
        region_id=event.region_id, name=event.name, timezone=event.timezone, period_kind=event.period_kind
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id"],
            set_={
                "name": statement.excluded.name,
                "timezone": statement.excluded.timezone,
                "period_kind": statement.excluded.period_kind,
            },
        )
    )


async def on_unit_upserted(scope: HandlerScope[None], event: UnitUpserted, envelope: EnvelopeHead) -> None:
    """Remember units so citizens can rate them and file complaints about them (the newer event wins)."""
    session = scope.session
    statement = insert(units).values(
        unit_id=event.unit_id, region_id=event.region_id, name=event.name, **stamp_values(envelope)
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["unit_id"],
            set_={name: statement.excluded[name] for name in ("name", "stamp_at", "stamp_id")},
            where=(units.c.region_id == event.region_id) & stored_if_newer(units, statement.excluded),
        )
    )


async def on_employee_upserted(
    scope: HandlerScope[None], event: EmployeeUpserted, envelope: EnvelopeHead
) -> None:
    """Remember each employee's unit and supervisor from the move's date (who rates whom, who is whose
    peer); of two events for one date the newer wins, so a late or repeated one changes nothing."""
    session = scope.session
    values = {
        "unit_id": event.unit_id,
        "supervisor_id": event.supervisor_id,
        "name": event.name,
        **stamp_values(envelope),
    }
    statement = insert(employees).values(
        employee_id=event.employee_id,
        region_id=event.region_id,
        effective_from=event.effective_from,
        **values,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "employee_id", "effective_from"],
            set_=values,
            where=stored_if_newer(employees, statement.excluded),
        )
    )


async def on_work_plan_approved(scope: HandlerScope[None], event: WorkPlanApproved, _: EnvelopeHead) -> None:
    """The approved plan's results become the ones feedback can refer to; older versions stop."""
    session = scope.session
    await session.execute(
        update(planned_results)
        .where(
            planned_results.c.region_id == event.region_id,
            planned_results.c.employee_id == event.employee_id,
            planned_results.c.year == event.year,
        )
        .values(in_force=False)
    )
    for result in event.results:
        values = {
            "plan_id": event.plan_id,
            "employee_id": event.employee_id,
            "year": event.year,
            "text": result.text,
            "in_force": True,
        }
        statement = insert(planned_results).values(
            result_id=result.result_id, region_id=event.region_id, **values
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["result_id"],
                set_=values,
                where=planned_results.c.region_id == event.region_id,
            )
        )


async def on_work_plan_superseded(
    scope: HandlerScope[None], event: WorkPlanSuperseded, _: EnvelopeHead
) -> None:
    """A superseded plan's results take no new feedback (the feedback already given stays)."""
    session = scope.session
    await session.execute(
        update(planned_results)
        .where(planned_results.c.region_id == event.region_id, planned_results.c.plan_id == event.plan_id)
        .values(in_force=False)
    )


async def on_activity_reported(scope: HandlerScope[None], event: ActivityReported, _: EnvelopeHead) -> None:
    """Remember activities as evidence a rater's feedback can point at (stored at the end of the batch)."""
    scope.deferred(PendingActivities).add(
        {
            "activity_id": event.activity_id,
            "region_id": event.region_id,
            "employee_id": event.employee_id,
            "result_id": event.result_id,
        }
    )


class PendingActivities:
    """A batch's reported activities, stored at its end with one statement per region.

    A statement per event cost a round trip each, and the consumer fell behind reporting's stream
    (``bench.soak``). An activity already stored, or reported twice in the batch, keeps its first
    report. Each region's rows are stored with the transaction restricted to that region.
    """

    def __init__(self, batch: Batch[None]) -> None:
        self._batch = batch
        self._by_region: dict[str, dict[str, dict[str, Any]]] = {}

    def add(self, row: dict[str, Any]) -> None:
        """Store this activity with the batch, unless the batch already holds its first report."""
        self._by_region.setdefault(row["region_id"], {}).setdefault(row["activity_id"], row)

    async def run(self) -> None:
        """At the end of the batch: store each region's activities (then restore the region)."""
        session = self._batch.session
        by_region, self._by_region = self._by_region, {}
        if not by_region:
            return
        async for region_id in in_each_region(session, list(by_region)):
            await session.execute(
                _STORE_ACTIVITIES, {"rows": json_rows(by_region[region_id].values(), _ACTIVITY_COLUMNS)}
            )


_ACTIVITY_COLUMNS = ("activity_id", "region_id", "employee_id", "result_id")
#: Built once: one statement for a region's activities however many.
_STORE_ACTIVITIES = insert_from_json_rows(activities, _ACTIVITY_COLUMNS).on_conflict_do_nothing(
    index_elements=["region_id", "activity_id"]
)


async def region_clock(session: AsyncSession, region_id: str) -> RegionClock:
    """The region's clock; the platform default (WIB, quarterly) until planning has told us."""
    row = (
        await session.execute(
            select(regions.c.timezone, regions.c.period_kind).where(regions.c.region_id == region_id)
        )
    ).first()
    if row is None:
        return RegionClock()
    return RegionClock(timezone=row.timezone, period_kind=PeriodKind(row.period_kind))


async def unit_name(session: AsyncSession, region_id: str, unit_id: str) -> str:
    """The name of a unit of the region, or 404 (units of other regions are invisible)."""
    name = await session.scalar(
        select(units.c.name).where(units.c.unit_id == unit_id, units.c.region_id == region_id)
    )
    if name is None:
        raise Refusal("unknown_unit", "No such service unit.", field="unit_id", kind=RefusalKind.NOT_FOUND)
    return str(name)


def _fact_order(row: Any) -> FactOrder:
    return FactOrder(row.effective_from, row.stamp_at, row.stamp_id)


async def find_employee(session: AsyncSession, region_id: str, employee_id: str) -> EmployeeRecord | None:
    """An employee of the region as assigned today in the region's zone, or None.

    Someone who starts later shows their first assignment, as planning shows them.
    """
    facts = (
        await session.execute(
            select(employees).where(
                employees.c.employee_id == employee_id, employees.c.region_id == region_id
            )
        )
    ).all()
    if not facts:
        return None  # spares the region's clock for unknown ids
    today = region_now((await region_clock(session, region_id)).timezone).date()
    row = holding_or_first(facts, today, _fact_order)
    if row is None:
        return None
    return EmployeeRecord(row.employee_id, row.unit_id, row.supervisor_id, row.name)


async def require_employee(
    session: AsyncSession, region_id: str, employee_id: str, *, field: str
) -> EmployeeRecord:
    """An employee of the region, or 404 naming the field."""
    found = await find_employee(session, region_id, employee_id)
    if found is None:
        raise Refusal(
            "unknown_employee", "No such employee in this region.", field=field, kind=RefusalKind.NOT_FOUND
        )
    return found


async def ensure_unit_reader(session: AsyncSession, principal: Principal, unit_id: str) -> None:
    """The unit exists in the caller's region (404) and the caller may read its data (403, the rule
    scoring applies to unit dashboards)."""
    await unit_name(session, principal.region, unit_id)

    async def unit_of(employee_id: str) -> str | None:
        employee = await find_employee(session, principal.region, employee_id)
        return employee.unit_id if employee else None

    await ensure_may_read_unit(principal, unit_id, unit_of=unit_of)
