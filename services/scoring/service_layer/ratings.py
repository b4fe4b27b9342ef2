"""The rater's decision on the proposals: confirm, or override with a reason; overrides are kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import rating_decisions
from services.scoring.domain.periods import Period, parse_period_key
from services.scoring.domain.predicate import predicate_of
from services.scoring.domain.rating import (
    OverridePolicy,
    OverrideReasonError,
    Rating,
    RatingDecision,
    RatingKind,
    RatingProposal,
    confirm,
    override,
)
from services.scoring.service_layer.queries.common import is_closed, rater_of, summary_row
from services.scoring.service_layer.rules import rule_set_for
from services.scoring.service_layer.schemas import (
    OverridesRead,
    RaterOverrideCount,
    RatingDecisionCreate,
    RatingDecisionRead,
)
from services.scoring.service_layer.views import Touch, refresh_views, region_facts
from shared.auth import Principal
from shared.contracts.scoring import RatingConfirmed
from shared.refusals import Label, Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


def _decide(
    kind: RatingKind,
    proposed: Rating | None,
    final: Rating,
    rater_id: str,
    reason: str | None,
    min_reason_length: int,
) -> RatingDecision:
    """One rating's decision; without a proposal (no assessment yet) the rater's own judgement stands."""
    at = datetime.now(UTC)
    proposal = RatingProposal(kind, proposed or final)
    if proposed is None or final is proposed:
        return confirm(proposal, rater_id, at)
    try:
        return override(proposal, final, rater_id, at, reason or "", OverridePolicy(min_reason_length))
    except OverrideReasonError as exc:
        raise Refusal(
            "override_reason_required",
            "Overriding the proposed %(kind)s rating needs a reason of at least %(min_length)s characters.",
            field="reason",
            params={
                "kind": Label(kind.label_en.lower(), kind.label_id.lower()),
                "min_length": min_reason_length,
            },
        ) from exc


def _rate(part: int, whole: int) -> Decimal:
    return Decimal(part * 10000 // whole) / 10000 if whole else Decimal(0)


def no_scorecard() -> Refusal:
    """The 404 for a decision or judgement on an employee and period with no scorecard."""
    return Refusal(
        "no_scorecard",
        "No scorecard for this employee and period.",
        field="employee_id",
        kind=RefusalKind.NOT_FOUND,
    )


async def ensure_rater(
    session: AsyncSession, principal: Principal, employee_id: str, summary: Row[Any]
) -> str:
    """The caller's employee id if they are the employee's own rater (never themselves); else 403."""
    rater_id = principal.employee_id
    if rater_id is None or rater_id == employee_id:
        raise Refusal("own_rating", "Nobody rates themselves.", kind=RefusalKind.FORBIDDEN)
    if await rater_of(session, principal.region, employee_id, summary.rater_id) != rater_id:
        raise Refusal(
            "not_your_team",
            "Only the employee's own rater decides their ratings.",
            field="employee_id",
            kind=RefusalKind.FORBIDDEN,
        )
    return rater_id


async def ensure_open(session: AsyncSession, region_id: str, period: Period) -> None:
    """409 if the period (or its year) is closed: its ratings and judgements are frozen."""
    if await is_closed(session, region_id, period):
        raise Refusal(
            "period_closed",
            "Period %(period)s is closed; its ratings are frozen.",
            field="period",
            kind=RefusalKind.CONFLICT,
            params={"period": period.key},
        )


async def decide(
    *, uow: UnitOfWork, principal: Principal, employee_id: str, period: str, decision_in: RatingDecisionCreate
) -> RatingDecisionRead:
    """The employee's rater confirms or overrides the period's proposals; emits RatingConfirmed."""
    parsed = parse_period_key(period)
    region_id = principal.region
    session = uow.session
    summary = await summary_row(session, region_id, employee_id, parsed.key)
    if summary is None:
        raise no_scorecard()
    rater_id = await ensure_rater(session, principal, employee_id, summary)
    await ensure_open(session, region_id, parsed)
    rules = await rule_set_for(session, region_id, parsed)
    minimum = rules.override.min_reason_length
    proposed_result = Rating(summary.proposed_result_rating)
    proposed_behaviour = (
        Rating(summary.proposed_behaviour_rating) if summary.proposed_behaviour_rating else None
    )
    results = _decide(
        RatingKind.RESULTS,
        proposed_result,
        Rating(decision_in.result_rating),
        rater_id,
        decision_in.reason,
        minimum,
    )
    behaviour = _decide(
        RatingKind.BEHAVIOUR,
        proposed_behaviour,
        Rating(decision_in.behaviour_rating),
        rater_id,
        decision_in.reason,
        minimum,
    )
    overridden = results.is_override or behaviour.is_override
    reason = (decision_in.reason or "").strip() or None
    predicate = predicate_of(results.final, behaviour.final)
    decision_id = str(uuid.uuid4())
    decided_at = datetime.now(UTC)
    event_id = uow.emit(
        RatingConfirmed(
            region_id=region_id,
            employee_id=employee_id,
            rater_id=rater_id,
            period=parsed.key,
            proposed_result_rating=proposed_result.value,
            result_rating=results.final.value,
            behaviour_rating=behaviour.final.value,
            predicate=predicate.value,
            overridden=overridden,
            reason=reason,
            proposed_behaviour_rating=proposed_behaviour.value if proposed_behaviour else None,
            unit_id=summary.unit_id,
            decision_id=decision_id,
            achievement=summary.achievement,
        )
    )
    record = {
        "decision_id": decision_id,
        "region_id": region_id,
        "employee_id": employee_id,
        "period": parsed.key,
        "rater_id": rater_id,
        "unit_id": summary.unit_id,
        "proposed_result_rating": proposed_result.value,
        "result_rating": results.final.value,
        "proposed_behaviour_rating": proposed_behaviour.value if proposed_behaviour else None,
        "behaviour_rating": behaviour.final.value,
        "predicate": predicate.value,
        "overridden": overridden,
        "reason": reason,
        "achievement": summary.achievement,
        "decided_at": decided_at,
    }
    await session.execute(insert(rating_decisions).values(record))
    # The scorecard shows the decision through the same refresh a rebuild runs (it reads the latest
    # decision), so the live row and a rebuilt one cannot differ.
    await refresh_views(
        session,
        await region_facts(session, region_id),
        summaries={(employee_id, parsed.key): Touch(1, str(event_id), decided_at)},
    )
    return RatingDecisionRead.model_validate(record)


async def overrides(*, session: AsyncSession, principal: Principal, period: str) -> OverridesRead:
    """Every decision of a region and period, overrides listed and counted per rater (for auditors)."""
    parsed = parse_period_key(period)
    region_id = principal.region
    rows = (
        await session.execute(
            select(rating_decisions)
            .where(rating_decisions.c.region_id == region_id, rating_decisions.c.period == parsed.key)
            .order_by(rating_decisions.c.decided_at)
        )
    ).all()
    per_rater = (
        await session.execute(
            select(
                rating_decisions.c.rater_id,
                func.count(),
                func.count().filter(rating_decisions.c.overridden.is_(True)),
            )
            .where(rating_decisions.c.region_id == region_id, rating_decisions.c.period == parsed.key)
            .group_by(rating_decisions.c.rater_id)
            .order_by(rating_decisions.c.rater_id)
        )
    ).all()
    return OverridesRead(
        region_id=region_id,
        period=parsed.key,
        decisions=len(rows),
        overrides=sum(1 for row in rows if row.overridden),
        by_rater=[
            RaterOverrideCount(
                rater_id=rater,
                decisions=count,
                overrides=overridden,
                override_rate=_rate(overridden, count),
            )
            for rater, count, overridden in per_rater
        ],
        items=[RatingDecisionRead.model_validate(dict(row._mapping)) for row in rows if row.overridden],
    )
