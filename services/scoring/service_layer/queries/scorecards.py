"""An employee's scorecard: the summary row, its indicators' progress and the activities behind them."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any, NamedTuple

import orjson
from pydantic import TypeAdapter
from sqlalchemy.engine import Row

from services.scoring.domain.achievement import NumericTarget
from services.scoring.domain.periods import Period, parse_period_key
from services.scoring.service_layer.queries.scorecard_rows import (
    indicators_with_progress,
    scorecard_summary,
)
from services.scoring.service_layer.schemas import ProposalReasonRead, ScorecardRead
from services.scoring.service_layer.views import indicator_of, to_decimal
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind
from shared.region_reads import RegionReader
from shared.region_time import as_sent


def _invisible() -> Refusal:
    return Refusal(
        "no_scorecard",
        "No scorecard you may see for this employee and period.",
        field="employee_id",
        kind=RefusalKind.NOT_FOUND,
    )


class Scorecard(NamedTuple):
    """A scorecard as read: the answer's fields as its JSON writes them (``ScorecardRead``'s, in
    its order; numbers as text, each indicator's activities the JSON list PostgreSQL wrote), and
    those lists, indicator by indicator."""

    answer: dict[str, Any]
    activities: list[str]

    @property
    def figures(self) -> ScorecardRead:
        """The answer as its model (the route sends the bytes; tests and other callers read this)."""
        return ScorecardRead.model_validate_json(scorecard_json(self))


def scorecard_json(card: Scorecard) -> bytes:
    """The scorecard's answer, byte for byte what ``ScorecardRead``'s ``model_dump_json`` writes.

    Written in one pass by orjson from values already in the answer's form: the database shaped
    them (its columns' types, the views' JSON as the consumer stored it), so validating them into
    the models only to serialize them again cost a read ~11% of its Python (bench/README.md,
    sessions 16 and 17). orjson writes strings, dates and times as pydantic does, a zero offset as
    ``Z`` with this option; what it would write otherwise is handed to pydantic (``_shown``,
    ``_reason``, ``_scores``). ``tests/unit/scoring/test_scorecard_json.py`` holds the bytes.
    """
    return orjson.dumps(card.answer, option=orjson.OPT_UTC_Z)


async def scorecard(
    *, session: RegionReader, principal: Principal, employee_id: str, period: str, zone: tzinfo
) -> Scorecard:
    """An employee's scorecard; every number traceable to the activities behind it.

    Shown as ``shared.region_time.shown_in`` shows an answer in the region's ``zone``: the times the
    platform computed (the progress rows', the assessment's, the decision's, the summary's) are put
    in the zone as the answer is built, the device's (activities, visits) kept as sent.
    """
    parsed = parse_period_key(period)
    region_id = principal.region
    overseer = principal.has(Role.REGION_ADMIN, Role.AUDITOR)
    own = principal.employee_id == employee_id
    # Only a rater reading another's scorecard is let in by the team read model's supervisor: the
    # others' reads skip looking it up (five plan nodes, ~10% of the read's database time).
    team = principal.has(Role.RATER) and principal.employee_id is not None and not (overseer or own)
    summary = await scorecard_summary(session, region_id, employee_id, parsed, team=team)
    if summary is None:
        raise _invisible()
    allowed = (
        overseer
        or own
        or (team and (summary.team_supervisor_id or summary.rater_id) == principal.employee_id)
    )
    if not allowed:
        raise _invisible()
    outcomes = {item["indicator_id"]: item for item in summary.indicator_outcomes}
    lists = dict(zip(summary.activity_indicators or (), summary.activity_lists or (), strict=True))
    activities: list[str] = []
    indicators: list[dict[str, Any]] = []
    for planned in indicators_with_progress(summary.indicator_rows):
        listed = lists.get(planned.indicator_id, "[]")
        activities.append(listed)
        indicators.append(_indicator(planned, outcomes.get(planned.indicator_id, {}), parsed, zone, listed))
    assessment: dict[str, Any] | None = None
    if summary.behaviour_assessment_id and summary.assessment_found_id is not None:
        assessment = {
            "assessment_id": summary.assessment_found_id,
            "assessor_id": summary.assessment_assessor_id,
            "proposed_rating": summary.assessment_proposed_rating,
            "scores": _scores(summary.assessment_scores),
            "submitted_at": _shown(summary.assessment_submitted_at, zone),
        }
    answer = {
        "employee_id": employee_id,
        "region_id": region_id,
        "period": parsed.key,
        "plan_id": summary.plan_id,
        "unit_id": summary.unit_id,
        "job_type": summary.job_type,
        "rater_id": summary.rater_id,
        "achievement": _number(summary.achievement),
        "main_achievement": _number(summary.main_achievement),
        "additional_bonus": _number(summary.additional_bonus),
        "verified_share": _number(summary.verified_share),
        "activity_count": summary.activity_count,
        "rule_set_from": summary.rule_set_from,
        "proposed_result_rating": summary.proposed_result_rating,
        "proposal_reasons": [_reason(reason) for reason in summary.proposal_reasons],
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
                "visited_at": _shown(as_sent(datetime.fromisoformat(visited_at).replace(tzinfo=UTC), offset)),
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
        "updated_at": _shown(summary.updated_at, zone),
    }
    return Scorecard(answer, activities)


def _indicator(
    planned: Any, outcome: dict[str, Any], period: Period, zone: tzinfo, activities: str
) -> dict[str, Any]:
    """An indicator of the answer (``IndicatorScore``'s fields, in order), its activities as written."""
    # A judged (qualitative) indicator's achievement comes from the rater's judgement, not progress.
    judged = outcome.get("judgement") is not None and outcome.get("achievement") is not None
    basis = outcome.get("basis", "NO_DATA")
    judgement = outcome.get("judgement")
    achievement = _number(Decimal(outcome["achievement"])) if judged else None
    fixed = {
        "indicator_id": planned.indicator_id,
        "code": planned.code,
        "name": planned.name,
        "result_id": planned.result_id,
        "result_kind": planned.result_kind,
        "aspect": planned.aspect,
        "direction": planned.direction,
        "aggregation": planned.aggregation,
        "unit_of_measure": planned.unit_of_measure,
    }
    if planned.progress_indicator_id is None:  # nobody reported on it yet: no progress row
        return fixed | {
            "target": _number(_target_without_activity(planned, period)),
            "qualitative_target": planned.qualitative_target,
            "realisation": None,
            "verified_share": None,
            "achievement": achievement,
            "basis": basis,
            "judgement": judgement,
            "activity_count": 0,
            "verified_count": 0,
            "rejected_count": 0,
            "last_activity_at": None,
            "last_activity_id": None,
            "events_applied": 0,
            "last_event_id": None,
            "updated_at": None,
            "activities": orjson.Fragment(activities),
        }
    return fixed | {
        "target": _number(planned.progress_target),
        "qualitative_target": planned.qualitative_target,
        "realisation": _number(planned.realisation),
        "verified_share": _number(planned.verified_share),
        "achievement": achievement if judged else _number(planned.achievement),
        "basis": basis,
        "judgement": judgement,
        "activity_count": planned.activity_count,
        "verified_count": planned.verified_count,
        "rejected_count": planned.rejected_count,
        "last_activity_at": _shown(planned.last_occurred_at, zone),
        "last_activity_id": planned.last_activity_id,
        "events_applied": planned.events_applied,
        "last_event_id": planned.last_event_id,
        "updated_at": _shown(planned.updated_at, zone),
        "activities": orjson.Fragment(activities),
    }


def _number(value: Decimal | None) -> str | None:
    """A decimal as pydantic writes one: its ``str``."""
    return None if value is None else str(value)


#: pydantic's own writing of a time, for the offsets orjson writes otherwise (below).
_TIME = TypeAdapter(datetime)


def _shown(instant: datetime | None, zone: tzinfo | None = None) -> Any:
    """A time for the answer, in ``zone`` when given (naive ones as they are, as ``in_zone`` does).

    orjson writes an offset of whole minutes as pydantic does; pydantic drops an offset's seconds
    where orjson rounds them (a zone's local mean time, before 1920 or so): those go by pydantic.
    """
    if instant is None:
        return None
    if zone is not None and instant.tzinfo is not None:
        instant = instant.astimezone(zone)
    offset = instant.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        return orjson.Fragment(_TIME.dump_json(instant))
    return instant


#: Reasons' shares as the summaries store them (text), or none.
_SHARES = (str, type(None))


def _reason(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored proposal reason as the answer writes it (``ProposalReasonRead``'s fields, in order).

    The summaries store its shares as decimal text; anything else (a share as a JSON number, a
    flag that is not a boolean) is validated and written by pydantic, as it was before. Keys the
    model does not name are left out either way.
    """
    required, actual = stored.get("required"), stored.get("actual")
    if type(required) in _SHARES and type(actual) in _SHARES and type(stored.get("satisfied")) is bool:
        return {
            "code": stored["code"],
            "required": None if required is None else str(Decimal(required)),
            "actual": None if actual is None else str(Decimal(actual)),
            "satisfied": stored["satisfied"],
            "message_en": stored["message_en"],
            "message_id": stored["message_id"],
        }
    return ProposalReasonRead.model_validate(stored).model_dump(mode="json")


_SCORES = TypeAdapter(dict[str, int])


def _scores(stored: dict[str, Any]) -> dict[str, Any]:
    """A behaviour assessment's scores (whole numbers as stored; others as pydantic reads them)."""
    if all(type(value) is int for value in stored.values()):
        return stored
    return _SCORES.validate_python(stored)


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
        "decided_at": _shown(summary.decided_at, zone),
        "proposal_changed_since": changed,
    }
