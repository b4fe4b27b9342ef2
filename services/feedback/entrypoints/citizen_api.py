"""Citizens' routes (no token; rate-limited and size-limited): survey responses and complaints."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status
from fastapi.responses import Response

from services.feedback.entrypoints.citizen import (
    CitizenClient,
    CitizenRoute,
    Traffic,
    citizen_protection,
    citizen_work,
    feedback_settings,
    limit_ticketless_response,
    remember_device,
)
from services.feedback.entrypoints.params import (
    RegionId,
    TrackingCode,
    UnitId,
    utc_now,
)
from services.feedback.entrypoints.schemas import ComplaintReopenCreate
from services.feedback.service_layer import complaints, surveys
from services.feedback.service_layer.schemas import (
    ComplaintCreate,
    ComplaintReceipt,
    ComplaintTrackingRead,
    SurveyResponseCreate,
    SurveyResponseRead,
    UnitServiceRead,
)
from shared.http import PUBLIC
from shared.route_work import Context

router = APIRouter(prefix="/v1/public", tags=["citizens"], route_class=CitizenRoute)

SurveyCitizen = citizen_protection("survey", Traffic.WRITE)
ServicesCitizen = citizen_protection("services", Traffic.READ)
ComplaintCitizen = citizen_protection("complaint", Traffic.WRITE)
TrackingCitizen = citizen_protection("tracking", Traffic.READ)
ReopenCitizen = citizen_protection("reopen", Traffic.WRITE)


@router.post(
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
    async with citizen_work(context, region_id, citizen) as work:
        receipt = await surveys.submit_survey_response(
            uow=work.uow,
            region_id=region_id,
            unit_id=unit_id,
            response_in=response_in,
            now=utc_now(),
            ticket_valid_for=timedelta(days=feedback_settings(context).ticket_valid_days),
            address_hash=surveys.pseudonymous_address(citizen.address),
            device_hash=surveys.pseudonymous_address(citizen.device_token),
        )
        work.record("survey_response.submit", f"{unit_id}/{receipt.service_id or '-'}")
    remember_device(response, citizen)
    return receipt


@router.get(
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
    async with context.read_session(region_id) as session:
        return await surveys.list_unit_services(session=session, region_id=region_id, unit_id=unit_id)


@router.post(
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
    async with citizen_work(context, region_id, citizen) as work:
        complaint_id, receipt = await complaints.file_complaint(
            uow=work.uow, region_id=region_id, complaint_in=complaint_in, now=utc_now()
        )
        work.record("complaint.file", complaint_id)
    return receipt


@router.get(
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
    async with context.read_session(region_id) as session:
        return await complaints.track_complaint(
            session=session, region_id=region_id, tracking_code=tracking_code, now=utc_now()
        )


@router.post(
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
    async with citizen_work(context, region_id, citizen) as work:
        complaint_id, tracked = await complaints.reopen_complaint(
            uow=work.uow,
            region_id=region_id,
            tracking_code=tracking_code,
            reason=reopen_in.reason,
            now=utc_now(),
        )
        # The id, not the tracking code: the trail's readers are not the complaint desk.
        work.record("complaint.reopen", complaint_id)
    return tracked
