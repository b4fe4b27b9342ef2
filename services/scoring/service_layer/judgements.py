"""The rater's judgement of a qualitative indicator (penilaian atasan): no formula, the rater decides.

A judgement is stored per employee, indicator and period; the summary refresh reads it, so the
indicator's achievement comes from the region's judgement scale and the results-rating proposal
follows. The employee's summary is refreshed in the same transaction as the judgement, and
``IndicatorJudged`` is published with it (the employee's app and auditors hear of it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import indicator_judgements, plan_indicators
from services.scoring.domain.achievement import Judgement, QualitativeTarget
from services.scoring.domain.periods import Period, parse_period_key
from services.scoring.service_layer.queries.common import summary_row
from services.scoring.service_layer.ratings import ensure_open, ensure_rater, no_scorecard
from services.scoring.service_layer.schemas import JudgementCreate, JudgementRead
from services.scoring.service_layer.views import Touch, indicator_of, refresh_views, region_facts
from shared.auth import Principal
from shared.contracts.scoring import IndicatorJudged
from shared.refusals import Label, Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

#: Judgements that depart from the target must say why (the employee and auditors read it).
NOTE_REQUIRED = frozenset({Judgement.NOT_MET, Judgement.EXCEEDED})


async def _qualitative_indicator(
    session: AsyncSession, region_id: str, plan_id: str, indicator_id: str, period: Period
) -> None:
    """404 unless the indicator is on the plan scored for the period; 422 unless it is qualitative."""
    row = (
        await session.execute(
            select(plan_indicators).where(
                plan_indicators.c.region_id == region_id,
                plan_indicators.c.plan_id == plan_id,
                plan_indicators.c.indicator_id == indicator_id,
            )
        )
    ).first()
    if row is None:
        raise Refusal(
            "unknown_indicator",
            "This indicator is not on the employee's work plan for the period.",
            field="indicator_id",
            kind=RefusalKind.NOT_FOUND,
        )
    if not isinstance(indicator_of(row, period).target, QualitativeTarget):
        raise Refusal(
            "not_qualitative",
            "This indicator has a numeric target: it is measured from activities, not judged.",
            field="indicator_id",
        )


async def judge(
    *,
    uow: UnitOfWork,
    principal: Principal,
    employee_id: str,
    period: str,
    indicator_id: str,
    judgement_in: JudgementCreate,
) -> JudgementRead:
    """The employee's rater judges a qualitative indicator; the period's summary is refreshed with it."""
    parsed = parse_period_key(period)
    region_id = principal.region
    session = uow.session
    summary = await summary_row(session, region_id, employee_id, parsed.key)
    if summary is None:
        raise no_scorecard()
    rater_id = await ensure_rater(session, principal, employee_id, summary)
    await ensure_open(session, region_id, parsed)
    await _qualitative_indicator(session, region_id, summary.plan_id, indicator_id, parsed)
    judgement = Judgement(judgement_in.judgement)
    note = (judgement_in.note or "").strip() or None
    if judgement in NOTE_REQUIRED and note is None:
        raise Refusal(
            "judgement_note_required",
            "Judging a target %(judgement)s needs a note saying why.",
            field="note",
            params={"judgement": Label(judgement.label_en.lower(), judgement.label_id.lower())},
        )
    judged_at = datetime.now(UTC)
    record = {
        "region_id": region_id,
        "employee_id": employee_id,
        "indicator_id": indicator_id,
        "period": parsed.key,
        "judgement": judgement.value,
        "note": note,
        "rater_id": rater_id,
        "judged_at": judged_at,
    }
    statement = insert(indicator_judgements).values(record)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "employee_id", "period", "indicator_id"],
            set_={name: statement.excluded[name] for name in ("judgement", "note", "rater_id", "judged_at")},
        )
    )
    # The same refresh the consumer runs for a touched summary; the row records this judgement's id.
    await refresh_views(
        session,
        await region_facts(session, region_id),
        summaries={(employee_id, parsed.key): Touch(1, f"judgement:{uuid.uuid4()}", judged_at)},
    )
    refreshed = await summary_row(session, region_id, employee_id, parsed.key)
    if refreshed is None:  # pragma: no cover - the row existed a moment ago in this transaction
        raise no_scorecard()
    outcome: dict[str, Any] = next(
        (item for item in refreshed.indicator_outcomes if item["indicator_id"] == indicator_id), {}
    )
    judged = JudgementRead.model_validate(
        record
        | {
            "achievement": outcome.get("achievement"),
            "employee_achievement": refreshed.achievement,
            "proposed_result_rating": refreshed.proposed_result_rating,
        }
    )
    uow.emit(
        IndicatorJudged(
            region_id=region_id,
            employee_id=employee_id,
            rater_id=rater_id,
            period=parsed.key,
            indicator_id=indicator_id,
            judgement=judgement.value,
            note=note,
            indicator_achievement=judged.achievement,
            achievement=judged.employee_achievement,
            proposed_result_rating=judged.proposed_result_rating,
        )
    )
    return judged
