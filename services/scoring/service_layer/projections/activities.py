"""Reporting's events: activities (reported, verified, rejected, corrected, evidence) and field visits.

Activity events only queue a change; ``activity_store.py`` folds and stores them at the batch's end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import field_visits
from services.scoring.domain.activity import ActivityIdentity, ActivityMeasure, ActivityState, Stamp
from services.scoring.service_layer.projections.backlog import ActivityChange
from services.scoring.service_layer.projections.handling import (
    divert_late,
    event_id_of,
    new_value,
    stamp_of,
)
from services.scoring.service_layer.projections.pending import PendingViews, ScoringScope, deferring
from services.scoring.service_layer.views import calendar, exact, is_frozen
from shared.contracts import EnvelopeHead
from shared.contracts.reporting import (
    ActivityCorrected,
    ActivityRejected,
    ActivityReported,
    ActivityVerified,
    EvidenceAttached,
    FieldVisitLogged,
)
from shared.region_time import utc_offset_minutes

_ZERO = Decimal(0)


def _measure(occurred_at: datetime, quantity: Decimal | None, denominator: Decimal | None) -> ActivityMeasure:
    return new_value(
        ActivityMeasure,
        (
            occurred_at,
            # As stored (four places), exactly: the state then compares equal to what is read back.
            exact(quantity or _ZERO),
            None if denominator is None else exact(denominator),
        ),
    )


def _activity_change(
    pending: PendingViews,
    envelope: EnvelopeHead,
    event: ActivityReported | ActivityVerified | ActivityRejected | ActivityCorrected | EvidenceAttached,
    fields: dict[str, Any],
    change: Callable[[ActivityState], ActivityState],
    stamp: Stamp,
) -> None:
    """The change queued for the batch's end, with its event's stamp.

    The event's fields are read from its ``__dict__`` (``fields``), once: a pydantic model's field
    read by name goes through its class's ``__getattr__`` hook, which keeps CPython 3.11 from
    specializing the read (~390 instructions a read; the ``__dict__`` ~365, a key of it ~150;
    ``ConsumedEvent`` reads the envelope's alike), and a report's handler read ten. The event's
    region is the envelope's (the decoder dead-letters any other).
    """
    at, event_id = stamp
    activity_id, employee_id = fields["activity_id"], fields["employee_id"]
    pending.region(fields["region_id"]).changes.append(
        new_value(ActivityChange, (envelope, event, activity_id, employee_id, change, event_id, at))
    )


@deferring
async def on_activity_reported(
    _: AsyncSession, event: ActivityReported, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """An activity counts toward its indicator from its report on (with any earlier verification)."""
    fields = event.__dict__  # its fields by name (see ``_activity_change``)
    identity = new_value(
        ActivityIdentity, (fields["employee_id"], fields["indicator_id"], fields["result_id"])
    )
    measure = _measure(fields["occurred_at"], fields["quantity"], fields["denominator"])
    stamp, evidence = stamp_of(envelope), fields["evidence_sha256"]
    _activity_change(
        pending,
        envelope,
        event,
        fields,
        lambda state: state.reported(identity, measure, stamp, evidence),
        stamp,
    )


@deferring
async def on_activity_verified(
    _: AsyncSession, event: ActivityVerified, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """Count an activity as verified; kept and applied later if its report has not arrived yet."""
    _stamped_change(pending, envelope, event, ActivityState.verified_at)


@deferring
async def on_activity_rejected(
    _: AsyncSession, event: ActivityRejected, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """A rejected activity stops counting."""
    _stamped_change(pending, envelope, event, ActivityState.rejected_at)


@deferring
async def on_activity_corrected(
    _: AsyncSession, event: ActivityCorrected, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """A corrected activity counts again, with its new values, awaiting verification."""
    measure = _measure(event.occurred_at, event.quantity, event.denominator)
    _stamped_change(pending, envelope, event, lambda state, stamp: state.corrected(measure, stamp))


def _stamped_change(
    pending: PendingViews,
    envelope: EnvelopeHead,
    event: ActivityVerified | ActivityRejected | ActivityCorrected,
    change: Callable[[ActivityState, Stamp], ActivityState],
) -> None:
    """A verification's, rejection's or correction's change, stamped with its event, with the
    evidence files the event names (every file attached by then)."""
    fields = event.__dict__  # its fields by name (see ``_activity_change``)
    stamp, evidence = stamp_of(envelope), fields["evidence_sha256"]
    _activity_change(
        pending,
        envelope,
        event,
        fields,
        lambda state: change(state, stamp).with_evidence(evidence),
        stamp,
    )


@deferring
async def on_evidence_attached(
    _: AsyncSession, event: EvidenceAttached, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """An evidence file attached after the report: counted on the activity, its claim checked.

    Kept if the report has not arrived yet; the review events also name the files attached by
    then (topics written before this event existed), and all of them make one set.
    """
    fields = event.__dict__  # its fields by name (see ``_activity_change``)
    digests = (fields["sha256"],)
    _activity_change(
        pending, envelope, event, fields, lambda state: state.with_evidence(digests), stamp_of(envelope)
    )


async def on_field_visit_logged(scope: ScoringScope, event: FieldVisitLogged, envelope: EnvelopeHead) -> None:
    """Keep a supervisor's field visit (kunjungan lapangan) on each employee's record."""
    session = scope.session
    period = (await calendar(session, event.region_id)).period_of(event.visited_at).key
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await divert_late(session, envelope, event, period=period, subject_id=event.supervisor_id)
        return
    rows = [
        {
            "visit_id": event.visit_id,
            "employee_id": employee_id,
            "region_id": event.region_id,
            "supervisor_id": event.supervisor_id,
            "visited_at": event.visited_at,
            "visited_utc_offset": utc_offset_minutes(event.visited_at),
            "period": period,
            "location": event.location,
            "findings": event.findings,
            "follow_up": event.follow_up,
            "last_event_id": event_id_of(envelope),
        }
        for employee_id in sorted(set(event.employee_ids))
    ]
    if rows:
        await session.execute(
            insert(field_visits)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["region_id", "visit_id", "employee_id"])
        )
