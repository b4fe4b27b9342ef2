"""Event handlers that keep the scoring views current; each applies one event exactly once.

The consumer runner guarantees "once" with the processed-events row; these handlers are written
so that the view equals a recomputation from the raw contributions whatever order employees'
events interleave in.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import (
    contributions,
    indicator_progress,
    indicator_targets,
    region_settings,
    unit_satisfaction,
)
from services.scoring.domain.periods import PeriodKind, period_key
from shared.contracts import Envelope
from shared.contracts.feedback import SatisfactionIndexChanged
from shared.contracts.planning import RegionRegistered, WorkPlanApproved, WorkPlanSuperseded
from shared.contracts.reporting import ActivityReported, ActivityVerified

DEFAULT_TIMEZONE = "Asia/Jakarta"
DEFAULT_PERIOD_KIND = PeriodKind.QUARTERLY


async def period_for(session: AsyncSession, region_id: str, occurred_at: datetime) -> str:
    """The region's period (by its own calendar and time zone) that an instant falls in."""
    row = (
        await session.execute(
            select(region_settings.c.timezone, region_settings.c.period_kind).where(
                region_settings.c.region_id == region_id
            )
        )
    ).first()
    timezone, kind = (
        (row.timezone, PeriodKind(row.period_kind.upper()))
        if row
        else (
            DEFAULT_TIMEZONE,
            DEFAULT_PERIOD_KIND,
        )
    )
    return period_key(occurred_at.astimezone(ZoneInfo(timezone)).date(), kind)


async def on_region_registered(session: AsyncSession, event: RegionRegistered, _: Envelope) -> None:
    """Keep the region's calendar settings."""
    statement = insert(region_settings).values(
        region_id=event.region_id, timezone=event.timezone, period_kind=event.period_kind
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id"],
            set_={"timezone": statement.excluded.timezone, "period_kind": statement.excluded.period_kind},
        )
    )


async def on_work_plan_approved(session: AsyncSession, event: WorkPlanApproved, _: Envelope) -> None:
    """Targets of the plan now in force replace those of any earlier version."""
    await session.execute(
        update(indicator_targets)
        .where(indicator_targets.c.employee_id == event.employee_id, indicator_targets.c.year == event.year)
        .values(active=False)
    )
    rows = [
        {
            "indicator_id": indicator.indicator_id,
            "region_id": event.region_id,
            "employee_id": event.employee_id,
            "unit_id": event.unit_id,
            "rater_id": event.rater_id,
            "plan_id": event.plan_id,
            "result_id": result.result_id,
            "result_kind": result.kind,
            "year": event.year,
            "name": indicator.name,
            "direction": indicator.direction,
            "aggregation": indicator.aggregation,
            "unit_of_measure": indicator.unit_of_measure,
            "target": indicator.target,
            "period_targets": {key: str(value) for key, value in indicator.period_targets.items()},
            "active": True,
        }
        for result in event.results
        for indicator in result.indicators
    ]
    statement = insert(indicator_targets).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["indicator_id"],
            set_={column: statement.excluded[column] for column in rows[0] if column != "indicator_id"},
        )
    )


async def on_work_plan_superseded(session: AsyncSession, event: WorkPlanSuperseded, _: Envelope) -> None:
    """A plan no longer in force stops counting."""
    await session.execute(
        update(indicator_targets).where(indicator_targets.c.plan_id == event.plan_id).values(active=False)
    )


async def on_activity_reported(session: AsyncSession, event: ActivityReported, _: Envelope) -> None:
    """Add an activity's contribution to its indicator's progress in its period."""
    period = await period_for(session, event.region_id, event.occurred_at)
    quantity = event.quantity or Decimal(0)
    denominator = event.denominator or Decimal(0)
    inserted = await session.execute(
        insert(contributions)
        .values(
            activity_id=event.activity_id,
            region_id=event.region_id,
            employee_id=event.employee_id,
            indicator_id=event.indicator_id,
            period=period,
            occurred_at=event.occurred_at,
            quantity=quantity,
            denominator=event.denominator,
            verified=False,
        )
        .on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(contributions.c.activity_id)
    )
    if inserted.first() is None:
        return  # the same activity re-reported under a new event id: counted once already
    statement = insert(indicator_progress).values(
        employee_id=event.employee_id,
        indicator_id=event.indicator_id,
        period=period,
        region_id=event.region_id,
        quantity_sum=quantity,
        denominator_sum=denominator,
        activity_count=1,
        verified_quantity_sum=0,
        verified_count=0,
        last_occurred_at=event.occurred_at,
        last_activity_id=event.activity_id,
        last_quantity=quantity,
        events_applied=1,
    )
    current = indicator_progress.c
    is_later = (statement.excluded.last_occurred_at > current.last_occurred_at) | (
        (statement.excluded.last_occurred_at == current.last_occurred_at)
        & (statement.excluded.last_activity_id > current.last_activity_id)
    )

    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["employee_id", "indicator_id", "period"],
            set_={
                "quantity_sum": current.quantity_sum + statement.excluded.quantity_sum,
                "denominator_sum": current.denominator_sum + statement.excluded.denominator_sum,
                "activity_count": current.activity_count + 1,
                "last_occurred_at": case(
                    (is_later, statement.excluded.last_occurred_at), else_=current.last_occurred_at
                ),
                "last_activity_id": case(
                    (is_later, statement.excluded.last_activity_id), else_=current.last_activity_id
                ),
                "last_quantity": case(
                    (is_later, statement.excluded.last_quantity), else_=current.last_quantity
                ),
                "events_applied": current.events_applied + 1,
                "updated_at": func.now(),
            },
        )
    )


async def on_activity_verified(session: AsyncSession, event: ActivityVerified, _: Envelope) -> None:
    """Count a contribution as verified (once, however often it is verified)."""

    flipped = (
        await session.execute(
            update(contributions)
            .where(contributions.c.activity_id == event.activity_id, contributions.c.verified.is_(False))
            .values(verified=True)
            .returning(
                contributions.c.employee_id,
                contributions.c.indicator_id,
                contributions.c.period,
                contributions.c.quantity,
            )
        )
    ).first()
    if flipped is None:
        return
    await session.execute(
        update(indicator_progress)
        .where(
            indicator_progress.c.employee_id == flipped.employee_id,
            indicator_progress.c.indicator_id == flipped.indicator_id,
            indicator_progress.c.period == flipped.period,
        )
        .values(
            verified_quantity_sum=indicator_progress.c.verified_quantity_sum + flipped.quantity,
            verified_count=indicator_progress.c.verified_count + 1,
            events_applied=indicator_progress.c.events_applied + 1,
            updated_at=func.now(),
        )
    )


async def on_satisfaction_index_changed(
    session: AsyncSession, event: SatisfactionIndexChanged, _: Envelope
) -> None:
    """Keep the latest satisfaction index (IKM) of a unit and period."""
    statement = insert(unit_satisfaction).values(
        unit_id=event.unit_id,
        period=event.period,
        service_id=event.service_id or "",
        region_id=event.region_id,
        satisfaction_index=event.index,
        grade=event.grade,
        respondents=event.respondents,
        sample_adequate=event.sample_adequate,
    )

    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["unit_id", "period", "service_id"],
            set_={
                "satisfaction_index": statement.excluded.satisfaction_index,
                "grade": statement.excluded.grade,
                "respondents": statement.excluded.respondents,
                "sample_adequate": statement.excluded.sample_adequate,
                "updated_at": func.now(),
            },
            # An older index arriving late never replaces a newer one (more respondents = newer).
            where=unit_satisfaction.c.respondents <= statement.excluded.respondents,
        )
    )
