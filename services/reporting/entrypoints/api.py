"""HTTP API of the reporting service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import tzinfo
from typing import Annotated

from fastapi import APIRouter, Body, File, Header, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from services.reporting.adapters.live_feed import FeedNotice, FeedUnavailable, InvalidEventId
from services.reporting.domain.activity import ActivityStatus, ReviewAction
from services.reporting.entrypoints.dependencies import (
    evidence_store,
    live_feed,
    reporting_settings,
    submission_queue,
    submission_writer,
)
from services.reporting.entrypoints.schemas import BatchCreate, BatchRead, RejectionCreate, VerificationCreate
from services.reporting.service_layer import activities, evidence, field_visits
from services.reporting.service_layer.access import employee_of
from services.reporting.service_layer.activities import HistoryFilters, SubmissionRules
from services.reporting.service_layer.intake import Claim
from services.reporting.service_layer.schemas import (
    ActivityCorrection,
    ActivityCreate,
    ActivityDetail,
    ActivityPage,
    ActivityRead,
    ActivityStatusName,
    EvidenceRead,
    FieldVisitCreate,
    FieldVisitPage,
    FieldVisitRead,
)
from services.reporting.service_layer.submission_answers import batch_answer, batch_claim, single_answer
from shared.auth import Principal, Role
from shared.context import ServiceContext
from shared.dates import BoundedInstant
from shared.guarded_route import GuardedRoute
from shared.http import client_address, json_response
from shared.refusals import Refusal, RefusalKind
from shared.region_time import shown_in
from shared.region_zones import region_zone
from shared.route_roles import require_roles
from shared.route_work import AuditedWork, Context, RegionSession, RegionWork

router = APIRouter(prefix="/v1", tags=["reporting"], route_class=GuardedRoute)

ActivityId = Annotated[str, Path(max_length=64)]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, lowercase hex.")]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=300, description="next_cursor of the previous page.")]

#: Who may call what: an employee reports and corrects, a rater reviews and visits, and the object
#: rules of the service layer narrow each further (own records, own team, own region).
AsEmployee = require_roles(Role.EMPLOYEE)
AsRater = require_roles(Role.RATER)
AsReader = require_roles(Role.EMPLOYEE, Role.RATER, Role.REGION_ADMIN, Role.AUDITOR)


async def _publish(context: ServiceContext, zone: tzinfo, notices: Sequence[FeedNotice]) -> None:
    """Send notices to the raters' feeds, their times in the region's zone as every answer shows them."""
    if notices:
        await live_feed(context).publish([notice.shown_in(zone) for notice in notices])


@router.post("/activities", status_code=status.HTTP_201_CREATED, response_model=ActivityRead)
async def submit_activity(
    activity_in: ActivityCreate,
    context: Context,
    request: Request,
    principal: Principal = AsEmployee,
) -> Response:
    """Report an activity; sending the same activity_id again returns the original (200), or 409
    naming the fields that differ if the content is not the same.

    Answered once the activity and its event are committed (together with whatever other
    submissions arrived at the same moment: group commit).
    """
    claim = Claim(principal, employee_of(principal), [(0, activity_in)], client_address(request))
    result = await submission_queue(context).submit(claim)
    zone = await region_zone(context, principal.region)
    await _publish(context, zone, result.notices)
    activity, created = single_answer(result.outcomes[0])
    return json_response(shown_in(activity, zone), status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@router.post("/activities/batch", response_model=BatchRead)
async def submit_batch(
    batch: BatchCreate,
    context: Context,
    request: Request,
    principal: Principal = AsEmployee,
) -> Response:
    """Sync activities queued offline (at most 500); each item is accepted, a duplicate, or rejected
    (an id sent before with other content: ``activity_changed``, naming the fields that differ)."""
    claim, malformed = batch_claim(principal, employee_of(principal), batch.items, client_address(request))
    [result] = await submission_writer(context)(principal.region, [claim])
    await _publish(context, await region_zone(context, principal.region), result.notices)
    answer = batch_answer(len(batch.items), result.outcomes, malformed)
    return Response(answer, status_code=status.HTTP_200_OK, media_type="application/json")


@router.get("/activities", response_model=ActivityPage)
async def activity_history(
    session: RegionSession,
    context: Context,
    principal: Principal = AsReader,
    employee_id: Annotated[str | None, Query(max_length=64)] = None,
    indicator_id: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[ActivityStatusName | None, Query(alias="status")] = None,
    occurred_from: Annotated[BoundedInstant | None, Query(description="Inclusive lower bound.")] = None,
    occurred_to: Annotated[BoundedInstant | None, Query(description="Exclusive upper bound.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ActivityPage:
    """Activities you may see, newest first: your own, your team's as rater, the region's as HR or audit."""
    filters = HistoryFilters(
        employee_id=employee_id,
        indicator_id=indicator_id,
        status=ActivityStatus(status_) if status_ else None,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    page = await activities.activity_history(
        session=session,
        principal=principal,
        filters=filters,
        cursor=cursor,
        limit=limit,
        feed=live_feed(context),
    )
    return shown_in(page, await region_zone(context, principal.region))


@router.get("/employees/{employee_id}/activities", response_model=ActivityPage)
async def employee_activities(
    employee_id: Annotated[str, Path(max_length=64)],
    session: RegionSession,
    context: Context,
    principal: Principal = AsReader,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ActivityPage:
    """One employee's activities, newest first (the history filtered by employee)."""
    page = await activities.activity_history(
        session=session,
        principal=principal,
        filters=HistoryFilters(employee_id=employee_id),
        cursor=cursor,
        limit=limit,
        feed=live_feed(context),
    )
    return shown_in(page, await region_zone(context, principal.region))


