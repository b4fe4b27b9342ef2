"""Read models this service keeps from planning's events: regions' zones, reportable indicators, who
rates whom."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from services.reporting.adapters.tables import plan_indicators, regions, team_members
from shared.contracts import EnvelopeHead
from shared.contracts.planning import EmployeeUpserted, RegionRegistered, WorkPlanApproved, WorkPlanSuperseded
from shared.messaging.scope import HandlerScope
from shared.read_models import stamp_values, stored_if_newer


async def on_region_registered(scope: HandlerScope[None], event: RegionRegistered, _: EnvelopeHead) -> None:
    """Remember the region's time zone: reporting shows the times it computes in it."""
    session = scope.session
    statement = insert(regions).values(region_id=event.region_id, timezone=event.timezone)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id"], set_={"timezone": statement.excluded.timezone}
        )
    )


async def on_employee_upserted(
    scope: HandlerScope[None], event: EmployeeUpserted, envelope: EnvelopeHead
) -> None:
    """Remember the employee's supervisor (their rater) from the move's date: the team a rater may
    verify and watch. Of two events for one date the newer wins, so a late or repeated one changes nothing.
    """
    session = scope.session
    statement = insert(team_members).values(
        employee_id=event.employee_id,
        region_id=event.region_id,
        effective_from=event.effective_from,
        supervisor_id=event.supervisor_id,
        unit_id=event.unit_id,
        **stamp_values(envelope),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "employee_id", "effective_from"],
            set_={
                name: statement.excluded[name]
                for name in ("supervisor_id", "unit_id", "stamp_at", "stamp_id")
            },
            where=stored_if_newer(team_members, statement.excluded),
        )
    )


async def on_work_plan_approved(scope: HandlerScope[None], event: WorkPlanApproved, _: EnvelopeHead) -> None:
    """Remember the indicators an employee may report against (replacing an earlier version's)."""
    session = scope.session
    await session.execute(
        update(plan_indicators)
        .where(
            plan_indicators.c.region_id == event.region_id,
            plan_indicators.c.employee_id == event.employee_id,
            plan_indicators.c.year == event.year,
        )
        .values(active=False)
    )
    rows = [
        {
            "indicator_id": indicator.indicator_id,
            "region_id": event.region_id,
            "employee_id": event.employee_id,
            "rater_id": event.rater_id,
            "plan_id": event.plan_id,
            "result_id": result.result_id,
            "year": event.year,
            "aggregation": indicator.aggregation,
            "qualitative": indicator.qualitative or indicator.target is None,
            "active": True,
        }
        for result in event.results
        for indicator in result.indicators
    ]
    if not rows:
        return
    statement = insert(plan_indicators).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "indicator_id"],
            set_={
                "active": True,
                "plan_id": statement.excluded.plan_id,
                "result_id": statement.excluded.result_id,
                "rater_id": statement.excluded.rater_id,
                "year": statement.excluded.year,
                "aggregation": statement.excluded.aggregation,
                "qualitative": statement.excluded.qualitative,
            },
        )
    )


async def on_work_plan_superseded(
    scope: HandlerScope[None], event: WorkPlanSuperseded, _: EnvelopeHead
) -> None:
    """Stop accepting reports against a plan that is no longer in force."""
    session = scope.session
    await session.execute(
        update(plan_indicators)
        .where(plan_indicators.c.region_id == event.region_id, plan_indicators.c.plan_id == event.plan_id)
        .values(active=False)
    )
