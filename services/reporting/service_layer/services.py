"""Use cases of the reporting service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.adapters.tables import activities, plan_indicators
from services.reporting.entrypoints.schemas import (
    ActivityCreate,
    ActivityRead,
    BatchItemOutcome,
    BatchRead,
)
from services.reporting.metrics import ACTIVITIES_SUBMITTED
from shared.auth import Principal, Role
from shared.contracts import Envelope
from shared.contracts.planning import WorkPlanApproved, WorkPlanSuperseded
from shared.contracts.reporting import ActivityReported, ActivityVerified
from shared.errors import ApiError, Conflict, Forbidden, NotFound, Unprocessable
from shared.unit_of_work import UnitOfWork

#: Phones' clocks drift; a report a little "in the future" is still accepted.
CLOCK_SKEW = timedelta(minutes=5)


async def submit_activity(
    *, uow: UnitOfWork, principal: Principal, activity_in: ActivityCreate
) -> tuple[ActivityRead, bool]:
    """Accept an activity of the caller; returns it and whether it was new (False: a retry)."""
    if principal.employee_id is None:
        raise Forbidden("not_an_employee", "Only an employee reports activities.")
    existing = await _find(uow.session, activity_in.activity_id)
    if existing is not None:
        if existing.employee_id != principal.employee_id:
            raise Conflict("activity_id_taken", "This activity id is already used.", field="activity_id")
        return existing, False
    indicator = (
        await uow.session.execute(
            select(plan_indicators).where(
                plan_indicators.c.indicator_id == activity_in.indicator_id,
                plan_indicators.c.employee_id == principal.employee_id,
                plan_indicators.c.region_id == principal.region,
                plan_indicators.c.active.is_(True),
            )
        )
    ).first()
    if indicator is None:
        raise Unprocessable(
            "unknown_indicator",
            "The indicator is not in your approved work plan.",
            "Indikator tidak ada dalam SKP Anda yang sudah disetujui.",
            field="indicator_id",
        )
    now = datetime.now(UTC)
    if activity_in.occurred_at > now + CLOCK_SKEW:
        raise Unprocessable("in_the_future", "The activity time is in the future.", field="occurred_at")
    if activity_in.occurred_at.astimezone(UTC).year != indicator.year:
        raise Unprocessable(
            "outside_plan_year",
            f"The activity must happen within the plan year {indicator.year}.",
            field="occurred_at",
        )
    if indicator.aggregation == "ratio" and activity_in.denominator is None:
        raise Unprocessable(
            "denominator_required", "A ratio indicator needs a denominator.", field="denominator"
        )
    if activity_in.quantity is None:
        raise Unprocessable(
            "quantity_required", "A quantity is required for this indicator.", field="quantity"
        )
    values: dict[str, Any] = activity_in.model_dump() | {
        "region_id": principal.region,
        "employee_id": principal.employee_id,
        "plan_id": indicator.plan_id,
        "result_id": indicator.result_id,
        "status": "submitted",
    }
    inserted = await uow.session.execute(
        insert(activities)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(activities.c.activity_id)
    )
    if inserted.first() is None:
        # A concurrent retry won the race; answer as for any duplicate.
        raced = await _find(uow.session, activity_in.activity_id)
        assert raced is not None
        return raced, False
    uow.emit(
        ActivityReported(
            region_id=principal.region,
            activity_id=activity_in.activity_id,
            employee_id=principal.employee_id,
            plan_id=indicator.plan_id,
            result_id=indicator.result_id,
            indicator_id=activity_in.indicator_id,
            occurred_at=activity_in.occurred_at,
            quantity=activity_in.quantity,
            denominator=activity_in.denominator,
            description=activity_in.description,
            obstacles=activity_in.obstacles,
        )
    )
    ACTIVITIES_SUBMITTED.labels("accepted").inc()
    read = ActivityRead(**{k: values.get(k) for k in ActivityRead.model_fields if k in values})
    return read, True


async def submit_batch(*, uow: UnitOfWork, principal: Principal, items: list[dict[str, object]]) -> BatchRead:
    """Accept a batch item by item, each in its own savepoint so one bad item never spoils the rest."""
    outcomes: list[BatchItemOutcome] = []
    for index, raw in enumerate(items):
        activity_id = raw.get("activity_id") if isinstance(raw.get("activity_id"), str) else None
        try:
            activity_in = ActivityCreate.model_validate(raw)
            async with uow.session.begin_nested():
                _, created = await submit_activity(uow=uow, principal=principal, activity_in=activity_in)
            outcomes.append(
                BatchItemOutcome(
                    index=index, activity_id=activity_id, outcome="accepted" if created else "duplicate"
                )
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            outcomes.append(
                BatchItemOutcome(
                    index=index,
                    activity_id=activity_id,
                    outcome="rejected",
                    error={"code": "invalid_input", "field": field, "message": f"{field}: {first['msg']}"},
                )
            )
        except ApiError as exc:
            outcomes.append(
                BatchItemOutcome(
                    index=index, activity_id=activity_id, outcome="rejected", error=exc.body()["error"]
                )
            )
    counts = {
        kind: sum(1 for o in outcomes if o.outcome == kind) for kind in ("accepted", "duplicate", "rejected")
    }
    ACTIVITIES_SUBMITTED.labels("rejected").inc(counts["rejected"])
    return BatchRead(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        items=outcomes,
    )


async def verify_activity(
    *, uow: UnitOfWork, principal: Principal, activity_id: str, note: str | None
) -> ActivityRead:
    """The employee's rater verifies an activity."""
    activity = await _find(uow.session, activity_id)
    if activity is None or activity.region_id != principal.region:
        raise NotFound("unknown_activity", "No such activity.", "Kegiatan tidak ditemukan.")
    rater = await uow.session.scalar(
        select(plan_indicators.c.rater_id).where(plan_indicators.c.indicator_id == activity.indicator_id)
    )
    if not principal.has(Role.RATER) or principal.employee_id != rater:
        raise Forbidden("not_the_rater", "Only the employee's rater can verify their activities.")
    if activity.status == "verified":
        return activity
    await uow.session.execute(
        update(activities)
        .where(activities.c.activity_id == activity_id)
        .values(status="verified", review_note=note, reviewed_by=principal.employee_id)
    )
    uow.emit(
        ActivityVerified(
            region_id=activity.region_id,
            activity_id=activity_id,
            employee_id=activity.employee_id,
            verifier_id=principal.employee_id or principal.subject,
            note=note,
        )
    )
    return activity.model_copy(update={"status": "verified", "review_note": note})


