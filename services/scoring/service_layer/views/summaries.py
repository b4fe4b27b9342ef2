"""The summary refresh: each employee-period row (employee_scores) recomputed from its facts.

A row's achievement, rating proposal and predicate follow from the plan in force, its progress
rows, the rater's latest assessment, judgements and decision (``summary_inputs.py`` reads them),
with the region's rules for the period. Rows are written only when their content changed (the
upsert compares it with the stored row's).
"""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cache
from typing import Any

import orjson
from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import employee_scores
from services.scoring.domain.achievement import (
    IndicatorAchievement,
    Judgement,
    QualitativeTarget,
    Realisation,
    assess_indicator,
    realisation_from_totals,
)
from services.scoring.domain.behaviour import behaviour_rating
from services.scoring.domain.performance import assess_employee
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key
from services.scoring.domain.predicate import predicate_of
from services.scoring.domain.rating import ProposalReason, Rating, RatingThresholds, propose_result_rating
from services.scoring.service_layer.memo import Memo
from services.scoring.service_layer.rollups import refresh_unit_rollups
from services.scoring.service_layer.views.facts import RegionFacts
from services.scoring.service_layer.views.plans import PlannedIndicators
from services.scoring.service_layer.views.progress import FreshProgress, FreshRows, totals_of
from services.scoring.service_layer.views.summary_inputs import SummaryInputs, read_summary_inputs
from services.scoring.service_layer.views.touches import SummaryKey, Touch
from services.scoring.service_layer.views.values import insert_new, now, to_decimal, upsert_when_changed
from shared.i18n import phrase_message
from shared.json_rows import json_rows
from shared.refusals import Phrase


def _proposal(
    achievement: Fraction | None, verified_share: Fraction | None, thresholds: RatingThresholds
) -> tuple[Rating, orjson.Fragment]:
    """The results rating proposed for an achievement and verified share, with its reasons as the
    row stores them (their JSON, written once: a fragment is immutable, so every row with the same
    proposal shares it); remembered by the fractions' integers and the thresholds, since a region's
    employees reach the same few achievements again and again (a proposal built three or four
    frozen objects and compared fractions each time)."""
    key = (
        None if achievement is None else achievement.numerator,
        None if achievement is None else achievement.denominator,
        None if verified_share is None else verified_share.numerator,
        None if verified_share is None else verified_share.denominator,
        id(thresholds),
    )
    found = _PROPOSALS.get(key)
    # The thresholds themselves are kept with the entry, so an id reused by other thresholds misses.
    if found is None or found[0] is not thresholds:
        proposal = propose_result_rating(achievement, verified_share, thresholds)
        # ASCII (``≥`` escaped; jsonb stores the same text): one character above U+00FF made the
        # batch's whole JSON parameter a UCS-2 string, transcoded to UTF-8 a character at a time
        # (5.8k instructions an event; bench/README.md, session 22). Remembered, so made rarely.
        # Each reason's text is remembered: the list is their texts joined (what ``json.dumps`` of
        # the list of their dicts wrote, without writing the dicts again at each proposal).
        reasons = orjson.Fragment("[" + ",".join([_reason_json(reason) for reason in proposal.reasons]) + "]")
        found = _PROPOSALS.keep(key, (thresholds, proposal.rating, reasons))
    return found[1], found[2]


#: Proposals as stored, by the integers of what they are made of.
_PROPOSALS: Memo[tuple[Any, ...], tuple[RatingThresholds, Rating, orjson.Fragment]] = Memo(8_192)


def _reason_json(reason: ProposalReason) -> str:
    """A proposal reason's JSON as the row stores it (ASCII: see ``_proposal``), remembered by the
    reason (its code, threshold, value and outcome: all it is made of), since achievements over the
    same targets come again."""
    required, actual = reason.required, reason.actual
    # Keyed by the fractions' integers: hashing a ``Fraction`` takes a modular inverse, and the
    # reason's own hash two of them, which made the look-up dearer than the rest of it.
    key = (
        reason.code,
        reason.satisfied,
        None if required is None else required.numerator,
        None if required is None else required.denominator,
        None if actual is None else actual.numerator,
        None if actual is None else actual.denominator,
    )
    found = _REASONS.get(key)
    if found is None:
        found = _REASONS.keep(key, _written_reason(reason))
    return found


#: Proposal reasons' JSON as stored, by what they are made of.
_REASONS: Memo[tuple[Any, ...], str] = Memo(8_192)


def _written_reason(reason: ProposalReason) -> str:
    """What ``json.dumps`` wrote of the reason's fields (``code``, ``required``, ``actual``,
    ``satisfied``, ``message_en``, ``message_id``; separators without spaces, ASCII), written from
    its parts: the worded messages' JSON is remembered, and only the numbers are new. A rebuild's
    summaries reach ~25,000 achievements, each a new reason, and ``json.dumps`` of its dict
    (a new encoder each call) was half of making one."""
    message_en, message_id = _messages(reason.explanation)
    satisfied = "true" if reason.satisfied else "false"
    return (
        f'{{"code":{_json_text(reason.code.value)},"required":{_json_decimal(reason.required)},'
        f'"actual":{_json_decimal(reason.actual)},"satisfied":{satisfied},'
        f'"message_en":{message_en},"message_id":{message_id}}}'
    )


