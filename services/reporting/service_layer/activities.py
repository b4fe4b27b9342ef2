"""Use cases of activity reports: submit (single and batch), verify, reject, correct, read, history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

import orjson
from sqlalchemy import ARRAY, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Label

from services.reporting.adapters.live_feed import FeedUnavailable, LiveFeed, TeamNotices
from services.reporting.adapters.tables import activities, activity_evidence, plan_indicators
from services.reporting.domain.activity import (
    ActivityStatus,
    ReviewAction,
    check_occurrence,
    check_quantity,
    next_status,
)
from services.reporting.metrics import REVIEWS
from services.reporting.service_layer.access import (
    ensure_may_see_employee,
    ensure_owner,
    ensure_rater,
    may_see,
    not_found,
    rater_today,
    visible_owners,
)
from services.reporting.service_layer.intake_values import ANSWER_JSON, own_as_answered
from services.reporting.service_layer.pages import newest_first, newest_first_of_each
from services.reporting.service_layer.schemas import (
    ActivityCorrection,
    ActivityDetail,
    ActivityPage,
    ActivityRead,
    EvidenceRead,
)
from shared.auth import Principal, Role
from shared.contracts.reporting import (
    ActivityCorrected,
    ActivityRejected,
    ActivityVerified,
)
from shared.refusals import Refusal, RefusalKind
from shared.region_time import as_sent, in_zone, shown_in, utc_offset_minutes
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class SubmissionRules:
    """The moment a request is judged at, and how far a device clock may run ahead."""

    now: datetime
    clock_skew: timedelta

    @classmethod
    def at_now(cls, clock_skew_seconds: int) -> SubmissionRules:
        """Rules for a request arriving now."""
        return cls(now=datetime.now(UTC), clock_skew=timedelta(seconds=clock_skew_seconds))


@dataclass(frozen=True, slots=True)
class HistoryFilters:
    """Filters of the activity history."""

    employee_id: str | None = None
    indicator_id: str | None = None
    status: ActivityStatus | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


UNKNOWN_INDICATOR = Refusal(
    "unknown_indicator", "The indicator is not in your approved work plan.", field="indicator_id"
)

NOT_THE_OWNER_TO_CORRECT = Refusal(
    "not_the_owner", "Only the employee who reported an activity can correct it.", kind=RefusalKind.FORBIDDEN
)

ACTIVITY_ID_TAKEN = Refusal(
    "activity_id_taken",
    "This activity id is already used by another activity.",
    field="activity_id",
    kind=RefusalKind.CONFLICT,
)


def _evidence_hashes() -> Label[Sequence[str]]:
    """The SHA-256 of each evidence file of the activity in the same row, oldest first."""
    hashes = (
        select(activity_evidence.c.sha256)
        .where(
            activity_evidence.c.activity_id == activities.c.activity_id,
            activity_evidence.c.region_id == activities.c.region_id,
        )
        .order_by(activity_evidence.c.uploaded_at, activity_evidence.c.sha256)
        .scalar_subquery()
    )
    return func.array(hashes, type_=ARRAY(String)).label("evidence_sha256")


def _rater_id(region_id: str) -> Label[str | None]:
    """The rater today of the employee of the activity in the same row (:func:`rater_today`)."""
    return rater_today(region_id, activities.c.employee_id).label("rater_id")


#: Read once: looking ``model_fields`` up on the class costs some 20 µs a time in this pydantic.
_ACTIVITY_FIELDS = tuple(ActivityRead.model_fields)


def read_activity(mapping: Any) -> ActivityRead:
    """An activity as stored, from a row or from the values it was inserted with; its time with the
    offset the device sent it with."""
    fields = {key: mapping[key] for key in _ACTIVITY_FIELDS if key in mapping}
    fields["occurred_at"] = as_sent(mapping["occurred_at"], mapping.get("occurred_utc_offset"))
    return ActivityRead.model_validate(fields)


#: What ``ActivityRead`` holds where a mapping leaves a field out (a new activity's values: no review).
_ACTIVITY_DEFAULTS = {
    name: None if field.is_required() else field.default for name, field in ActivityRead.model_fields.items()
}


#: The keys of a new activity's values as the intake lays them out: ``ActivityRead``'s fields in
#: its order, then the device's offset (``intake_values.row_values``).
_NEW_ACTIVITY_KEYS = (*_ACTIVITY_DEFAULTS, "occurred_utc_offset")


def activity_json(mapping: Mapping[str, Any], zone: tzinfo) -> bytes:
    """``shown_in(read_activity(mapping), zone)`` as JSON, written without validating and building
    the model: a single submission's answer. Building, zoning and dumping an ``ActivityRead`` cost
    about three times as much (bench/README.md, session 12); a unit test holds the bytes equal.

    Written by orjson by the rules the live feed's notices are written by (``intake_values``: the
    numbers as the database keeps them, as text, and a UTC time with ``Z``), as pydantic writes
    them: ``pydantic_core.to_json`` of the same dictionary, which looks up a serializer for each
    value, cost 2-4 µs more a call (bench/README.md, session 18).
    """
    if type(mapping) is dict and tuple(mapping) == _NEW_ACTIVITY_KEYS:
        # A new activity's values hold every field in the answer's order: a copy, not 19 look-ups.
        fields = mapping.copy()
        offset = fields.pop("occurred_utc_offset")
    else:
        fields = {key: mapping.get(key, default) for key, default in _ACTIVITY_DEFAULTS.items()}
        offset = mapping.get("occurred_utc_offset")
    fields["occurred_at"] = as_sent(mapping["occurred_at"], offset)
    fields.update(own_as_answered(fields))
    # The times the platform set, in the region's zone (shown_in's rule; the device's time as sent).
    fields["submitted_at"] = in_zone(fields["submitted_at"], zone)
    fields["reviewed_at"] = in_zone(fields["reviewed_at"], zone)
    return orjson.dumps(fields, option=ANSWER_JSON)


def feed_notice(rater_id: str | None, kind: str, shown: ActivityRead) -> TeamNotices | None:
    """What the rater's live feed shows of a change to an activity: the activity as the API answers
    it (``shown``: in the region's zone), to the rater's team (nothing when it has no rater)."""
    if rater_id is None:
        return None
    return TeamNotices(shown.region_id, rater_id, kind, [shown.model_dump_json().encode()])


async def review_activity(
    *,
    uow: UnitOfWork,
    principal: Principal,
    activity_id: str,
    action: Literal[ReviewAction.VERIFY, ReviewAction.REJECT],
    note: str | None,
    zone: tzinfo,
) -> tuple[ActivityRead, TeamNotices | None]:
    """The employee's rater verifies or rejects a submitted activity: the activity as answered (in
    ``zone``, the region's) and its notice to the rater's feed."""
    region_id = principal.region
    row = (
        await uow.session.execute(
            select(activities, _rater_id(region_id), _evidence_hashes())
            .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
            .with_for_update(of=activities)
        )
    ).first()
    if row is None:
        raise not_found()
    rater_id = ensure_rater(principal, employee_id=row.employee_id, rater_id=row.rater_id)
    status = next_status(ActivityStatus(row.status), action)
    now = datetime.now(UTC)
    changes = {"status": status.value, "review_note": note, "reviewed_by": rater_id, "reviewed_at": now}
    await uow.session.execute(
        update(activities)
        .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
        .values(**changes)
    )
    # Both reviews carry the same facts (a rejection's note is required: the API's RejectionCreate).
    reviewed = ActivityVerified if action is ReviewAction.VERIFY else ActivityRejected
    uow.emit(
        reviewed(
            region_id=region_id,
            activity_id=activity_id,
            employee_id=row.employee_id,
            verifier_id=rater_id,
            note=note,
            evidence_sha256=list(row.evidence_sha256 or []),
        )
    )
    REVIEWS.labels(action.value).inc()
    activity = shown_in(read_activity(dict(row._mapping) | changes), zone)
    return activity, feed_notice(rater_id, f"activity.{status.value}", activity)


async def correct_activity(
    *,
    uow: UnitOfWork,
    principal: Principal,
    activity_id: str,
    correction: ActivityCorrection,
    rules: SubmissionRules,
    zone: tzinfo,
) -> tuple[ActivityRead, TeamNotices | None]:
    """The employee corrects a rejected activity; it awaits verification again (its plan year read
    in ``zone``, the region's, as a submission's is): the activity as answered (in ``zone``) and its
    notice to the rater's feed."""
    region_id = principal.region
    row = (
        await uow.session.execute(
            select(
                activities,
                _rater_id(region_id),
                _evidence_hashes(),
                plan_indicators.c.year.label("plan_year"),
                plan_indicators.c.aggregation,
                plan_indicators.c.qualitative,
            )
            .select_from(
                activities.outerjoin(
                    plan_indicators,
                    (plan_indicators.c.indicator_id == activities.c.indicator_id)
                    & (plan_indicators.c.region_id == activities.c.region_id),
                )
            )
            .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
            .with_for_update(of=activities)
        )
    ).first()
    row = ensure_owner(principal, row, not_the_owner=NOT_THE_OWNER_TO_CORRECT)
    status = next_status(ActivityStatus(row.status), ReviewAction.CORRECT)
    if row.plan_year is None:
        raise UNKNOWN_INDICATOR
    refusal = check_occurrence(
        correction.occurred_at, latest=rules.now + rules.clock_skew, plan_year=row.plan_year, zone=zone
    ) or check_quantity(
        quantity=correction.quantity,
        denominator=correction.denominator,
        aggregation=row.aggregation,
        qualitative=row.qualitative,
    )
    if refusal is not None:
        raise refusal
    changes = correction.model_dump() | {
        "occurred_utc_offset": utc_offset_minutes(correction.occurred_at),
        "status": status.value,
        "revision": row.revision + 1,
    }
    await uow.session.execute(
        update(activities)
        .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
        .values(**changes)
    )
    uow.emit(
        ActivityCorrected(
            region_id=region_id,
            activity_id=activity_id,
            employee_id=row.employee_id,
            occurred_at=correction.occurred_at,
            quantity=correction.quantity,
            denominator=correction.denominator,
            description=correction.description,
            obstacles=correction.obstacles,
            evidence_sha256=list(row.evidence_sha256 or []),
        )
    )
    REVIEWS.labels(ReviewAction.CORRECT.value).inc()
    activity = shown_in(read_activity(dict(row._mapping) | changes), zone)
    return activity, feed_notice(row.rater_id, "activity.corrected", activity)


async def get_activity(*, session: AsyncSession, principal: Principal, activity_id: str) -> ActivityDetail:
    """One activity with its evidence, for those allowed to see it."""
    row = (
        await session.execute(
            select(activities, _rater_id(principal.region)).where(
                activities.c.activity_id == activity_id, activities.c.region_id == principal.region
            )
        )
    ).first()
    if row is None or not may_see(principal, employee_id=row.employee_id, rater_id=row.rater_id):
        raise not_found()
    evidence = (
        await session.execute(
            select(activity_evidence)
            .where(
                activity_evidence.c.activity_id == activity_id,
                activity_evidence.c.region_id == principal.region,
            )
            .order_by(activity_evidence.c.uploaded_at, activity_evidence.c.sha256)
        )
    ).all()
    return ActivityDetail.model_validate(
        read_activity(row._mapping).model_dump()
        | {"evidence": [EvidenceRead.model_validate(dict(e._mapping)) for e in evidence]}
    )


async def activity_history(
    *,
    session: AsyncSession,
    principal: Principal,
    filters: HistoryFilters,
    cursor: str | None,
    limit: int,
    feed: LiveFeed,
) -> ActivityPage:
    """Activities the caller may see, newest first, filtered, one keyset page at a time; a rater's
    first page with their team feed's position (``ActivityPage.feed_position``)."""
    # One employee's rows once the caller may see them, a region reader's whole region, or else the
    # caller's own and team's, read per employee (below).
    owners = None
    query = select(activities).where(activities.c.region_id == principal.region)
    if filters.employee_id is not None:
        await ensure_may_see_employee(session, principal, filters.employee_id)
        query = query.where(activities.c.employee_id == filters.employee_id)
    else:
        owners = await visible_owners(session, principal)
    if filters.indicator_id is not None:
        query = query.where(activities.c.indicator_id == filters.indicator_id)
    if filters.status is not None:
        query = query.where(activities.c.status == filters.status.value)
    if filters.occurred_from is not None:
        query = query.where(activities.c.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        query = query.where(activities.c.occurred_at < filters.occurred_to)
    # The position first, then the list's statement (a snapshot of its own: READ COMMITTED). An
    # activity the list lacks was committed after that snapshot, and its notice, appended after its
    # commit, lies after the position. Read the other way round, one committed just before the
    # list whose notice was still on its way would be in neither.
    position = await _feed_position(feed, principal) if cursor is None else None
    if owners is None:
        rows, next_cursor = await newest_first(
            session,
            query,
            at=activities.c.occurred_at,
            key=activities.c.activity_id,
            cursor=cursor,
            limit=limit,
        )
    else:
        rows, next_cursor = await newest_first_of_each(
            session,
            query,
            owner=activities.c.employee_id,
            owners=owners,
            at=activities.c.occurred_at,
            key=activities.c.activity_id,
            cursor=cursor,
            limit=limit,
        )
    items = [read_activity(row._mapping) for row in rows]
    return ActivityPage(items=items, next_cursor=next_cursor, feed_position=position)


async def _feed_position(feed: LiveFeed, principal: Principal) -> str | None:
    """Where the rater's team feed stands (None for others, and while Redis cannot say: counted,
    and the list answers without it)."""
    if not principal.has(Role.RATER) or principal.employee_id is None:
        return None
    try:
        return await feed.position(principal.region, principal.employee_id)
    except FeedUnavailable:
        return None
