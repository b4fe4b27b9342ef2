"""Activity routes: reporting (one or a batch), history, review by the rater, correction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Path, Query, Request, Response, status

from services.reporting.adapters.live_feed import TeamNotices
from services.reporting.domain.activity import ActivityStatus, ReviewAction
from services.reporting.entrypoints.dependencies import (
    batch_queue,
    live_feed,
    reporting_settings,
    submission_queue,
)
from services.reporting.entrypoints.routing import (
    ActivityId,
    AsEmployee,
    AsRater,
    AsReader,
    Cursor,
    Limit,
    reporting_router,
)
from services.reporting.entrypoints.schemas import (
    BatchCreate,
    BatchRead,
    RejectionCreate,
    ValidatedBatch,
    VerificationCreate,
    refuse_nul,
    valid_activity,
    valid_batch,
)
from services.reporting.service_layer import activities
from services.reporting.service_layer.access import employee_of
from services.reporting.service_layer.activities import HistoryFilters, SubmissionRules, activity_json
from services.reporting.service_layer.intake_claims import Claim
from services.reporting.service_layer.schemas import (
    ActivityCorrection,
    ActivityCreate,
    ActivityDetail,
    ActivityPage,
    ActivityRead,
    ActivityStatusName,
)
from services.reporting.service_layer.submission_answers import batch_answer, batch_claim, single_answer
from shared.auth import Principal
from shared.context import ServiceContext
from shared.dates import BoundedInstant
from shared.hot_route import hot_route
from shared.http import JsonBytesResponse, client_address
from shared.region_time import shown_in
from shared.region_zones import region_zone
from shared.route_work import AuditedWork, Context, RegionSession, RegionWork, context_of

router = reporting_router()


@hot_route(
    router,
    "POST",
    "/activities",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityRead,
    body_from_json=valid_activity,
)
async def submit_activity(
    activity_in: ActivityCreate, request: Request, principal: Principal = AsEmployee
) -> Response:
    """Report an activity; sending the same activity_id again returns the original (200), or 409
    naming the fields that differ if the content is not the same.

    Answered once the activity and its event are committed (together with whatever other
    submissions arrived at the same moment: group commit).
    """
    if type(activity_in) is ActivityCreate:  # decoded, not read from the JSON text: may hold NUL
        refuse_nul(activity_in)
    context = context_of(request)  # not a dependency: the busiest route saves a level of them
    claim = Claim(principal, employee_of(principal), [(0, activity_in.__dict__)], client_address(request))
    result = await submission_queue(context).submit(claim)
    await live_feed(context).publish(result.notices)  # shown in the region's zone already
    activity, created = single_answer(result.outcomes[0])
    zone = await region_zone(context, principal.region)
    return JsonBytesResponse(
        activity_json(activity, zone), status.HTTP_201_CREATED if created else status.HTTP_200_OK
    )


@hot_route(router, "POST", "/activities/batch", response_model=BatchRead, body_from_json=valid_batch)
async def submit_batch(batch: BatchCreate, request: Request, principal: Principal = AsEmployee) -> Response:
    """Sync activities queued offline (at most 500); each item is accepted, a duplicate, or rejected
    (an id sent before with other content: ``activity_changed``, naming the fields that differ).

    Answered once its items are committed, in a transaction shared with the batches that arrived
    at the same moment (group commit, bounded by items).
    """
    context = context_of(request)
    validated = isinstance(batch, ValidatedBatch)  # read by valid_batch: every item validated
    claim, malformed = batch_claim(
        principal, employee_of(principal), batch.items, client_address(request), validated=validated
    )
    result = await batch_queue(context).submit(claim)
    await live_feed(context).publish(result.notices)  # shown in the region's zone already
    answer = batch_answer(len(batch.items), result.judged, malformed, result.submitted)
    return JsonBytesResponse(answer, status.HTTP_200_OK)


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
        uow=work.uow,
        principal=principal,
        activity_id=activity_id,
        action=action,
        note=note,
        zone=await region_zone(context, principal.region),
    )
    work.record(f"activity.{action.value}", activity_id, detail=note)
    return _published_once_committed(context, work, activity, notice)


def _published_once_committed(
    context: ServiceContext, work: AuditedWork, activity: ActivityRead, notice: TeamNotices | None
) -> ActivityRead:
    """The activity as answered; its notice reaches the rater's feed once it is committed."""
    if notice is not None:
        work.after_commit(lambda: live_feed(context).publish([notice]))
    return activity


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
        uow=work.uow,
        principal=principal,
        activity_id=activity_id,
        correction=correction,
        rules=rules,
        zone=await region_zone(context, principal.region),
    )
    work.record("activity.correct", activity_id)
    return _published_once_committed(context, work, activity, notice)
