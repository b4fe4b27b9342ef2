"""The audit trail of a service, readable by its region's auditors and never editable through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from shared.auth import Principal, Role
from shared.guarded_route import GuardedRoute
from shared.region_time import shown_in
from shared.region_zones import region_zone
from shared.route_roles import require_roles
from shared.route_work import Context, RegionSession

router = APIRouter(prefix="/v1", tags=["audit"], route_class=GuardedRoute)

AuditReader = require_roles(Role.AUDITOR, Role.REGION_ADMIN)


class AuditEntryRead(BaseModel):
    """One state-changing action: who did what to which object, when, from where."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    region_id: str
    actor: str
    action: str
    subject: str
    detail: str | None
    client_address: str | None
    correlation_id: str | None
    at: datetime = Field(description="When it happened, in the region's time zone.")


class AuditPage(BaseModel):
    """A page of the trail, newest first; pass ``next_before`` as ``before`` for the next page."""

    entries: list[AuditEntryRead]
    next_before: int | None = Field(description="Cursor of the next (older) page; null on the last page.")


@router.get("/audit-log", response_model=AuditPage, summary="Read this service's audit trail")
async def read_audit_log(
    session: RegionSession,
    context: Context,
    principal: Principal = AuditReader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, description="Cursor: entries older than this id")] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=200)] = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditPage:
    """Entries of the caller's region only; filters narrow by actor, action or subject."""
    table = context.tables.audit_log
    query = select(table).where(table.c.region_id == principal.region)
    if before is not None:
        query = query.where(table.c.id < before)
    for column, wanted in ((table.c.actor, actor), (table.c.action, action), (table.c.subject, subject)):
        if wanted is not None:
            query = query.where(column == wanted)
    rows = (await session.execute(query.order_by(table.c.id.desc()).limit(limit + 1))).all()
    entries = [AuditEntryRead.model_validate(row) for row in rows[:limit]]
    page = AuditPage(entries=entries, next_before=entries[-1].id if len(rows) > limit else None)
    return shown_in(page, await region_zone(context, principal.region))