async def list_activities(
    *, session: AsyncSession, principal: Principal, employee_id: str, limit: int, before: datetime | None
) -> list[ActivityRead]:
    """An employee's activities, newest first, for those allowed to see them."""
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR) and principal.employee_id != employee_id:
        rater = await session.scalar(
            select(plan_indicators.c.rater_id).where(plan_indicators.c.employee_id == employee_id).limit(1)
        )
        if rater is None or rater != principal.employee_id:
            raise NotFound("unknown_employee", "No activities you may see for this employee.")
    query = (
        select(activities)
        .where(activities.c.employee_id == employee_id, activities.c.region_id == principal.region)
        .order_by(activities.c.occurred_at.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(activities.c.occurred_at < before)
    rows = (await session.execute(query)).all()
    return [ActivityRead.model_validate(dict(row._mapping)) for row in rows]


async def _find(session: AsyncSession, activity_id: str) -> ActivityRead | None:
    row = (await session.execute(select(activities).where(activities.c.activity_id == activity_id))).first()
    return None if row is None else ActivityRead.model_validate(dict(row._mapping))


async def on_work_plan_approved(session: AsyncSession, event: WorkPlanApproved, _: Envelope) -> None:
    """Remember the indicators an employee may report against (replacing an earlier version's)."""
    await session.execute(
        update(plan_indicators)
        .where(plan_indicators.c.employee_id == event.employee_id, plan_indicators.c.year == event.year)
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
            "active": True,
        }
        for result in event.results
        for indicator in result.indicators
    ]
    statement = insert(plan_indicators).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["indicator_id"],
            set_={
                "active": True,
                "plan_id": statement.excluded.plan_id,
                "rater_id": statement.excluded.rater_id,
            },
        )
    )


async def on_work_plan_superseded(session: AsyncSession, event: WorkPlanSuperseded, _: Envelope) -> None:
    """Stop accepting reports against a plan that is no longer in force."""
    await session.execute(
        update(plan_indicators).where(plan_indicators.c.plan_id == event.plan_id).values(active=False)
    )
