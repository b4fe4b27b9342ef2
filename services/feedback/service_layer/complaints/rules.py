"""A region's complaint calendar and dated policy, and the working-day deadlines they set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    complaint_policies,
    complaints,
    holidays,
)
from services.feedback.domain.calendar import WorkingCalendar
from services.feedback.domain.complaints import (
    DEFAULT_COMPLAINT_POLICY,
    ComplaintPolicy,
    ComplaintStatus,
    current_deadline,
)
from services.feedback.domain.dated import Dated, in_force
from services.feedback.service_layer.complaints.records import deadline_values, domain_complaint, load_history
from services.feedback.service_layer.read_models import (
    region_clock,
)
from services.feedback.service_layer.schemas import (
    ComplaintPolicyCreate,
    ComplaintPolicyRead,
    HolidayCreate,
    HolidayRead,
)
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ComplaintRules:
    """The calendar and deadlines that govern one complaint."""

    calendar: WorkingCalendar
    policy: ComplaintPolicy


async def _holidays(session: AsyncSession, region_id: str) -> frozenset[date]:
    rows = await session.scalars(select(holidays.c.day).where(holidays.c.region_id == region_id))
    return frozenset(rows)


async def _policy_versions(session: AsyncSession, region_id: str) -> list[Any]:
    return list(
        await session.execute(
            select(complaint_policies)
            .where(complaint_policies.c.region_id == region_id)
            .order_by(complaint_policies.c.effective_from)
        )
    )


def _policy_of(row: Any) -> tuple[ComplaintPolicy, frozenset[int]]:
    return (
        ComplaintPolicy(
            verification_days=row.verification_days,
            follow_up_days=row.follow_up_days,
            resolution_without_field_check_days=row.resolution_without_field_check_days,
            resolution_with_field_check_days=row.resolution_with_field_check_days,
            reopen_window_days=row.reopen_window_days,
        ),
        frozenset(row.weekend_days),
    )


async def complaint_rules(session: AsyncSession, region_id: str, filed_on: date) -> ComplaintRules:
    """The region's calendar and the policy in force on the day a complaint was filed.

    A complaint keeps the deadlines of the day it was filed, so changing the policy never moves
    the goalposts of complaints already running; holidays, however, are facts and always apply.
    """
    clock = await region_clock(session, region_id)
    versions = [
        Dated(row.effective_from, _policy_of(row)) for row in await _policy_versions(session, region_id)
    ]
    policy, weekend = DEFAULT_COMPLAINT_POLICY, frozenset({5, 6})
    if versions and any(version.effective_from <= filed_on for version in versions):
        policy, weekend = in_force(versions, filed_on)
    calendar = WorkingCalendar(
        timezone=clock.timezone, weekend_days=weekend, holidays=await _holidays(session, region_id)
    )
    return ComplaintRules(calendar, policy)


def rules_day(instant: datetime, *, region_timezone: str) -> date:
    """The local day whose policy governs a complaint filed at an instant."""
    return WorkingCalendar(timezone=region_timezone).local_date(instant)


async def filed_day(session: AsyncSession, region_id: str, row: Any) -> date:
    """The local day the complaint was filed, whose policy governs it."""
    return rules_day(row.filed_at, region_timezone=(await region_clock(session, region_id)).timezone)


#: Statuses in which a deadline clock may run (the others never have one).
OPEN_STATUSES: Final = frozenset(
    {
        ComplaintStatus.SUBMITTED,
        ComplaintStatus.VERIFIED,
        ComplaintStatus.REOPENED,
        ComplaintStatus.DISPATCHED,
        ComplaintStatus.FOLLOWED_UP,
    }
)


async def recompute_deadlines(uow: UnitOfWork, region_id: str) -> int:
    """Re-derive the running deadline of every open complaint after the calendar or policy changed."""
    session = uow.session
    rows = list(
        await session.execute(
            select(complaints)
            .where(
                complaints.c.region_id == region_id,
                complaints.c.status.in_([status.value for status in OPEN_STATUSES]),
            )
            .with_for_update()
        )
    )
    for row in rows:
        rules = await complaint_rules(session, region_id, await filed_day(session, region_id, row))
        domain = domain_complaint(row, await load_history(session, region_id, row.complaint_id))
        deadline = current_deadline(domain, rules.calendar, rules.policy)
        await session.execute(
            update(complaints)
            .where(complaints.c.region_id == region_id, complaints.c.complaint_id == row.complaint_id)
            .values(**deadline_values(deadline))
        )
    return len(rows)


async def add_holiday(*, uow: UnitOfWork, region_id: str, holiday_in: HolidayCreate) -> HolidayRead:
    """Add (or rename) a holiday; running deadlines move with it."""
    statement = insert(holidays).values(region_id=region_id, day=holiday_in.day, name=holiday_in.name)
    await uow.session.execute(
        statement.on_conflict_do_update(index_elements=["region_id", "day"], set_={"name": holiday_in.name})
    )
    await recompute_deadlines(uow, region_id)
    return HolidayRead(day=holiday_in.day, name=holiday_in.name)


async def remove_holiday(*, uow: UnitOfWork, region_id: str, day: date) -> None:
    """Remove a holiday; running deadlines move with it."""
    removed = await uow.session.execute(
        delete(holidays)
        .where(holidays.c.region_id == region_id, holidays.c.day == day)
        .returning(holidays.c.day)
    )
    if removed.first() is None:
        raise Refusal("unknown_holiday", "No such holiday.", field="day", kind=RefusalKind.NOT_FOUND)
    await recompute_deadlines(uow, region_id)


async def list_holidays(*, session: AsyncSession, region_id: str, year: int | None) -> list[HolidayRead]:
    """The region's holidays, in date order."""
    statement = select(holidays).where(holidays.c.region_id == region_id)
    if year is not None:
        statement = statement.where(holidays.c.day >= date(year, 1, 1), holidays.c.day <= date(year, 12, 31))
    rows = await session.execute(statement.order_by(holidays.c.day))
    return [HolidayRead(day=row.day, name=row.name) for row in rows]