@router.get("/activities/{activity_id}", response_model=ActivityDetail)
async def get_activity(
    activity_id: ActivityId, session: RegionSession, context: Context, principal: Principal = AsReader
) -> ActivityDetail:
    """One activity with its evidence."""
    detail = await activities.get_activity(session=session, principal=principal, activity_id=activity_id)
    return shown_in(detail, await region_zone(context, principal.region))


@router.post("/activities/{activity_id}/verify", response_model=ActivityRead)
async def verify_activity(
    activity_id: ActivityId,
    context: Context,
    work: RegionWork,
    verification: Annotated[VerificationCreate | None, Body()] = None,
    principal: Principal = AsRater,
) -> ActivityRead:
    """Verify a submitted activity of someone you rate."""
    note = verification.note if verification else None
    return await _review(context, work, principal, activity_id, ReviewAction.VERIFY, note)


@router.post("/activities/{activity_id}/reject", response_model=ActivityRead)
async def reject_activity(
    activity_id: ActivityId,
    rejection: RejectionCreate,
    context: Context,
    work: RegionWork,
    principal: Principal = AsRater,
) -> ActivityRead:
    """Reject a submitted activity of someone you rate, saying what to correct."""
    return await _review(context, work, principal, activity_id, ReviewAction.REJECT, rejection.note)


async def _review(
    context: ServiceContext,
    work: AuditedWork,
    principal: Principal,
    activity_id: str,
    action: ReviewAction,
    note: str | None,
) -> ActivityRead:
    assert action in (ReviewAction.VERIFY, ReviewAction.REJECT)
    activity, notice = await activities.review_activity(
        uow=work.uow, principal=principal, activity_id=activity_id, action=action, note=note
    )
    work.record(f"activity.{action.value}", activity_id, detail=note)
    return await _shown_then_published(context, work, principal.region, activity, notice)


async def _shown_then_published(
    context: ServiceContext,
    work: AuditedWork,
    region_id: str,
    activity: ActivityRead,
    notice: FeedNotice | None,
) -> ActivityRead:
    """The activity in the region's zone; its notice reaches the rater's feed once it is committed."""
    zone = await region_zone(context, region_id)
    if notice is not None:
        work.after_commit(lambda: _publish(context, zone, [notice]))
    return shown_in(activity, zone)


