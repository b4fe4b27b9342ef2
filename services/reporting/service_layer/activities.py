"""Use cases of activity reports: submit (single and batch), verify, reject, correct, read, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import ARRAY, String, any_, bindparam, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Label

from services.reporting.adapters.live_feed import FeedNotice
from services.reporting.adapters.tables import activities, activity_evidence, plan_indicators, team_members
from services.reporting.domain.activity import (
    ActivityStatus,
    ReviewAction,
    RuleViolation,
    TransitionRefused,
    check_occurrence,
    check_quantity,
    next_status,
)
from services.reporting.domain.cursor import InvalidCursor, decode_cursor, encode_cursor
from services.reporting.entrypoints.schemas import (
    ActivityCorrection,
    ActivityCreate,
    ActivityDetail,
    ActivityPage,
    ActivityRead,
    BatchItemOutcome,
    BatchRead,
    EvidenceRead,
)
from services.reporting.metrics import ACTIVITIES_SUBMITTED, BATCH_SIZE, REVIEWS
from services.reporting.service_layer.access import (
    employee_of,
    ensure_may_see_employee,
    ensure_rater,
    may_see,
    not_found,
    visible_employees,
    with_rater,
)
from services.reporting.service_layer.errors import as_error_body, conflict, unprocessable
from shared.auth import Principal
from shared.contracts.reporting import (
    ActivityCorrected,
    ActivityRejected,
    ActivityReported,
    ActivityVerified,
)
from shared.errors import Conflict, Forbidden, Unprocessable
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
class Submission:
    """The result of one submission: the activity, whether it is new, and what the rater's feed shows."""

    activity: ActivityRead
    created: bool
    notice: FeedNotice | None = None


@dataclass(frozen=True, slots=True)
class HistoryFilters:
    """Filters of the activity history."""

    employee_id: str | None = None
    indicator_id: str | None = None
    status: ActivityStatus | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


_UNKNOWN_INDICATOR = RuleViolation(
    "unknown_indicator",
    "indicator_id",
    "The indicator is not in your approved work plan.",
    "Indikator tidak ada dalam SKP Anda yang sudah disetujui.",
)

