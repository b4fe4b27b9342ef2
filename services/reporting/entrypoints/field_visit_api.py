"""Field visit routes (kunjungan lapangan): logging one, listing them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from services.reporting.entrypoints.dependencies import reporting_settings
from services.reporting.entrypoints.routing import AsRater, AsReader, Cursor, Limit, reporting_router
from services.reporting.service_layer import field_visits
from services.reporting.service_layer.activities import SubmissionRules
from services.reporting.service_layer.schemas import FieldVisitCreate, FieldVisitPage, FieldVisitRead
from shared.auth import Principal
from shared.dates import BoundedInstant
from shared.region_time import shown_in
from shared.region_zones import region_zone
from shared.route_work import Context, RegionSession, RegionWork

router = reporting_router()


@router.post("/field-visits", status_code=status.HTTP_201_CREATED, response_model=FieldVisitRead)
async def log_field_visit(
    visit_in: FieldVisitCreate,
    context: Context,
    work: RegionWork,
    response: Response,
    principal: Principal = AsRater,
) -> FieldVisitRead:
    """Log a field visit (kunjungan lapangan) to members of your team; a retry answers 200, the same
    visit_id with other content 409."""
    rules = SubmissionRules.at_now(reporting_settings(context).clock_skew_seconds)
    visit, created = await field_visits.log_field_visit(
        uow=work.uow, principal=principal, visit_in=visit_in, rules=rules
    )
    if created:
        work.record("field_visit.log", visit.visit_id)
    else:
        response.status_code = status.HTTP_200_OK
    return shown_in(visit, await region_zone(context, principal.region))


@router.get("/field-visits", response_model=FieldVisitPage)
async def list_field_visits(
    session: RegionSession,
    context: Context,
    principal: Principal = AsReader,
    employee_id: Annotated[str | None, Query(max_length=64)] = None,
    visited_from: Annotated[BoundedInstant | None, Query()] = None,
    visited_to: Annotated[BoundedInstant | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> FieldVisitPage:
    """Field visits you may see, newest first."""
    page = await field_visits.list_field_visits(
        session=session,
        principal=principal,
        employee_id=employee_id,
        visited_from=visited_from,
        visited_to=visited_to,
        cursor=cursor,
        limit=limit,
    )
    return shown_in(page, await region_zone(context, principal.region))
