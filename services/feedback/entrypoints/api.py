"""HTTP API of the feedback service: citizens' public routes and the region staff's routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from services.feedback.domain.complaints import ComplaintStatus
from services.feedback.entrypoints.citizen import (
    CitizenClient,
    CitizenRoute,
    Traffic,
    citizen_protection,
    feedback_settings,
    limit_ticketless_response,
    remember_device,
)
from services.feedback.entrypoints.report_rendering import render_csv, render_html
from services.feedback.entrypoints.schemas import (
    ID_PATTERN,
    BehaviourAssessmentCreate,
    BehaviourAssessmentRead,
    BehaviourSummaryRead,
    ComplaintCreate,
    ComplaintPolicyCreate,
    ComplaintPolicyRead,
    ComplaintRead,
    ComplaintReceipt,
    ComplaintReopenCreate,
    ComplaintTrackingRead,
    ComplaintTransitionCreate,
    ContinuousFeedbackCreate,
    ContinuousFeedbackRead,
    HolidayCreate,
    HolidayRead,
    SatisfactionIndexRead,
    ServiceUsersRead,
    ServiceUsersReport,
    SurveyResponseCreate,
    SurveyResponseRead,
    TicketBatchRead,
    TicketCreate,
    UnitServiceCreate,
    UnitServiceRead,
)
from services.feedback.service_layer import complaints, internal, satisfaction, surveys
from services.feedback.service_layer.read_models import ensure_unit_reader
from shared.auth import Principal, Role, require_roles
from shared.contracts.periods import PeriodKey
from shared.dates import BoundedDate
from shared.guarded_route import GuardedRoute
from shared.http import PUBLIC, client_address
from shared.runtime import Context

public_router = APIRouter(prefix="/v1/public", tags=["citizens"], route_class=CitizenRoute)
router = APIRouter(prefix="/v1", tags=["feedback"], route_class=GuardedRoute)

CITIZEN = "citizen"
RegionId = Annotated[str, Path(pattern=ID_PATTERN)]
UnitId = Annotated[str, Path(pattern=ID_PATTERN)]
EntityId = Annotated[str, Path(pattern=ID_PATTERN)]
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN)]
TrackingCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9 -]{10,16}$", description="e.g. 7KQ3M-XR8T2")]
PeriodQuery = Annotated[PeriodKey, Query()]

RegionAdmin = require_roles(Role.REGION_ADMIN)
SurveyReaders = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)
ServiceUsersReporters = require_roles(Role.REGION_ADMIN, Role.RATER)
ComplaintReaders = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)
ComplaintMovers = require_roles(Role.REGION_ADMIN, Role.RATER)
CalendarReaders = require_roles(Role.REGION_ADMIN, Role.AUDITOR)
Raters = require_roles(Role.RATER)
Assessors = require_roles(Role.EMPLOYEE, Role.RATER)
InternalReaders = require_roles(Role.EMPLOYEE, Role.RATER, Role.REGION_ADMIN, Role.AUDITOR)

SurveyCitizen = citizen_protection("survey", Traffic.WRITE)
ServicesCitizen = citizen_protection("services", Traffic.READ)
ComplaintCitizen = citizen_protection("complaint", Traffic.WRITE)
TrackingCitizen = citizen_protection("tracking", Traffic.READ)
ReopenCitizen = citizen_protection("reopen", Traffic.WRITE)


def _now() -> datetime:
    return datetime.now(UTC)


# --- Citizens (no token; rate-limited and size-limited) ------------------------------------------


@public_router.post(
    "/regions/{region_id}/units/{unit_id}/survey-responses",
    status_code=status.HTTP_201_CREATED,
    response_model=SurveyResponseRead,
    openapi_extra=PUBLIC,
)
async def submit_survey_response(
    region_id: RegionId,
    unit_id: UnitId,
    response_in: SurveyResponseCreate,
    context: Context,
    response: Response,
    citizen: CitizenClient = SurveyCitizen,
) -> SurveyResponseRead:
    """Rate a public service (SKM), optionally with the service ticket from the receipt. No account needed.

    Without a ticket (a unit's public link) a device and an address may answer a few times per unit
    and day (429 beyond), and the unit's index counts ticketed responses only where tickets are used.
    """
    if response_in.ticket is None:
        await limit_ticketless_response(context, citizen, region_id, unit_id)
    async with context.unit_of_work(region_id=region_id) as uow:
        receipt = await surveys.submit_survey_response(
            uow=uow,
            region_id=region_id,
            unit_id=unit_id,
            response_in=response_in,
            now=_now(),
            ticket_valid_for=timedelta(days=feedback_settings(context).ticket_valid_days),
            address_hash=surveys.pseudonymous_address(citizen.address),
            device_hash=surveys.pseudonymous_address(citizen.device_token),
        )
        await uow.audit(
            actor=CITIZEN,
            action="survey_response.submit",
            subject=f"{unit_id}/{receipt.service_id or '-'}",
            client_address=surveys.pseudonymous_address(citizen.address),
        )
        await uow.commit()
    remember_device(response, citizen)
    return receipt


@public_router.get(
    "/regions/{region_id}/units/{unit_id}/services",
    response_model=list[UnitServiceRead],
    openapi_extra=PUBLIC,
)
async def list_rated_services(
    region_id: RegionId,
    unit_id: UnitId,
    context: Context,
    _: CitizenClient = ServicesCitizen,
) -> list[UnitServiceRead]:
    """The services of a unit a citizen can rate (for the survey form)."""
    session = await context.read_session(region_id)
    async with session:
        return await surveys.list_unit_services(session=session, region_id=region_id, unit_id=unit_id)


@public_router.post(
    "/regions/{region_id}/complaints",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintReceipt,
    openapi_extra=PUBLIC,
)
async def file_complaint(
    region_id: RegionId,
    complaint_in: ComplaintCreate,
    context: Context,
    citizen: CitizenClient = ComplaintCitizen,
) -> ComplaintReceipt:
    """File a complaint (pengaduan) about a unit, anonymously or with contact details."""
    async with context.unit_of_work(region_id=region_id) as uow:
        complaint_id, receipt = await complaints.file_complaint(
            uow=uow, region_id=region_id, complaint_in=complaint_in, now=_now()
        )
        await uow.audit(
            actor=CITIZEN,
            action="complaint.file",
            subject=complaint_id,
            client_address=surveys.pseudonymous_address(citizen.address),
        )
        await uow.commit()
    return receipt


@public_router.get(
    "/regions/{region_id}/complaints/{tracking_code}",
    response_model=ComplaintTrackingRead,
    openapi_extra=PUBLIC,
)
async def track_complaint(
    region_id: RegionId,
    tracking_code: TrackingCode,
    context: Context,
    _: CitizenClient = TrackingCitizen,
) -> ComplaintTrackingRead:
    """Follow a complaint with its tracking code."""
    session = await context.read_session(region_id)
    async with session:
        return await complaints.track_complaint(
            session=session, region_id=region_id, tracking_code=tracking_code, now=_now()
        )


@public_router.post(
    "/regions/{region_id}/complaints/{tracking_code}/reopen",
    response_model=ComplaintTrackingRead,
    openapi_extra=PUBLIC,
)
async def reopen_complaint(
    region_id: RegionId,
    tracking_code: TrackingCode,
    reopen_in: ComplaintReopenCreate,
    context: Context,
    citizen: CitizenClient = ReopenCitizen,
) -> ComplaintTrackingRead:
    """Reopen a closed complaint, saying why, within the region's window."""
    async with context.unit_of_work(region_id=region_id) as uow:
        complaint_id, tracked = await complaints.reopen_complaint(
            uow=uow, region_id=region_id, tracking_code=tracking_code, reason=reopen_in.reason, now=_now()
        )
        await uow.audit(
            actor=CITIZEN,
            action="complaint.reopen",
            # The id, not the tracking code: the trail's readers are not the complaint desk.
            subject=complaint_id,
            client_address=surveys.pseudonymous_address(citizen.address),
        )
        await uow.commit()
    return tracked


# --- Surveys: services, tickets, service users, index, report ------------------------------------


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


# --- Complaints: staff ---------------------------------------------------------------------------


@router.get("/complaints", response_model=list[ComplaintRead])
async def list_complaints(
    context: Context,
    status_filter: Annotated[ComplaintStatus | None, Query(alias="status")] = None,
    unit_id: IdQuery = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    principal: Principal = ComplaintReaders,
) -> list[ComplaintRead]:
    """Complaints of your region (a unit's rater: those about or dispatched to their unit)."""
    session = await context.read_session(principal.region)
    async with session:
        return await complaints.list_complaints(
            session=session,
            principal=principal,
            status=status_filter,
            unit_id=unit_id,
            overdue_only=overdue,
            now=_now(),
            limit=limit,
            offset=offset,
        )


@router.get("/complaints/{complaint_id}", response_model=ComplaintRead)
async def get_complaint(
    complaint_id: EntityId,
    context: Context,
    principal: Principal = ComplaintReaders,
) -> ComplaintRead:
    """One complaint with its history and running deadline."""
    session = await context.read_session(principal.region)
    async with session:
        return await complaints.complaint_detail(
            session=session, principal=principal, complaint_id=complaint_id
        )


@router.post("/complaints/{complaint_id}/transitions", response_model=ComplaintRead)
async def move_complaint(
    complaint_id: EntityId,
    move_in: ComplaintTransitionCreate,
    context: Context,
    request: Request,
    principal: Principal = ComplaintMovers,
) -> ComplaintRead:
    """Move a complaint along its life cycle; a move the life cycle does not allow is refused (409)."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        moved = await complaints.move_complaint(
            uow=uow, principal=principal, complaint_id=complaint_id, move_in=move_in, now=_now()
        )
        await uow.audit(
            actor=principal.subject,
            action=f"complaint.{move_in.status.value}",
            subject=complaint_id,
            detail=move_in.reason,
            client_address=client_address(request),
        )
        await uow.commit()
    return moved


@router.get("/complaint-calendar/holidays", response_model=list[HolidayRead])
async def list_holidays(
    context: Context,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    principal: Principal = CalendarReaders,
) -> list[HolidayRead]:
    """Your region's public holidays and collective leave days."""
    session = await context.read_session(principal.region)
    async with session:
        return await complaints.list_holidays(session=session, region_id=principal.region, year=year)


@router.post("/complaint-calendar/holidays", status_code=status.HTTP_201_CREATED, response_model=HolidayRead)
async def add_holiday(
    holiday_in: HolidayCreate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> HolidayRead:
    """Add a holiday to your region's calendar; running complaint deadlines move with it."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        added = await complaints.add_holiday(uow=uow, region_id=principal.region, holiday_in=holiday_in)
        await uow.audit(
            actor=principal.subject,
            action="holiday.add",
            subject=holiday_in.day.isoformat(),
            detail=holiday_in.name,
            client_address=client_address(request),
        )
        await uow.commit()
    return added


@router.delete("/complaint-calendar/holidays/{day}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_holiday(
    day: BoundedDate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> None:
    """Remove a holiday from your region's calendar."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        await complaints.remove_holiday(uow=uow, region_id=principal.region, day=day)
        await uow.audit(
            actor=principal.subject,
            action="holiday.remove",
            subject=day.isoformat(),
            client_address=client_address(request),
        )
        await uow.commit()


@router.get("/complaint-policies", response_model=list[ComplaintPolicyRead])
async def list_complaint_policies(
    context: Context, principal: Principal = CalendarReaders
) -> list[ComplaintPolicyRead]:
    """Every dated version of your region's complaint deadlines (defaults apply before the first)."""
    session = await context.read_session(principal.region)
    async with session:
        return await complaints.list_policies(session=session, region_id=principal.region)


@router.post("/complaint-policies", status_code=status.HTTP_201_CREATED, response_model=ComplaintPolicyRead)
async def set_complaint_policy(
    policy_in: ComplaintPolicyCreate, context: Context, request: Request, principal: Principal = RegionAdmin
) -> ComplaintPolicyRead:
    """Set your region's complaint deadlines (working days) and weekend days from a date on."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        policy = await complaints.set_policy(uow=uow, region_id=principal.region, policy_in=policy_in)
        await uow.audit(
            actor=principal.subject,
            action="complaint_policy.set",
            subject=policy_in.effective_from.isoformat(),
            client_address=client_address(request),
        )
        await uow.commit()
    return policy


# --- Feedback inside the organisation ------------------------------------------------------------


@router.post(
    "/employees/{employee_id}/continuous-feedback",
    status_code=status.HTTP_201_CREATED,
    response_model=ContinuousFeedbackRead,
)
async def give_continuous_feedback(
    employee_id: EntityId,
    feedback_in: ContinuousFeedbackCreate,
    context: Context,
    request: Request,
    principal: Principal = Raters,
) -> ContinuousFeedbackRead:
    """Give feedback to an employee you supervise on a planned result, pointing at its evidence."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        given = await internal.give_continuous_feedback(
            uow=uow, principal=principal, employee_id=employee_id, feedback_in=feedback_in, now=_now()
        )
        await uow.audit(
            actor=principal.subject,
            action="continuous_feedback.give",
            subject=given.feedback_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return given


@router.get("/employees/{employee_id}/continuous-feedback", response_model=list[ContinuousFeedbackRead])
async def list_continuous_feedback(
    employee_id: EntityId,
    context: Context,
    period: Annotated[PeriodKey | None, Query()] = None,
    principal: Principal = InternalReaders,
) -> list[ContinuousFeedbackRead]:
    """Feedback an employee received (the employee, their rater, HR and auditors)."""
    session = await context.read_session(principal.region)
    async with session:
        return await internal.feedback_of(
            session=session, principal=principal, employee_id=employee_id, period=period
        )


@router.post(
    "/employees/{employee_id}/behaviour-assessments",
    status_code=status.HTTP_201_CREATED,
    response_model=BehaviourAssessmentRead,
)
async def submit_behaviour_assessment(
    employee_id: EntityId,
    assessment_in: BehaviourAssessmentCreate,
    context: Context,
    request: Request,
    principal: Principal = Assessors,
) -> BehaviourAssessmentRead:
    """Assess an employee on the BerAKHLAK values: as their rater, a colleague of the unit, or yourself."""
    async with context.unit_of_work(region_id=principal.region) as uow:
        submitted = await internal.submit_behaviour_assessment(
            uow=uow, principal=principal, employee_id=employee_id, assessment_in=assessment_in
        )
        await uow.audit(
            actor=principal.subject,
            action=f"behaviour_assessment.{submitted.assessor_role.value}",
            subject=submitted.assessment_id,
            client_address=client_address(request),
        )
        await uow.commit()
    return submitted


@router.get("/employees/{employee_id}/behaviour", response_model=BehaviourSummaryRead)
async def behaviour_summary(
    employee_id: EntityId,
    context: Context,
    period: PeriodQuery,
    principal: Principal = InternalReaders,
) -> BehaviourSummaryRead:
    """An employee's behaviour assessments for a period; peers only pooled, from three answers on."""
    session = await context.read_session(principal.region)
    async with session:
        return await internal.behaviour_summary(
            session=session, principal=principal, employee_id=employee_id, period=period
        )
