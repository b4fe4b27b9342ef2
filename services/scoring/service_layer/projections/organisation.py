"""Planning's events: the region's calendar, units, employees' dated assignments and work plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import contributions, plans, region_settings, units
from services.scoring.domain.calendar import Calendar, period_is_frozen
from services.scoring.service_layer.projections.backlog import PlanningKind, PlanningWrite
from services.scoring.service_layer.projections.handling import event_id_of
from services.scoring.service_layer.projections.pending import PendingViews, ScoringScope, deferring
from services.scoring.service_layer.projections.planning_store import store_planning
from services.scoring.service_layer.views import calendar, closures, now, touch
from shared.contracts import EnvelopeHead
from shared.contracts.planning import (
    EmployeeUpserted,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
    WorkPlanSuperseded,
)


@deferring
async def on_region_registered(
    session: AsyncSession, event: RegionRegistered, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """Keep the region's calendar; if it changed, move activities to the periods they now fall in."""
    # Activity changes of the batch so far fall into periods by the calendar they arrived under.
    await pending.flush()
    before = await calendar(session, event.region_id)
    statement = insert(region_settings).values(
        region_id=event.region_id, timezone=event.timezone, period_kind=event.period_kind
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id"],
            set_={"timezone": statement.excluded.timezone, "period_kind": statement.excluded.period_kind},
        )
    )
    after = await calendar(session, event.region_id)
    if after != before:
        await _rederive_periods(session, envelope, after, pending)


_MOVE_CONTRIBUTION = (
    contributions.update()
    .where(contributions.c.region_id == bindparam("r"), contributions.c.activity_id == bindparam("a"))
    .values(period=bindparam("p"), year=bindparam("y"))
)


async def _rederive_periods(
    session: AsyncSession, envelope: EnvelopeHead, region_calendar: Calendar, pending: PendingViews
) -> None:
    region_id = envelope.region_id
    rows = (
        await session.execute(
            select(
                contributions.c.activity_id,
                contributions.c.employee_id,
                contributions.c.occurred_at,
                contributions.c.period,
            ).where(contributions.c.region_id == region_id, contributions.c.occurred_at.is_not(None))
        )
    ).all()
    closed = await closures(session, region_id)
    affected: set[tuple[str, int]] = set()
    moves: list[dict[str, Any]] = []
    for row in rows:
        period = region_calendar.period_of(row.occurred_at)
        if period.key == row.period:
            continue
        if row.period is not None and period_is_frozen(closed, row.period, envelope.occurred_at):
            continue  # a frozen period keeps its activities
        moves.append({"r": region_id, "a": row.activity_id, "p": period.key, "y": period.year})
        affected.add((row.employee_id, period.year))
    if moves:
        await session.execute(_MOVE_CONTRIBUTION, moves)  # one executemany, however many activities
    # The period keys themselves may have changed (quarters to months): every planned employee too.
    planned = (
        await session.execute(select(plans.c.employee_id, plans.c.year).where(plans.c.region_id == region_id))
    ).all()
    affected |= {(row.employee_id, row.year) for row in planned}
    years = pending.region(region_id).employee_years
    for employee_id, year in sorted(affected):
        touch(years, (employee_id, year), event_id_of(envelope), envelope.occurred_at)


async def on_unit_upserted(scope: ScoringScope, event: UnitUpserted, envelope: EnvelopeHead) -> None:
    """Keep the unit and its organisation predicate (the newest fact wins)."""
    session = scope.session
    statement = insert(units).values(
        unit_id=event.unit_id,
        region_id=event.region_id,
        name=event.name,
        parent_unit_id=event.parent_unit_id,
        organisation_predicate=event.organisation_predicate,
        stamp_at=envelope.occurred_at,
        last_event_id=event_id_of(envelope),
        updated_at=now(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "unit_id"],
            set_={
                name: statement.excluded[name]
                for name in ("name", "parent_unit_id", "organisation_predicate", "stamp_at", "last_event_id")
            }
            | {"updated_at": now()},
            where=units.c.stamp_at <= statement.excluded.stamp_at,
        )
    )


@deferring
async def on_employee_upserted(
    _: AsyncSession, event: EmployeeUpserted, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """Keep the team read model (unit, job type, rater), one row per dated assignment; of two events
    for one date the newer wins (shared/read_models.py). Stored with the batch's others at its end."""
    event_id = event_id_of(envelope)
    row = {
        "employee_id": event.employee_id,
        "region_id": event.region_id,
        "name": event.name,
        "unit_id": event.unit_id,
        "position": event.position,
        "job_type": event.job_type,
        "supervisor_id": event.supervisor_id,
        "effective_from": event.effective_from,
        "stamp_at": envelope.occurred_at,
        "last_event_id": event_id,
        "updated_at": now(),
    }
    pending.region(event.region_id).planning.append(
        PlanningWrite(PlanningKind.EMPLOYEE, envelope, event_id, row)
    )


@deferring
async def on_work_plan_approved(
    _: AsyncSession, event: WorkPlanApproved, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """Keep the approved plan and its targets; the highest approved version in force is scored.
    Stored with the batch's others at its end."""
    event_id = event_id_of(envelope)
    plan = {
        "plan_id": event.plan_id,
        "region_id": event.region_id,
        "employee_id": event.employee_id,
        "year": event.year,
        "version": event.version,
        "rater_id": event.rater_id,
        "unit_id": event.unit_id,
        "job_type": event.job_type,
        "approved": True,
        "superseded": False,
        "last_event_id": event_id,
        "updated_at": now(),
    }
    indicators = [
        {
            "plan_id": event.plan_id,
            "indicator_id": indicator.indicator_id,
            "region_id": event.region_id,
            "employee_id": event.employee_id,
            "year": event.year,
            "position": position,
            "result_id": result.result_id,
            "result_kind": result.kind,
            "result_text": result.text,
            "code": indicator.code,
            "name": indicator.name,
            "aspect": indicator.aspect,
            "direction": indicator.direction,
            "aggregation": indicator.aggregation,
            "unit_of_measure": indicator.unit_of_measure,
            "target": indicator.target,
            "qualitative_target": indicator.qualitative_target,
            "period_targets": {key: str(value) for key, value in indicator.period_targets.items()},
        }
        for position, (result, indicator) in enumerate(
            (result, indicator) for result in event.results for indicator in result.indicators
        )
    ]
    pending.region(envelope.region_id).planning.append(
        PlanningWrite(PlanningKind.PLAN_APPROVED, envelope, event_id, plan, indicators)
    )


@deferring
async def on_work_plan_superseded(
    session: AsyncSession, event: WorkPlanSuperseded, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """A plan no longer in force stops counting (kept even if its approval has not arrived yet)."""
    # After the batch's planning events before it (an approval of the same plan among them).
    await store_planning(session, pending.region(envelope.region_id))
    statement = insert(plans).values(
        plan_id=event.plan_id,
        region_id=event.region_id,
        employee_id=event.employee_id,
        year=event.year,
        approved=False,
        superseded=True,
        last_event_id=event_id_of(envelope),
        updated_at=now(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "plan_id"],
            set_={"superseded": True, "last_event_id": statement.excluded.last_event_id, "updated_at": now()},
        )
    )
    _plan_changed(envelope, event.employee_id, event.year, pending)


def _plan_changed(envelope: EnvelopeHead, employee_id: str, year: int, pending: PendingViews) -> None:
    work = pending.region(envelope.region_id)
    work.plan_years.add((employee_id, year))  # its plan in force is marked at the batch's end
    touch(
        work.employee_years,
        (employee_id, year),
        event_id_of(envelope),
        envelope.occurred_at,
    )