def _json_decimal(value: Fraction | None) -> str:
    """A number of a reason as its JSON: the rounded decimal's text, or null."""
    return "null" if value is None else f'"{to_decimal(value)}"'


@cache
def _json_text(text: str) -> str:
    """A code as its JSON string (ASCII), made once a code."""
    return json.dumps(text)


#: Proposal reasons already worded (each message as its JSON string, ASCII), by their text and
#: parameters.
_WORDED: Memo[tuple[str, tuple[tuple[str, object], ...]], tuple[str, str]] = Memo(4096)


def _messages(phrase: Phrase) -> tuple[str, str]:
    """A phrase in both languages as JSON strings, remembered: every summary refresh words its
    proposal's reasons, whose numbers are shown with two decimals, so the same few texts come
    again and again. Keyed by the phrase as it was built (its message stays a literal where it is
    made, for extraction)."""
    key = (phrase.message, tuple(phrase.params.items()))
    worded = _WORDED.get(key)
    if worded is None:
        worded = _WORDED.keep(
            key, (json.dumps(phrase_message(phrase, "en")), json.dumps(phrase_message(phrase, "id")))
        )
    return worded


def _outcome_json(item: IndicatorAchievement) -> dict[str, Any]:
    # The enums' members themselves, not their ``.value``: each is the ``str`` of its code, which
    # orjson writes as it is, where asking ``.value`` (a Python property of ``enum``) cost ~1,800
    # instructions each, three or more a row (callgrind, session 24).
    return {
        "indicator_id": item.indicator.id,
        "code": item.indicator.template_code,
        "aspect": item.indicator.aspect,
        "basis": item.basis,
        "achievement": None if item.achievement is None else str(to_decimal(item.achievement)),
        # Only judged indicators carry the key, so the other rows' content is unchanged.
        **({"judgement": item.judgement} if item.judgement is not None else {}),
    }


async def refresh_summaries(
    session: AsyncSession,
    facts: RegionFacts,
    touched: dict[SummaryKey, Touch],
    planned: PlannedIndicators | None = None,
    fresh: FreshRows | None = None,
    none_stored: bool = False,
) -> None:
    """Recompute the touched employee-period rows (achievement, proposals, predicate), all at once
    (``fresh``: the progress rows the batch's progress refresh left, with their assessments;
    ``none_stored``: none of the rows is stored yet, they are inserted plainly)."""
    if not touched:
        return
    region_id = facts.region_id
    keys = sorted(touched)
    inputs = await read_summary_inputs(session, region_id, keys, planned, fresh, none_stored)
    upserts, deletes = _summary_rows(facts, keys, touched, inputs)
    written: list[SummaryKey] = []
    if upserts:
        # One JSON parameter for every row (an executemany encoded each value on its own); a row
        # is written only where its content changed, which PostgreSQL compares (it returns those).
        columns = tuple(upserts[0])
        statement = _insert_new(columns) if none_stored else _upsert_when_changed(columns)
        written = [
            (row.employee_id, row.period)
            for row in await session.execute(
                statement, {"rows": json_rows(upserts, columns), "updated_at": now()}
            )
        ]
    if deletes:
        await session.execute(
            _DELETE_SUMMARY,
            [{"r": region_id, "e": employee_id, "p": period} for employee_id, period in deletes],
        )
    await refresh_unit_rollups(session, region_id, written=written, removed=deletes, none_stored=none_stored)


def _summary_rows(
    facts: RegionFacts, keys: list[SummaryKey], touched: dict[SummaryKey, Touch], inputs: SummaryInputs
) -> tuple[list[dict[str, Any]], list[SummaryKey]]:
    """The rows to upsert (each with its whole content: the upsert writes those that changed) and
    the stored rows to delete: the refresh's work between its statements."""
    region_id = facts.region_id
    upserts: list[dict[str, Any]] = []
    deletes: list[SummaryKey] = []
    for key in keys:
        employee_id, period_key = key
        period = parse_period_key(period_key)
        plan = inputs.plans_in_force.get((employee_id, period.year))
        if plan is None or period.kind not in (facts.calendar.kind, PeriodKind.YEAR):
            # No plan in force (or a period the region no longer uses): nothing to score. A decision
            # stays in rating_decisions (auditors read it there) and is back on the row once scored.
            if key in inputs.stored:
                deletes.append(key)
            continue
        values = _summary_values(
            facts,
            period,
            plan,
            inputs.indicator_rows.get((employee_id, period.year), []),
            inputs.progress.get(key, {}),
            inputs.assessments.get(key),
            inputs.assignments.get(employee_id),
            inputs.judgements.get(key, {}),
        )
        values.update(_decision_values(inputs.decisions.get(key)))
        values.update(
            employee_id=employee_id,
            period=period_key,
            region_id=region_id,
            last_event_id=touched[key].event_id,
            updated_at=None,  # the statement's stamp (``STAMPED``)
        )
        upserts.append(values)
    return upserts, deletes