_ACTIVITY_ID_TAKEN = Conflict(
    "activity_id_taken",
    "This activity id is already used by another activity.",
    "Id kegiatan ini sudah dipakai kegiatan lain.",
    field="activity_id",
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


def _indicators_query() -> Any:
    """The employee's active plan indicators among ``:indicator_ids``, each with the employee's rater.

    Built once with bind parameters (and ``= ANY(:array)`` for the ids): every submission reuses
    the compiled statement instead of constructing, keying and compiling a new one.
    """
    return (
        select(
            plan_indicators.c.indicator_id,
            plan_indicators.c.plan_id,
            plan_indicators.c.result_id,
            plan_indicators.c.year,
            plan_indicators.c.aggregation,
            plan_indicators.c.qualitative,
            team_members.c.supervisor_id.label("rater_id"),
        )
        .select_from(
            plan_indicators.outerjoin(
                team_members,
                (team_members.c.employee_id == plan_indicators.c.employee_id)
                & (team_members.c.region_id == plan_indicators.c.region_id),
            )
        )
        .where(
            plan_indicators.c.region_id == bindparam("region_id"),
            plan_indicators.c.employee_id == bindparam("employee_id"),
            plan_indicators.c.active.is_(True),
            plan_indicators.c.indicator_id == any_(bindparam("indicator_ids", type_=ARRAY(String))),
        )
    )


_INDICATORS_OF = _indicators_query()

#: Activities of a region among ``:activity_ids`` (who reported them, where they stand).
_KNOWN_ACTIVITIES = select(activities.c.activity_id, activities.c.employee_id, activities.c.status).where(
    activities.c.region_id == bindparam("region_id"),
    activities.c.activity_id == any_(bindparam("activity_ids", type_=ARRAY(String))),
)

_ACTIVITY_BY_ID = select(activities).where(
    activities.c.activity_id == bindparam("activity_id"), activities.c.region_id == bindparam("region_id")
)

#: Executed with one row's values (or a list of them): the ids of the rows actually inserted.
_INSERT_ACTIVITIES = (
    insert(activities)
    .on_conflict_do_nothing(index_elements=["activity_id"])
    .returning(activities.c.activity_id)
)


async def _indicators_of(
    session: AsyncSession, region_id: str, employee_id: str, indicator_ids: Sequence[str]
) -> Any:
    return await session.execute(
        _INDICATORS_OF,
        {"region_id": region_id, "employee_id": employee_id, "indicator_ids": list(indicator_ids)},
    )


def _judge(
    activity_in: ActivityCreate, indicator: Any | None, rules: SubmissionRules
) -> RuleViolation | None:
    """The first rule the activity breaks, or None."""
    if indicator is None:
        return _UNKNOWN_INDICATOR
    return check_occurrence(
        activity_in.occurred_at, now=rules.now, plan_year=indicator.year, clock_skew=rules.clock_skew
    ) or check_quantity(
        quantity=activity_in.quantity,
        denominator=activity_in.denominator,
        aggregation=indicator.aggregation,
        qualitative=indicator.qualitative,
    )


def _row_values(
    activity_in: ActivityCreate, *, region_id: str, employee_id: str, indicator: Any, now: datetime
) -> dict[str, Any]:
    return activity_in.model_dump() | {
        "region_id": region_id,
        "employee_id": employee_id,
        "plan_id": indicator.plan_id,
        "result_id": indicator.result_id,
        "status": ActivityStatus.SUBMITTED.value,
        "submitted_at": now,
        "revision": 1,
    }


def _reported(values: dict[str, Any]) -> ActivityReported:
    return ActivityReported(
        region_id=values["region_id"],
        activity_id=values["activity_id"],
        employee_id=values["employee_id"],
        plan_id=values["plan_id"],
        result_id=values["result_id"],
        indicator_id=values["indicator_id"],
        occurred_at=values["occurred_at"],
        quantity=values["quantity"],
        denominator=values["denominator"],
        description=values["description"],
        obstacles=values["obstacles"],
    )


def _read(mapping: Any) -> ActivityRead:
    return ActivityRead.model_validate(
        {key: mapping[key] for key in ActivityRead.model_fields if key in mapping}
    )


async def _find(session: AsyncSession, region_id: str, activity_id: str) -> ActivityRead | None:
    row = (
        await session.execute(_ACTIVITY_BY_ID, {"activity_id": activity_id, "region_id": region_id})
    ).first()
    return None if row is None else _read(row._mapping)


def _duplicate_of(existing: ActivityRead | None, employee_id: str) -> Submission:
    """A retry returns the original; an id used by someone else (or another region) is a conflict."""
    if existing is None or existing.employee_id != employee_id:
        raise _ACTIVITY_ID_TAKEN
    return Submission(existing, created=False)


def _notice(rater_id: str | None, kind: str, activity: ActivityRead) -> FeedNotice | None:
    if rater_id is None:
        return None
    return FeedNotice(activity.region_id, rater_id, kind, activity.model_dump(mode="json"))


async def submit_activity(
    *, uow: UnitOfWork, principal: Principal, activity_in: ActivityCreate, rules: SubmissionRules
) -> Submission:
    """Accept an activity of the caller, or return the original when the id was seen before."""
    employee_id = employee_of(principal)
    region_id = principal.region
    session = uow.session
    indicator = (await _indicators_of(session, region_id, employee_id, [activity_in.indicator_id])).first()
    violation = _judge(activity_in, indicator, rules)
    if violation is not None:
        # A retry of an activity accepted earlier returns the original even if the rules moved since.
        return _duplicate_of_or_raise(
            await _find(session, region_id, activity_in.activity_id), employee_id, violation
        )
    assert indicator is not None
    values = _row_values(
        activity_in, region_id=region_id, employee_id=employee_id, indicator=indicator, now=rules.now
    )
    inserted = await session.execute(_INSERT_ACTIVITIES, values)
    if inserted.first() is None:
        ACTIVITIES_SUBMITTED.labels("duplicate").inc()
        return _duplicate_of(await _find(session, region_id, activity_in.activity_id), employee_id)
    uow.emit(_reported(values))
    ACTIVITIES_SUBMITTED.labels("accepted").inc()
    activity = _read(values)
    return Submission(
        activity, created=True, notice=_notice(indicator.rater_id, "activity.submitted", activity)
    )


def _duplicate_of_or_raise(
    existing: ActivityRead | None, employee_id: str, violation: RuleViolation
) -> Submission:
    if existing is None:
        ACTIVITIES_SUBMITTED.labels("rejected").inc()
        raise unprocessable(violation)
    ACTIVITIES_SUBMITTED.labels("duplicate").inc()
    return _duplicate_of(existing, employee_id)


def _invalid_item(index: int, activity_id: str | None, exc: ValidationError) -> BatchItemOutcome:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = f"{field or 'item'}: {first['msg']}"
    return BatchItemOutcome(
        index=index,
        activity_id=activity_id,
        outcome="rejected",
        error={
            "code": "invalid_input",
            "field": field,
            "message": message,
            "message_id": f"Masukan tidak valid: {message}",
        },
    )


def _taken_item(index: int, activity_id: str) -> BatchItemOutcome:
    return BatchItemOutcome(
        index=index, activity_id=activity_id, outcome="rejected", error=_ACTIVITY_ID_TAKEN.body()["error"]
    )


async def submit_batch(
    *, uow: UnitOfWork, principal: Principal, items: Sequence[object], rules: SubmissionRules
) -> tuple[BatchRead, list[FeedNotice]]:
    """Accept a batch with a fixed number of statements whatever its size; each item gets its own outcome.

    Two reads (known ids, plan indicators), one multi-row insert, one outbox insert at commit.
    """
    employee_id = employee_of(principal)
    region_id = principal.region
    session = uow.session
    BATCH_SIZE.observe(len(items))
    outcomes: dict[int, BatchItemOutcome] = {}
    parsed: list[tuple[int, ActivityCreate]] = []
    for index, raw in enumerate(items):
        try:
            parsed.append((index, ActivityCreate.model_validate(raw)))
        except ValidationError as exc:
            raw_id = raw.get("activity_id") if isinstance(raw, dict) else None
            outcomes[index] = _invalid_item(index, raw_id if isinstance(raw_id, str) else None, exc)

    known: dict[str, Any] = {}
    indicators: dict[str, Any] = {}
    if parsed:
        ids = list({activity_in.activity_id for _, activity_in in parsed})
        known = {
            row.activity_id: row
            for row in await session.execute(_KNOWN_ACTIVITIES, {"region_id": region_id, "activity_ids": ids})
        }
        indicator_ids = list({activity_in.indicator_id for _, activity_in in parsed})
        indicators = {
            row.indicator_id: row
            for row in await _indicators_of(session, region_id, employee_id, indicator_ids)
        }

    pending: list[tuple[int, dict[str, Any], Any]] = []
    accepted_here: set[str] = set()
    for index, activity_in in parsed:
        activity_id = activity_in.activity_id
        prior = known.get(activity_id)
        if prior is not None:
            outcomes[index] = (
                BatchItemOutcome(
                    index=index, activity_id=activity_id, outcome="duplicate", status=prior.status
                )
                if prior.employee_id == employee_id
                else _taken_item(index, activity_id)
            )
            continue
        if activity_id in accepted_here:
            outcomes[index] = BatchItemOutcome(
                index=index,
                activity_id=activity_id,
                outcome="duplicate",
                status=ActivityStatus.SUBMITTED.value,
            )
            continue
        indicator = indicators.get(activity_in.indicator_id)
        violation = _judge(activity_in, indicator, rules)
        if violation is not None:
            outcomes[index] = BatchItemOutcome(
                index=index, activity_id=activity_id, outcome="rejected", error=as_error_body(violation)
            )
            continue
        assert indicator is not None
        accepted_here.add(activity_id)
        values = _row_values(
            activity_in, region_id=region_id, employee_id=employee_id, indicator=indicator, now=rules.now
        )
        pending.append((index, values, indicator))

    notices: list[FeedNotice] = []
    if pending:
        inserted = set(
            (
                # One executemany: SQLAlchemy sends it as multi-row INSERTs from one cached statement.
                await session.execute(_INSERT_ACTIVITIES, [values for _, values, _ in pending])
            ).scalars()
        )
        raced = [values["activity_id"] for _, values, _ in pending if values["activity_id"] not in inserted]
        owners: dict[str, str] = {}
        if raced:
            # Another request inserted these between our read and our insert: rare, so one more read.
            owners = {
                row.activity_id: row.employee_id
                for row in await session.execute(
                    _KNOWN_ACTIVITIES, {"region_id": region_id, "activity_ids": raced}
                )
            }
        for index, values, pending_indicator in pending:
            activity_id = values["activity_id"]
            if activity_id in inserted:
                uow.emit(_reported(values))
                activity = _read(values)
                notice = _notice(pending_indicator.rater_id, "activity.submitted", activity)
                if notice is not None:
                    notices.append(notice)
                outcomes[index] = BatchItemOutcome(
                    index=index, activity_id=activity_id, outcome="accepted", status=activity.status
                )
            elif owners.get(activity_id) == employee_id:
                outcomes[index] = BatchItemOutcome(index=index, activity_id=activity_id, outcome="duplicate")
            else:
                outcomes[index] = _taken_item(index, activity_id)

    ordered = [outcomes[index] for index in range(len(items))]
    counts = {
        kind: sum(1 for o in ordered if o.outcome == kind) for kind in ("accepted", "duplicate", "rejected")
    }
    for kind, count in counts.items():
        ACTIVITIES_SUBMITTED.labels(kind).inc(count)
    result = BatchRead(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        items=ordered,
    )
    return result, notices


async def review_activity(
    *,
    uow: UnitOfWork,
    principal: Principal,
    activity_id: str,
    action: Literal[ReviewAction.VERIFY, ReviewAction.REJECT],
    note: str | None,
) -> tuple[ActivityRead, FeedNotice | None]:
    """The employee's rater verifies or rejects a submitted activity."""
    region_id = principal.region
    row = (
        await uow.session.execute(
            select(activities, team_members.c.supervisor_id.label("rater_id"), _evidence_hashes())
            .select_from(with_rater())
            .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
            .with_for_update(of=activities)
        )
    ).first()
    if row is None:
        raise not_found()
    rater_id = ensure_rater(principal, employee_id=row.employee_id, rater_id=row.rater_id)
    try:
        status = next_status(ActivityStatus(row.status), action)
    except TransitionRefused as refused:
        raise conflict(refused.violation) from refused
    now = datetime.now(UTC)
    changes = {"status": status.value, "review_note": note, "reviewed_by": rater_id, "reviewed_at": now}
    await uow.session.execute(
        update(activities)
        .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
        .values(**changes)
    )
    evidence = list(row.evidence_sha256 or [])
    if action is ReviewAction.VERIFY:
        uow.emit(
            ActivityVerified(
                region_id=region_id,
                activity_id=activity_id,
                employee_id=row.employee_id,
                verifier_id=rater_id,
                note=note,
                evidence_sha256=evidence,
            )
        )
    else:
        assert note is not None
        uow.emit(
            ActivityRejected(
                region_id=region_id,
                activity_id=activity_id,
                employee_id=row.employee_id,
                verifier_id=rater_id,
                note=note,
                evidence_sha256=evidence,
            )
        )
    REVIEWS.labels(action.value).inc()
    activity = _read(dict(row._mapping) | changes)
    return activity, _notice(rater_id, f"activity.{status.value}", activity)


async def correct_activity(
    *,
    uow: UnitOfWork,
    principal: Principal,
    activity_id: str,
    correction: ActivityCorrection,
    rules: SubmissionRules,
) -> tuple[ActivityRead, FeedNotice | None]:
    """The employee corrects a rejected activity; it awaits verification again."""
    region_id = principal.region
    row = (
        await uow.session.execute(
            select(
                activities,
                team_members.c.supervisor_id.label("rater_id"),
                _evidence_hashes(),
                plan_indicators.c.year.label("plan_year"),
                plan_indicators.c.aggregation,
                plan_indicators.c.qualitative,
            )
            .select_from(
                with_rater().outerjoin(
                    plan_indicators,
                    (plan_indicators.c.indicator_id == activities.c.indicator_id)
                    & (plan_indicators.c.region_id == activities.c.region_id),
                )
            )
            .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
            .with_for_update(of=activities)
        )
    ).first()
    if row is None or not may_see(principal, employee_id=row.employee_id, rater_id=row.rater_id):
        raise not_found()
    if row.employee_id != principal.employee_id:
        raise Forbidden(
            "not_the_owner",
            "Only the employee who reported an activity can correct it.",
            "Hanya pegawai yang melaporkan kegiatan yang dapat memperbaikinya.",
        )
    try:
        status = next_status(ActivityStatus(row.status), ReviewAction.CORRECT)
    except TransitionRefused as refused:
        raise conflict(refused.violation) from refused
    if row.plan_year is None:
        raise unprocessable(_UNKNOWN_INDICATOR)
    violation = check_occurrence(
        correction.occurred_at, now=rules.now, plan_year=row.plan_year, clock_skew=rules.clock_skew
    ) or check_quantity(
        quantity=correction.quantity,
        denominator=correction.denominator,
        aggregation=row.aggregation,
        qualitative=row.qualitative,
    )
    if violation is not None:
        raise unprocessable(violation)
    changes = correction.model_dump() | {"status": status.value, "revision": row.revision + 1}
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
    activity = _read(dict(row._mapping) | changes)
    return activity, _notice(row.rater_id, "activity.corrected", activity)


async def get_activity(*, session: AsyncSession, principal: Principal, activity_id: str) -> ActivityDetail:
    """One activity with its evidence, for those allowed to see it."""
    row = (
        await session.execute(
            select(activities, team_members.c.supervisor_id.label("rater_id"))
            .select_from(with_rater())
            .where(activities.c.activity_id == activity_id, activities.c.region_id == principal.region)
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
        _read(row._mapping).model_dump()
        | {"evidence": [EvidenceRead.model_validate(dict(e._mapping)) for e in evidence]}
    )


async def activity_history(
    *,
    session: AsyncSession,
    principal: Principal,
    filters: HistoryFilters,
    cursor: str | None,
    limit: int,
) -> ActivityPage:
    """Activities the caller may see, newest first, filtered, one keyset page at a time."""
    if filters.employee_id is not None:
        await ensure_may_see_employee(session, principal, filters.employee_id)
    query = select(activities).where(
        activities.c.region_id == principal.region, visible_employees(principal, activities.c.employee_id)
    )
    if filters.employee_id is not None:
        query = query.where(activities.c.employee_id == filters.employee_id)
    if filters.indicator_id is not None:
        query = query.where(activities.c.indicator_id == filters.indicator_id)
    if filters.status is not None:
        query = query.where(activities.c.status == filters.status.value)
    if filters.occurred_from is not None:
        query = query.where(activities.c.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        query = query.where(activities.c.occurred_at < filters.occurred_to)
    if cursor is not None:
        try:
            after_time, after_id = decode_cursor(cursor)
        except InvalidCursor as exc:
            raise Unprocessable(
                "invalid_cursor", "The cursor is not valid.", "Kursor tidak valid.", field="cursor"
            ) from exc
        query = query.where(
            tuple_(activities.c.occurred_at, activities.c.activity_id) < (after_time, after_id)
        )
    rows = (
        await session.execute(
            query.order_by(activities.c.occurred_at.desc(), activities.c.activity_id.desc()).limit(limit + 1)
        )
    ).all()
    items = [_read(row._mapping) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1].occurred_at, items[-1].activity_id) if len(rows) > limit else None
    return ActivityPage(items=items, next_cursor=next_cursor)
