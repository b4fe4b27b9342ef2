"""An employee's scorecard: the summary row, its indicators' progress and the activities behind them."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.engine import Row

from services.scoring.domain.achievement import NumericTarget
from services.scoring.domain.periods import Period, parse_period_key
from services.scoring.service_layer.queries.scorecard_rows import (
    indicators_with_progress,
    scorecard_summary,
)
from services.scoring.service_layer.schemas import (
    ScorecardRead,
)
from services.scoring.service_layer.views import indicator_of, to_decimal
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind
from shared.region_reads import RegionReader
from shared.region_time import as_sent, in_zone


def _invisible() -> Refusal:
    return Refusal(
        "no_scorecard",
        "No scorecard you may see for this employee and period.",
        field="employee_id",
        kind=RefusalKind.NOT_FOUND,
    )


class Scorecard(NamedTuple):
    """A scorecard as read: its figures (each indicator's ``activities`` left empty) and, for each
    indicator in order, its activities as the answer's JSON list, written by PostgreSQL."""

    figures: ScorecardRead
    activities: list[str]


async def scorecard(
    *, session: RegionReader, principal: Principal, employee_id: str, period: str, zone: tzinfo
) -> Scorecard:
    """An employee's scorecard; every number traceable to the activities behind it.

    Shown as ``shared.region_time.shown_in`` shows an answer in the region's ``zone``: the times the
    platform computed (the progress rows', the assessment's, the decision's, the summary's) are put
    in the zone as the answer is built, the device's (activities, visits) kept as sent, rather than
    found again by walking the validated answer and copying every model that holds one.
    """
    parsed = parse_period_key(period)
    region_id = principal.region
    summary = await scorecard_summary(session, region_id, employee_id, parsed)
    if summary is None:
        raise _invisible()
    own = principal.employee_id == employee_id
    rater = principal.has(Role.RATER) and principal.employee_id is not None
    allowed = (
        principal.has(Role.REGION_ADMIN, Role.AUDITOR)
        or own
        or (rater and (summary.team_supervisor_id or summary.rater_id) == principal.employee_id)
    )
    if not allowed:
        raise _invisible()
    indicator_rows = indicators_with_progress(summary.indicator_rows)
    outcomes = {item["indicator_id"]: item for item in summary.indicator_outcomes}
    lists = dict(zip(summary.activity_indicators or (), summary.activity_lists or (), strict=True))
    indicators: list[dict[str, Any]] = []
    for planned in indicator_rows:
        progress = planned.progress_indicator_id is not None
        outcome = outcomes.get(planned.indicator_id, {})
        # A judged (qualitative) indicator's achievement comes from the rater's judgement, not progress.
        judged = outcome.get("judgement") is not None and outcome.get("achievement") is not None
        indicators.append(
            {
                "indicator_id": planned.indicator_id,
                "code": planned.code,
                "name": planned.name,
                "result_id": planned.result_id,
                "result_kind": planned.result_kind,
                "aspect": planned.aspect,
                "direction": planned.direction,
                "aggregation": planned.aggregation,
                "unit_of_measure": planned.unit_of_measure,
                "target": planned.progress_target if progress else _target_without_activity(planned, parsed),
                "qualitative_target": planned.qualitative_target,
                "realisation": planned.realisation if progress else None,
                "verified_share": planned.verified_share if progress else None,
                "achievement": (
                    Decimal(outcome["achievement"]) if judged else planned.achievement if progress else None
                ),
                "basis": outcome.get("basis", "NO_DATA"),
                "judgement": outcome.get("judgement"),
                "activity_count": planned.activity_count if progress else 0,
                "verified_count": planned.verified_count if progress else 0,
                "rejected_count": planned.rejected_count if progress else 0,
                "last_activity_at": in_zone(planned.last_occurred_at, zone) if progress else None,
                "last_activity_id": planned.last_activity_id if progress else None,
                "events_applied": planned.events_applied if progress else 0,
                "last_event_id": planned.last_event_id if progress else None,
                "updated_at": in_zone(planned.updated_at, zone) if progress else None,
                "activities": [],  # written by PostgreSQL, put in by ``scorecard_json``
            }
        )
    assessment: dict[str, Any] | None = None
    if summary.behaviour_assessment_id and summary.assessment_found_id is not None:
        assessment = {
            "assessment_id": summary.assessment_found_id,
            "assessor_id": summary.assessment_assessor_id,
            "proposed_rating": summary.assessment_proposed_rating,
            "scores": summary.assessment_scores,
            "submitted_at": in_zone(summary.assessment_submitted_at, zone),
        }
    # Validated once, nested parts as plain values: one pydantic call instead of one per activity.
    figures = ScorecardRead.model_validate(
        {
            "employee_id": employee_id,
            "region_id": region_id,
            "period": parsed.key,
            "plan_id": summary.plan_id,
            "unit_id": summary.unit_id,
            "job_type": summary.job_type,
            "rater_id": summary.rater_id,
            "achievement": summary.achievement,
            "main_achievement": summary.main_achievement,
            "additional_bonus": summary.additional_bonus,
            "verified_share": summary.verified_share,
            "activity_count": summary.activity_count,
            "rule_set_from": summary.rule_set_from,
            "proposed_result_rating": summary.proposed_result_rating,
            "proposal_reasons": summary.proposal_reasons,
            "proposed_behaviour_rating": summary.proposed_behaviour_rating,
            "behaviour_assessment": assessment,
            "proposed_predicate": summary.proposed_predicate,
            "decision": _decision_of(summary, zone),
            "predicate": summary.predicate,
            "period_closed": bool(summary.period_closed),
            "field_visits": [
                {
                    "visit_id": visit_id,
                    "supervisor_id": supervisor_id,
                    "visited_at": as_sent(datetime.fromisoformat(visited_at).replace(tzinfo=UTC), offset),
                    "location": location,
                    "findings": findings,
                    "follow_up": follow_up,
                }
                for visit_id, supervisor_id, visited_at, offset, location, findings, follow_up in (
                    summary.field_visits_found or ()
                )
            ],
            "indicators": indicators,
            "last_event_id": summary.last_event_id,
            "updated_at": in_zone(summary.updated_at, zone),
        }
    )
    return Scorecard(figures, [lists.get(item.indicator_id, "[]") for item in figures.indicators])


#: How each indicator's (empty) activities end in the figures' JSON: ``activities`` is the last
#: field of an indicator, and no other field of the answer can write these bytes (a quote inside a
#: string is escaped, and the only other free keys, a behaviour assessment's scores, hold numbers).
_NO_ACTIVITIES = b'"activities":[]}'


def scorecard_json(card: Scorecard) -> bytes:
    """The scorecard's answer: its figures' JSON with each indicator's activities put in."""
    parts = card.figures.model_dump_json().encode().split(_NO_ACTIVITIES)
    if len(parts) != len(card.activities) + 1:
        raise AssertionError("a scorecard's indicators and activity lists do not match")
    written = [parts[0]]
    for activities, rest in zip(card.activities, parts[1:], strict=True):
        written += (b'"activities":', activities.encode(), b"}", rest)
    return b"".join(written)


def _target_without_activity(planned: Any, period: Period) -> Decimal | None:
    """The period target of an indicator nobody reported on yet (no progress row holds it)."""
    target = indicator_of(planned, period).target
    return to_decimal(target.value) if isinstance(target, NumericTarget) else None


def _decision_of(summary: Row[Any], zone: tzinfo) -> dict[str, Any] | None:
    """The rater's decision on a scorecard summary (read with its latest decision row)."""
    if summary.result_rating is None:
        return None
    changed = summary.latest_decision_id is not None and (
        summary.latest_proposed_result_rating != summary.proposed_result_rating
        or summary.latest_proposed_behaviour_rating != summary.proposed_behaviour_rating
    )
    return {
        "result_rating": summary.result_rating,
        "behaviour_rating": summary.behaviour_rating,
        "predicate": summary.predicate,
        "overridden": bool(summary.overridden),
        "reason": summary.decision_reason,
        "decided_by": summary.decided_by,
        "decided_at": in_zone(summary.decided_at, zone),
        "proposal_changed_since": changed,
    }