_KEY = ("region_id", "employee_id", "period")


@cache
def _upsert_when_changed(columns: tuple[str, ...]) -> Any:
    """The summaries' upsert that updates a stored row only when a column of its content differs
    (``upsert_when_changed``: the two JSON documents among it are never read back), returning the
    keys of the rows it inserted or updated (built once per column set)."""
    statement = upsert_when_changed(employee_scores, columns, _KEY, ("last_event_id", "updated_at"))
    return statement.returning(employee_scores.c.employee_id, employee_scores.c.period)


@cache
def _insert_new(columns: tuple[str, ...]) -> Any:
    """The summaries' plain insert of rows not stored yet, returning their keys as the upsert does."""
    statement = insert_new(employee_scores, columns)
    return statement.returning(employee_scores.c.employee_id, employee_scores.c.period)


_DELETE_SUMMARY = delete(employee_scores).where(
    employee_scores.c.region_id == bindparam("r"),
    employee_scores.c.employee_id == bindparam("e"),
    employee_scores.c.period == bindparam("p"),
)


def _decision_values(decision: Any) -> dict[str, Any]:
    """An employee-period row's decision columns from the rater's latest decision (None: undecided)."""
    return {
        "result_rating": decision.result_rating if decision else None,
        "behaviour_rating": decision.behaviour_rating if decision else None,
        "predicate": decision.predicate if decision else None,
        "overridden": decision.overridden if decision else None,
        "decision_reason": decision.reason if decision else None,
        "decided_by": decision.rater_id if decision else None,
        "decided_at": decision.decided_at if decision else None,
    }


def _summary_values(
    facts: RegionFacts,
    period: Period,
    plan: Any,
    indicator_rows: list[Any],
    progress: dict[str, Any],
    assessment: Any,
    person: Any,
    judgements: dict[str, Judgement] | None = None,
) -> dict[str, Any]:
    """An employee-period row's content from the plan in force, progress rows, assessments and judgements."""
    rules = facts.rules(period)
    structure = facts.plans.structure(indicator_rows, plan.plan_id, period)
    achievements: dict[str, IndicatorAchievement] = {}
    for indicator in (i for result in structure for i in result.indicators):
        row = progress.get(indicator.id)
        # A qualitative indicator is achieved by the rater's judgement, with or without activities.
        judgement = (judgements or {}).get(indicator.id)
        if not isinstance(indicator.target, QualitativeTarget):
            judgement = None
        if judgement is not None or (row is not None and row.activity_count):
            # The progress refresh assessed an unjudged indicator alike: taken as it is.
            if (
                judgement is None
                and isinstance(row, FreshProgress)
                and row.assessed is not None
                and (row.assessed.indicator is indicator or row.assessed.indicator == indicator)
            ):
                achievements[indicator.id] = row.assessed
                continue
            realisation = (
                realisation_from_totals(indicator.aggregation, totals_of(row))
                if row is not None
                else Realisation.empty(indicator.aggregation)
            )
            achievements[indicator.id] = assess_indicator(
                indicator, realisation, rules.achievement, judgement
            )
    assessed = assess_employee(structure, achievements, rules.employee_achievement)
    proposed, reasons = _proposal(assessed.achievement, assessed.verified_share, rules.rating)
    behaviour = behaviour_rating(assessment.proposed_rating, assessment.scores) if assessment else None
    return {
        "plan_id": plan.plan_id,
        "unit_id": person.unit_id if person else plan.unit_id or "",
        "job_type": person.job_type if person else plan.job_type or "",
        "rater_id": (person.supervisor_id if person and person.supervisor_id else plan.rater_id),
        "achievement": to_decimal(assessed.achievement),
        "main_achievement": to_decimal(assessed.main_achievement),
        "additional_bonus": to_decimal(assessed.additional_bonus),
        "verified_share": to_decimal(assessed.verified_share),
        "activity_count": sum(
            [row.activity_count for indicator_id, row in progress.items() if indicator_id in achievements]
        ),
        "indicator_outcomes": [_outcome_json(item) for item in assessed.indicators()],
        "rule_set_from": rules.effective_from,
        # Members, not their ``.value`` (see ``_outcome_json``): the JSON rows write their codes.
        "proposed_result_rating": proposed,
        "proposal_reasons": reasons,
        "behaviour_assessment_id": assessment.assessment_id if assessment else None,
        "proposed_behaviour_rating": behaviour,
        "proposed_predicate": predicate_of(proposed, behaviour) if behaviour else None,
    }
