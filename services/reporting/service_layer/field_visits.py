"""Use cases of field visits (kunjungan lapangan) logged by raters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.adapters.tables import field_visit_employees, field_visits
from services.reporting.domain.activity import check_not_in_future
from services.reporting.domain.resend import VISIT_CONTENT, changed_resend, differing_fields
from services.reporting.metrics import FIELD_VISITS
from services.reporting.service_layer.access import (
    employee_of,
    ensure_may_see_employee,
    is_region_reader,
    team_of,
)
from services.reporting.service_layer.activities import SubmissionRules
from services.reporting.service_layer.pages import Keyed, newest_first_of_any
from services.reporting.service_layer.schemas import FieldVisitCreate, FieldVisitPage, FieldVisitRead
from shared.auth import Principal, Role
from shared.contracts.reporting import FieldVisitLogged
from shared.refusals import Refusal, RefusalKind
from shared.region_time import as_sent, utc_offset_minutes
from shared.unit_of_work import UnitOfWork


async def _find(session: AsyncSession, region_id: str, visit_id: str) -> FieldVisitRead | None:
    row = (
        await session.execute(
            select(field_visits).where(
                field_visits.c.visit_id == visit_id, field_visits.c.region_id == region_id
            )
        )
    ).first()
    return None if row is None else _visit_read(row._mapping)


def _visit_read(mapping: Any) -> FieldVisitRead:
    """A visit as stored, its time with the offset the rater's device sent it with."""
    return FieldVisitRead.model_validate(
        dict(mapping) | {"visited_at": as_sent(mapping["visited_at"], mapping.get("visited_utc_offset"))}
    )


async def log_field_visit(
    *, uow: UnitOfWork, principal: Principal, visit_in: FieldVisitCreate, rules: SubmissionRules
) -> tuple[FieldVisitRead, bool]:
    """Record a rater's visit to members of their team; a retry returns the original (if unchanged)."""
    supervisor_id = employee_of(principal)
    region_id = principal.region
    session = uow.session
    existing = await _find(session, region_id, visit_in.visit_id)
    if existing is not None:
        if existing.supervisor_id != supervisor_id:
            raise Refusal(
                "visit_id_taken",
                "This visit id is already used.",
                field="visit_id",
                kind=RefusalKind.CONFLICT,
            )
        sent = visit_in.model_dump() | {"employee_ids": list(dict.fromkeys(visit_in.employee_ids))}
        if differing := differing_fields(sent, dict(existing), VISIT_CONTENT):
            raise changed_resend("visit", differing)
        return existing, False
    refusal = check_not_in_future(
        visit_in.visited_at, now=rules.now, clock_skew=rules.clock_skew, field="visited_at"
    )
    if refusal is not None:
        raise refusal
    employee_ids = list(dict.fromkeys(visit_in.employee_ids))
    team = team_of(principal).subquery()
    members = set(
        (
            await session.execute(select(team.c.employee_id).where(team.c.employee_id.in_(employee_ids)))
        ).scalars()
    )
    for index, employee_id in enumerate(visit_in.employee_ids):
        if employee_id not in members:
            raise Refusal(
                "not_in_team",
                "Employee %(employee_id)s is not in your team.",
                field=f"employee_ids.{index}",
                params={"employee_id": employee_id},
            )
    values = visit_in.model_dump() | {
        "visited_utc_offset": utc_offset_minutes(visit_in.visited_at),
        "employee_ids": employee_ids,
        "region_id": region_id,
        "supervisor_id": supervisor_id,
    }
    logged_at = (
        await session.execute(
            insert(field_visits)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["region_id", "visit_id"])
            .returning(field_visits.c.logged_at)
        )
    ).scalar_one_or_none()
    if logged_at is None:
        raise Refusal(
            "visit_id_taken", "This visit id is already used.", field="visit_id", kind=RefusalKind.CONFLICT
        )
    uow.emit(
        FieldVisitLogged(
            region_id=region_id,
            visit_id=visit_in.visit_id,
            supervisor_id=supervisor_id,
            employee_ids=employee_ids,
            location=visit_in.location,
            visited_at=visit_in.visited_at,
            findings=visit_in.findings,
            follow_up=visit_in.follow_up,
        )
    )
    FIELD_VISITS.inc()
    return _visit_read(values | {"logged_at": logged_at}), True


def _visible_visits(principal: Principal) -> ColumnElement[bool]:
    if is_region_reader(principal):
        return true()
    me = employee_of(principal)
    conditions: list[ColumnElement[bool]] = [field_visits.c.employee_ids.contains([me])]
    if principal.has(Role.RATER):
        conditions.append(field_visits.c.supervisor_id == me)
    return or_(*conditions)


def _naming(region_id: str, employee_id: str) -> Keyed:
    """The region's visits naming the employee, found and ordered by ``field_visit_employees``' key:
    its time and visit id stand in the visit's columns of the same name."""
    named = field_visit_employees
    by_named = {"visited_at": named.c.visited_at, "visit_id": named.c.visit_id}
    query = (
        select(*(by_named.get(column.name, column) for column in field_visits.c))
        .join_from(
            named,
            field_visits,
            and_(field_visits.c.region_id == named.c.region_id, field_visits.c.visit_id == named.c.visit_id),
        )
        .where(named.c.region_id == region_id, named.c.employee_id == employee_id)
    )
    return query, named.c.visited_at, named.c.visit_id


def _all_of_region(region_id: str) -> Keyed:
    query = select(field_visits).where(field_visits.c.region_id == region_id)
    return query, field_visits.c.visited_at, field_visits.c.visit_id


def _visible_queries(principal: Principal, employee_id: str | None) -> list[Keyed]:
    """The visits the caller may see (of one employee), as queries each read by an index and
    sharing no visit: a condition on ``employee_ids`` is only checked on visits found so."""
    region_id = principal.region
    if employee_id is not None:
        query, at, key = _naming(region_id, employee_id)
        return [(query.where(_visible_visits(principal)), at, key)]
    if is_region_reader(principal):
        return [_all_of_region(region_id)]
    me = employee_of(principal)
    if not principal.has(Role.RATER):
        return [_naming(region_id, me)]
    supervised, at, key = _all_of_region(region_id)
    naming_me, named_at, named_key = _naming(region_id, me)
    return [
        (supervised.where(field_visits.c.supervisor_id == me), at, key),
        (naming_me.where(field_visits.c.supervisor_id != me), named_at, named_key),
    ]


async def list_field_visits(
    *,
    session: AsyncSession,
    principal: Principal,
    employee_id: str | None,
    visited_from: datetime | None,
    visited_to: datetime | None,
    cursor: str | None,
    limit: int,
) -> FieldVisitPage:
    """Visits the caller may see (their own as rater, those of them as employee, all for HR and audit)."""
    if employee_id is not None:
        await ensure_may_see_employee(session, principal, employee_id)
    queries = []
    for query, at, key in _visible_queries(principal, employee_id):
        if visited_from is not None:
            query = query.where(at >= visited_from)
        if visited_to is not None:
            query = query.where(at < visited_to)
        queries.append((query, at, key))
    rows, next_cursor = await newest_first_of_any(session, queries, cursor=cursor, limit=limit)
    items = [_visit_read(row._mapping) for row in rows]
    return FieldVisitPage(items=items, next_cursor=next_cursor)
