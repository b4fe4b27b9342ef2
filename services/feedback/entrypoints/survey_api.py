"""Region staff's survey routes: declared services, tickets, service users, the index and its report."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response

from services.feedback.entrypoints.citizen import (
    feedback_settings,
)
from services.feedback.entrypoints.params import (
    IdQuery,
    PeriodQuery,
    UnitId,
)
from services.feedback.entrypoints.report_rendering import render_csv, render_html
from services.feedback.service_layer import satisfaction, surveys
from services.feedback.service_layer.read_models import ensure_unit_reader
from services.feedback.service_layer.schemas import (
    SatisfactionIndexRead,
    ServiceUsersRead,
    ServiceUsersReport,
    TicketBatchRead,
    TicketCreate,
    UnitServiceCreate,
    UnitServiceRead,
)
from shared.auth import Principal, Role, require_roles
from shared.guarded_route import GuardedRoute
from shared.http import client_address
from shared.runtime import Context

router = APIRouter(prefix="/v1", tags=["feedback"], route_class=GuardedRoute)

RegionAdmin = require_roles(Role.REGION_ADMIN)
SurveyReaders = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)
ServiceUsersReporters = require_roles(Role.REGION_ADMIN, Role.RATER)


@router.post("/units/{unit_id}/services", status_code=status.HTTP_201_CREATED, response_model=UnitServiceRead)
async def declare_unit_service(
    unit_id: UnitId,
    service_in: UnitServiceCreate,
    context: Context,
    request: Request,
    principal: Principal = RegionAdmin,
) -> UnitServiceRead:
    """Declare a service of a unit that citizens rate, with its survey kind (BKPSDM)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        declared = await surveys.declare_unit_service(
            uow=uow, region_id=principal.region, unit_id=unit_id, service_in=service_in
        )
        await uow.audit(
            actor=principal.subject,
            action="unit_service.declare",
            subject=f"{unit_id}/{declared.service_id}",
            client_address=client_address(request),
        )
        await uow.commit()
    return declared


@router.get("/units/{unit_id}/services", response_model=list[UnitServiceRead])
async def list_unit_services(
    unit_id: UnitId, context: Context, principal: Principal = SurveyReaders
) -> list[UnitServiceRead]:
    """The rated services of a unit of your region."""
    session = await context.read_session(principal.region)
    async with session:
        return await surveys.list_unit_services(session=session, region_id=principal.region, unit_id=unit_id)


@router.post(
    "/units/{unit_id}/service-tickets", status_code=status.HTTP_201_CREATED, response_model=TicketBatchRead
)
async def issue_service_tickets(
    unit_id: UnitId,
    ticket_in: TicketCreate,
    context: Context,
    request: Request,
    principal: Principal = RegionAdmin,
) -> TicketBatchRead:
    """Issue single-use service tickets (code and QR payload) for a unit's counter or receipts."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        batch = await surveys.issue_tickets(
            uow=uow,
            region_id=principal.region,
            unit_id=unit_id,
            ticket_in=ticket_in,
            issued_by=principal.subject,
            survey_url=feedback_settings(context).citizen_survey_url,
            valid_for=timedelta(days=feedback_settings(context).ticket_valid_days),
        )
        await uow.audit(
            actor=principal.subject,
            action="service_ticket.issue",
            subject=unit_id,
            detail=f"{len(batch.tickets)} ticket(s), service {ticket_in.service_id or '-'}",
            client_address=client_address(request),
        )
        await uow.commit()
    return batch


@router.put("/units/{unit_id}/service-users", response_model=ServiceUsersRead)
async def report_service_users(
    unit_id: UnitId,
    report: ServiceUsersReport,
    context: Context,
    request: Request,
    principal: Principal = ServiceUsersReporters,
) -> ServiceUsersRead:
    """Report how many citizens a unit served in a period (the survey's population, for sample adequacy)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        recorded = await surveys.report_service_users(
            uow=uow, principal=principal, unit_id=unit_id, report=report
        )
        await uow.audit(
            actor=principal.subject,
            action="service_users.report",
            subject=f"{unit_id}/{report.service_id or '-'}/{report.period}",
            detail=str(report.service_users),
            client_address=client_address(request),
        )
        await uow.commit()
    return recorded


@router.get("/units/{unit_id}/satisfaction", response_model=SatisfactionIndexRead)
async def get_satisfaction_index(
    unit_id: UnitId,
    context: Context,
    period: PeriodQuery,
    service_id: IdQuery = None,
    principal: Principal = SurveyReaders,
) -> SatisfactionIndexRead:
    """The live satisfaction index (IKM) of one of a unit's services, or of the whole unit over every
    response (with each service's index), for a period."""
    session = await context.read_session(principal.region)
    async with session:
        await ensure_unit_reader(session, principal, unit_id)
        return await satisfaction.satisfaction_index(
            session=session, region_id=principal.region, unit_id=unit_id, period=period, service_id=service_id
        )


@router.get("/units/{unit_id}/satisfaction/services", response_model=list[SatisfactionIndexRead])
async def list_satisfaction_indices(
    unit_id: UnitId, context: Context, period: PeriodQuery, principal: Principal = SurveyReaders
) -> list[SatisfactionIndexRead]:
    """The live index of every rated service of a unit in a period."""
    session = await context.read_session(principal.region)
    async with session:
        await ensure_unit_reader(session, principal, unit_id)
        return await satisfaction.satisfaction_indices(
            session=session, region_id=principal.region, unit_id=unit_id, period=period
        )


@router.get("/units/{unit_id}/satisfaction/report.csv", response_class=Response)
async def satisfaction_report_csv(
    unit_id: UnitId,
    context: Context,
    period: PeriodQuery,
    service_id: IdQuery = None,
    principal: Principal = SurveyReaders,
) -> Response:
    """The SKM report of a unit and period as CSV (per-respondent table, NRR, IKM, priorities, comments)."""
    session = await context.read_session(principal.region)
    async with session:
        await ensure_unit_reader(session, principal, unit_id)
        report = await surveys.skm_report(
            session=session, region_id=principal.region, unit_id=unit_id, period=period, service_id=service_id
        )
    filename = f"skm-{unit_id}-{service_id or 'unit'}-{period}.csv"
    return Response(
        content=render_csv(report).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/units/{unit_id}/satisfaction/report.html", response_class=HTMLResponse)
async def satisfaction_report_html(
    unit_id: UnitId,
    context: Context,
    period: PeriodQuery,
    service_id: IdQuery = None,
    principal: Principal = SurveyReaders,
) -> HTMLResponse:
    """The SKM report of a unit and period as a printable page."""
    session = await context.read_session(principal.region)
    async with session:
        await ensure_unit_reader(session, principal, unit_id)
        report = await surveys.skm_report(
            session=session, region_id=principal.region, unit_id=unit_id, period=period, service_id=service_id
        )
    return HTMLResponse(render_html(report))
