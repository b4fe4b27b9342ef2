"""Feedback's events: unit satisfaction indexes, behaviour assessments and missed complaint deadlines."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import (
    WHOLE_UNIT,
    behaviour_assessments,
    complaint_breaches,
    unit_satisfaction,
)
from services.scoring.service_layer.projections.handling import divert_late, event_id_of, period_key_of
from services.scoring.service_layer.projections.pending import PendingViews, ScoringScope, deferring
from services.scoring.service_layer.views import calendar, is_frozen, now, touch
from shared.contracts import EnvelopeHead
from shared.contracts.feedback import (
    BehaviourAssessmentSubmitted,
    ComplaintDeadlineBreached,
    SatisfactionIndexChanged,
)


async def on_satisfaction_index_changed(
    scope: ScoringScope, event: SatisfactionIndexChanged, envelope: EnvelopeHead
) -> None:
    """Keep the latest satisfaction index (IKM) of a unit (or one of its services) and period."""
    session = scope.session
    period = period_key_of(event.period)
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await divert_late(session, envelope, event, period=period, subject_id=event.unit_id)
        return
    statement = insert(unit_satisfaction).values(
        unit_id=event.unit_id,
        period=period,
        service_id=event.service_id or WHOLE_UNIT,
        region_id=event.region_id,
        satisfaction_index=event.index,
        grade=event.grade,
        respondents=event.respondents,
        sample_adequate=event.sample_adequate,
        last_event_id=event_id_of(envelope),
        updated_at=now(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "unit_id", "period", "service_id"],
            set_={
                name: statement.excluded[name]
                for name in (
                    "satisfaction_index",
                    "grade",
                    "respondents",
                    "sample_adequate",
                    "last_event_id",
                    "updated_at",
                )
            },
            # An older index arriving late never replaces a newer one (more respondents = newer).
            where=unit_satisfaction.c.respondents <= statement.excluded.respondents,
        )
    )


@deferring
async def on_behaviour_assessment_submitted(
    session: AsyncSession, event: BehaviourAssessmentSubmitted, envelope: EnvelopeHead, pending: PendingViews
) -> None:
    """Keep a BerAKHLAK assessment; the rater's latest one proposes the behaviour rating."""
    period = period_key_of(event.period)
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await divert_late(session, envelope, event, period=period, subject_id=event.employee_id)
        return
    inserted = await session.execute(
        insert(behaviour_assessments)
        .values(
            assessment_id=event.assessment_id,
            region_id=event.region_id,
            employee_id=event.employee_id,
            assessor_id=event.assessor_id,
            assessor_role=event.assessor_role,
            period=period,
            scores=event.scores,
            proposed_rating=event.proposed_rating,
            submitted_at=envelope.occurred_at,
            last_event_id=event_id_of(envelope),
        )
        .on_conflict_do_nothing(index_elements=["region_id", "assessment_id"])
        .returning(behaviour_assessments.c.assessment_id)
    )
    if inserted.first() is not None and event.assessor_role == "rater":
        touch(
            pending.region(event.region_id).summaries,
            (event.employee_id, period),
            event_id_of(envelope),
            envelope.occurred_at,
        )


async def on_complaint_deadline_breached(
    scope: ScoringScope, event: ComplaintDeadlineBreached, envelope: EnvelopeHead
) -> None:
    """Count a missed complaint deadline against the unit, in the period the deadline fell in."""
    session = scope.session
    period = (await calendar(session, event.region_id)).period_of(event.due_at).key
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await divert_late(session, envelope, event, period=period, subject_id=event.unit_id)
        return
    await session.execute(
        insert(complaint_breaches)
        .values(
            complaint_id=event.complaint_id,
            stage=event.stage,
            region_id=event.region_id,
            unit_id=event.unit_id,
            due_at=event.due_at,
            period=period,
            last_event_id=event_id_of(envelope),
            updated_at=now(),
        )
        .on_conflict_do_nothing(index_elements=["region_id", "complaint_id", "stage"])
    )