async def set_policy(
    *, uow: UnitOfWork, region_id: str, policy_in: ComplaintPolicyCreate
) -> ComplaintPolicyRead:
    """Set the region's complaint deadlines from a date on (a new dated version, or a correction)."""
    check_weekend(policy_in.weekend_days)
    weekend = sorted(set(policy_in.weekend_days))
    ComplaintPolicy(
        verification_days=policy_in.verification_days,
        follow_up_days=policy_in.follow_up_days,
        resolution_without_field_check_days=policy_in.resolution_without_field_check_days,
        resolution_with_field_check_days=policy_in.resolution_with_field_check_days,
        reopen_window_days=policy_in.reopen_window_days,
    )
    WorkingCalendar(weekend_days=frozenset(weekend))
    values = policy_in.model_dump(exclude={"effective_from"}) | {"weekend_days": weekend}
    statement = insert(complaint_policies).values(
        region_id=region_id, effective_from=policy_in.effective_from, **values
    )
    await uow.session.execute(
        statement.on_conflict_do_update(index_elements=["region_id", "effective_from"], set_=values)
    )
    await recompute_deadlines(uow, region_id)
    return ComplaintPolicyRead(effective_from=policy_in.effective_from, **values)


async def list_policies(*, session: AsyncSession, region_id: str) -> list[ComplaintPolicyRead]:
    """Every dated version of the region's complaint policy."""
    return [
        ComplaintPolicyRead.model_validate(row._asdict())
        for row in await _policy_versions(session, region_id)
    ]


def check_weekend(weekend_days: Sequence[int]) -> None:
    """Refuse weekend days outside 0..6 (also done by the calendar; here for a precise field)."""
    if any(not 0 <= day <= 6 for day in weekend_days):
        raise Refusal(
            "invalid_weekend_days", "Weekend days must be 0 (Monday) to 6 (Sunday).", field="weekend_days"
        )
