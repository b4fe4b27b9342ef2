"""Region staff's survey routes: declared services, tickets, service users, the index and its report."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status
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
from shared.auth import Principal, Role
from shared.guarded_route import GuardedRoute
from shared.route_roles import require_roles
from shared.route_work import Context, RegionSession, RegionWork

router = APIRouter(prefix="/v1", tags=["feedback"], route_class=GuardedRoute)

RegionAdmin = require_roles(Role.REGION_ADMIN)
SurveyReaders = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)
ServiceUsersReporters = require_roles(Role.REGION_ADMIN, Role.RATER)


@router.post("/units/{unit_id}/services", status_code=status.HTTP_201_CREATED, response_model=UnitServiceRead)
async def declare_unit_service(
    unit_id: UnitId,
    service_in: UnitServiceCreate,
    work: RegionWork,
    principal: Principal = RegionAdmin,
) -> UnitServiceRead:
    """Declare a service of a unit that citizens rate, with its survey kind (BKPSDM)."""
    declared = await surveys.declare_unit_service(
        uow=work.uow, region_id=principal.region, unit_id=unit_id, service_in=service_in
    )
    work.record("unit_service.declare", f"{unit_id}/{declared.service_id}")
    return declared


@router.get("/units/{unit_id}/services", response_model=list[UnitServiceRead])
async def list_unit_services(
    unit_id: UnitId, session: RegionSession, principal: Principal = SurveyReaders
) -> list[UnitServiceRead]:
    """The rated services of a unit of your region."""
    return await surveys.list_unit_services(session=session, region_id=principal.region, unit_id=unit_id)


@router.post(
    "/units/{unit_id}/service-tickets", status_code=status.HTTP_201_CREATED, response_model=TicketBatchRead
)
async def issue_service_tickets(
    unit_id: UnitId,
    ticket_in: TicketCreate,
    work: RegionWork,
    context: Context,
    principal: Principal = RegionAdmin,
) -> TicketBatchRead:
    """Issue single-use service tickets (code and QR payload) for a unit's counter or receipts."""
    batch = await surveys.issue_tickets(
        uow=work.uow,
        region_id=principal.region,
        unit_id=unit_id,
        ticket_in=ticket_in,
        issued_by=principal.subject,
        survey_url=feedback_settings(context).citizen_survey_url,
        valid_for=timedelta(days=feedback_settings(context).ticket_valid_days),
    )
    work.record(
        "service_ticket.issue",
        unit_id,
        detail=f"{len(batch.tickets)} ticket(s), service {ticket_in.service_id or '-'}",
    )
    return batch


@router.put("/units/{unit_id}/service-users", response_model=ServiceUsersRead)
async def report_service_users(
    unit_id: UnitId,
    report: ServiceUsersReport,
    work: RegionWork,
    principal: Principal = ServiceUsersReporters,
) -> ServiceUsersRead:
    """Report how many citizens a unit served in a period (the survey's population, for sample adequacy)."""
    recorded = await surveys.report_service_users(
        uow=work.uow, principal=principal, unit_id=unit_id, report=report
    )
    work.record(
        "service_users.report",
        f"{unit_id}/{report.service_id or '-'}/{report.period}",
        detail=str(report.service_users),
    )
    return recorded


@router.get("/units/{unit_id}/satisfaction", response_model=SatisfactionIndexRead)
async def get_satisfaction_index(
    unit_id: UnitId,
    session: RegionSession,
    period: PeriodQuery,
    service_id: IdQuery = None,
    principal: Principal = SurveyReaders,
) -> SatisfactionIndexRead:
    """The live satisfaction index (IKM) of one of a unit's services, or of the whole unit over every
    response (with each service's index), for a period."""
    await ensure_unit_reader(session, principal, unit_id)
    return await satisfaction.satisfaction_index(
        session=session, region_id=principal.region, unit_id=unit_id, period=period, service_id=service_id
    )


@router.get("/units/{unit_id}/satisfaction/services", response_model=list[SatisfactionIndexRead])
async def list_satisfaction_indices(
    unit_id: UnitId,
    session: RegionSession,
    period: PeriodQuery,
    principal: Principal = SurveyReaders,
) -> list[SatisfactionIndexRead]:
    """The live index of every rated service of a unit in a period."""
    await ensure_unit_reader(session, principal, unit_id)
    return await satisfaction.satisfaction_indices(
        session=session, region_id=principal.region, unit_id=unit_id, period=period
    )


@router.get("/units/{unit_id}/satisfaction/report.csv", response_class=Response)
async def satisfaction_report_csv(
    unit_id: UnitId,
    session: RegionSession,
    period: PeriodQuery,
    service_id: IdQuery = None,
    principal: Principal = SurveyReaders,
) -> Response:
    """The SKM report of a unit and period as CSV (per-respondent table, NRR, IKM, priorities, comments)."""
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
    session: RegionSession,
    period: PeriodQuery,
    service_id: IdQuery = None,
    principal: Principal = SurveyReaders,
) -> HTMLResponse:
    """The SKM report of a unit and period as a printable page."""
    await ensure_unit_reader(session, principal, unit_id)
    report = await surveys.skm_report(
        session=session, region_id=principal.region, unit_id=unit_id, period=period, service_id=service_id
    )
    return HTMLResponse(render_html(report))