@router.post("/activities/{activity_id}/correction", response_model=ActivityRead)
async def correct_activity(
    activity_id: ActivityId,
    correction: ActivityCorrection,
    context: Context,
    work: RegionWork,
    principal: Principal = AsEmployee,
) -> ActivityRead:
    """Correct your rejected activity and resubmit it for verification."""
    rules = SubmissionRules.at_now(reporting_settings(context).clock_skew_seconds)
    activity, notice = await activities.correct_activity(
        uow=work.uow, principal=principal, activity_id=activity_id, correction=correction, rules=rules
    )
    work.record("activity.correct", activity_id)
    return await _shown_then_published(context, work, principal.region, activity, notice)


@router.post(
    "/activities/{activity_id}/evidence", status_code=status.HTTP_201_CREATED, response_model=EvidenceRead
)
async def attach_evidence(
    activity_id: ActivityId,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP, HEIC photo or PDF document.")],
    context: Context,
    work: RegionWork,
    response: Response,
    principal: Principal = AsEmployee,
) -> EvidenceRead:
    """Attach evidence (bukti dukung) to your activity; the same file attached again answers 200."""
    settings = reporting_settings(context)
    # One byte over the limit is enough to know the file is too large.
    data = await file.read(settings.evidence_max_bytes + 1)
    attached, created = await evidence.attach_evidence(
        uow=work.uow,
        store=evidence_store(context),
        principal=principal,
        activity_id=activity_id,
        filename=file.filename,
        declared_type=file.content_type,
        data=data,
        max_bytes=settings.evidence_max_bytes,
        max_files=settings.evidence_per_activity,
    )
    if created:
        work.record("evidence.attach", activity_id, detail=attached.sha256)
    else:
        response.status_code = status.HTTP_200_OK
    return shown_in(attached, await region_zone(context, principal.region))


@router.get(
    "/activities/{activity_id}/evidence/{sha256}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
)
async def download_evidence(
    activity_id: ActivityId,
    sha256: Sha256,
    session: RegionSession,
    context: Context,
    principal: Principal = AsReader,
) -> Response:
    """Download an evidence file of an activity you may see."""
    record = await evidence.evidence_to_download(
        session=session, principal=principal, activity_id=activity_id, sha256=sha256
    )
    data = await evidence.read_evidence(evidence_store(context), sha256)
    filename = "".join(c for c in (record.filename or sha256) if c.isalnum() or c in "._- ")[:120] or sha256
    return Response(
        content=data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, max-age=86400, immutable",
        },
    )


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


@router.get(
    "/feed",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."}},
)
async def team_feed(
    context: Context,
    principal: Principal = AsRater,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=64,
            description="A reconnecting browser's last id, or a list's feed_position: resumes after it.",
        ),
    ] = None,
) -> StreamingResponse:
    """Your team's activity as it arrives (Server-Sent Events). A reconnecting client resumes after
    its last event (the last 1,000 are kept); older gaps are in the history."""
    rater_id = employee_of(principal)
    heartbeat = reporting_settings(context).feed_heartbeat_seconds
    try:
        subscription = await live_feed(context).subscribe(principal.region, rater_id, last_event_id)
    except InvalidEventId:
        raise Refusal(
            "invalid_last_event_id",
            "Last-Event-ID is not an id this feed sent; reconnect without it.",
            field="Last-Event-ID",
        ) from None
    except FeedUnavailable:
        raise Refusal(
            "feed_unavailable",
            "The live feed cannot be read right now; connect again shortly.",
            kind=RefusalKind.UNAVAILABLE,
        ) from None

    async def events() -> AsyncIterator[bytes]:
        try:
            # The starting position as an id (a field without data: no event, but the browser
            # keeps it): a client that loses the stream before its first event resumes from here.
            yield b"retry: 3000\nid: " + subscription.position_id.encode() + b"\n: connected\n\n"
            async for message in subscription.messages(heartbeat_seconds=heartbeat):
                if message is None:
                    # A comment line keeps proxies from closing an idle stream and reveals a gone client.
                    yield b": keep-alive\n\n"
                else:
                    event_id, body = message
                    yield b"id: " + event_id.encode() + b"\nevent: activity\ndata: " + body + b"\n\n"
        finally:
            await subscription.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
