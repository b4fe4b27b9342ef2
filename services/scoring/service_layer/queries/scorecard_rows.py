"""The rows an employee's scorecard is made of: its summary with what shows beside it, its plan's
indicators with their progress, and the activities behind them (scorecards.py builds the answer)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.engine import Row
from sqlalchemy.types import NullType

from services.scoring.adapters.tables import (
    behaviour_assessments,
    closed_periods,
    contributions,
    employee_scores,
    employees,
    field_visits,
    indicator_progress,
    plan_indicators,
    rating_decisions,
)
from services.scoring.domain.activity import ActivityStatus
from services.scoring.domain.periods import Period, PeriodKind
from services.scoring.service_layer.queries.common import TEXT_ARRAY
from services.scoring.service_layer.views import employee_assignment
from shared.region_reads import Reads

#: An instant as PostgreSQL's to_char writes it in UTC, for ``datetime.fromisoformat``.
_UTC_INSTANT = 'YYYY-MM-DD"T"HH24:MI:SS.US'

# The hot reads' statements are built once, with bind parameters: SQLAlchemy then memoises their
# cache keys and reuses the compiled SQL, which is most of a statement's cost in Python.

#: What the scorecard shows of a plan indicator or computes its target from, then its progress row's.
_INDICATOR_COLUMNS = (
    plan_indicators.c.indicator_id,
    plan_indicators.c.code,
    plan_indicators.c.name,
    plan_indicators.c.result_id,
    plan_indicators.c.result_kind,
    plan_indicators.c.aspect,
    plan_indicators.c.direction,
    plan_indicators.c.aggregation,
    plan_indicators.c.unit_of_measure,
    plan_indicators.c.target,
    plan_indicators.c.qualitative_target,
    plan_indicators.c.period_targets,
)
_PROGRESS_COLUMNS = {
    "progress_indicator_id": indicator_progress.c.indicator_id,
    "progress_target": indicator_progress.c.target,
    "realisation": indicator_progress.c.realisation,
    "verified_share": indicator_progress.c.verified_share,
    "achievement": indicator_progress.c.achievement,
    "activity_count": indicator_progress.c.activity_count,
    "verified_count": indicator_progress.c.verified_count,
    "rejected_count": indicator_progress.c.rejected_count,
    "last_occurred_at": indicator_progress.c.last_occurred_at,
    "last_activity_id": indicator_progress.c.last_activity_id,
    "events_applied": indicator_progress.c.events_applied,
    "last_event_id": indicator_progress.c.last_event_id,
    "updated_at": indicator_progress.c.updated_at,
}

#: A plan indicator with its progress row of the period (its fields None when there is none).
IndicatorRow = namedtuple(  # type: ignore[misc]
    "IndicatorRow", [column.name for column in _INDICATOR_COLUMNS] + list(_PROGRESS_COLUMNS)
)

#: An instant as the answer writes a time a device sent (pydantic's format): the wall time at the
#: offset the device sent (in minutes; none kept: UTC), microseconds only when there are any, and
#: the offset as ``Z`` or ``+HH:MM``.
_AS_SENT = """CASE WHEN {at} IS NULL THEN 'null' ELSE '"'
    || replace(to_char(({at} AT TIME ZONE 'UTC') + make_interval(mins => coalesce({offset}, 0)),
                       'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '')
    || CASE WHEN coalesce({offset}, 0) = 0 THEN 'Z'
            ELSE CASE WHEN {offset} < 0 THEN '-' ELSE '+' END || to_char(abs({offset}) / 60, 'FM00')
                 || ':' || to_char(abs({offset}) % 60, 'FM00') END
    || '"' END"""


def _decimal_json(column: str) -> str:
    """A numeric as the answer writes a ``Decimal``: its text in quotes (the views keep four places,
    whose text is ``str(Decimal)``'s), or null."""
    return f"""coalesce('"' || {column}::text || '"', 'null')"""


#: An activity as the answer's ``ActivityRead`` writes it, fields in its order, compact: written by
#: PostgreSQL, so that the activities (most of a scorecard) are neither decoded, validated nor
#: serialized again in Python; ``test_scoring_scorecard_json`` holds it to the validated model's JSON.
_ACTIVITY_JSON = (
    """'{"activity_id":' || to_json(c.activity_id)::text"""
    + """ || ',"occurred_at":' || """
    + _AS_SENT.format(at="c.occurred_at", offset="c.occurred_utc_offset")
    + """ || ',"quantity":' || """
    + _decimal_json("c.quantity")
    + """ || ',"denominator":' || """
    + _decimal_json("c.denominator")
    + """ || ',"status":' || to_json(c.status)::text"""
    + f""" || ',"counted":' || (c.status <> '{ActivityStatus.REJECTED.value}')::text"""
    + """ || ',"corrected":' || c.measure_corrected::text"""
    + """ || ',"evidence_count":' || jsonb_array_length(c.evidence_sha256)::text || '}'"""
)


def _activity_lists(whole_year: bool) -> Any:
    """The employee's reported activities of the period (or of the whole year) by indicator, each
    indicator's as the answer's JSON list in time order: ``activity_indicators`` and, in the same
    order, their ``activity_lists``."""
    c = contributions.alias("c")
    by_indicator = (
        select(
            c.c.indicator_id,
            literal_column(
                f"'[' || string_agg({_ACTIVITY_JSON}, ',' ORDER BY c.occurred_at, c.activity_id) || ']'",
                String,
            ).label("activities"),
        )
        .where(
            c.c.region_id == bindparam("region_id", type_=String),
            c.c.employee_id == bindparam("employee_id", type_=String),
            c.c.reported.is_(True),
            c.c.year == bindparam("year", type_=Integer)
            if whole_year
            else c.c.period == bindparam("period", type_=String),
        )
        .group_by(c.c.indicator_id)
        .subquery("by_indicator")
    )
    indicator_id = cast(by_indicator.c.indicator_id, Text)  # text[]: see TEXT_ARRAY
    return select(
        func.array_agg(indicator_id, type_=TEXT_ARRAY).label("activity_indicators"),
        func.array_agg(by_indicator.c.activities, type_=TEXT_ARRAY).label("activity_lists"),
    ).lateral("activity_lists")


def _records(rows: Any) -> Any:
    """Rows aggregated into one column as anonymous records (``array_agg(row(...))``): asyncpg gives
    them as tuples of its own values, the types coerced so that SQLAlchemy leaves them alone."""
    return type_coerce(rows, NullType())


def _indicator_rows() -> Any:
    """The summary's plan's indicators in plan order, each with its progress row of the period."""
    return _records(
        select(
            func.array_agg(
                aggregate_order_by(
                    func.row(*_INDICATOR_COLUMNS, *_PROGRESS_COLUMNS.values()), plan_indicators.c.position
                )
            )
        )
        .select_from(
            plan_indicators.outerjoin(
                indicator_progress,
                and_(
                    indicator_progress.c.region_id == bindparam("region_id", type_=String),
                    indicator_progress.c.employee_id == bindparam("employee_id", type_=String),
                    indicator_progress.c.period == bindparam("period", type_=String),
                    indicator_progress.c.indicator_id == plan_indicators.c.indicator_id,
                ),
            )
        )
        .where(
            plan_indicators.c.plan_id == employee_scores.c.plan_id,
            plan_indicators.c.region_id == bindparam("region_id", type_=String),
        )
        .scalar_subquery()
    )


def indicators_with_progress(rows: Iterable[tuple[Any, ...]] | None) -> list[Any]:
    """The plan's indicators with their progress (``_indicator_rows``), read by column name."""
    return [IndicatorRow(*row) for row in rows or ()]


#: The latest rating decision on an employee-period (to tell whether the proposal changed since).
_latest_decision = (
    select(
        rating_decisions.c.decision_id.label("latest_decision_id"),
        rating_decisions.c.proposed_result_rating.label("latest_proposed_result_rating"),
        rating_decisions.c.proposed_behaviour_rating.label("latest_proposed_behaviour_rating"),
    )
    .where(
        rating_decisions.c.region_id == employee_scores.c.region_id,
        rating_decisions.c.employee_id == employee_scores.c.employee_id,
        rating_decisions.c.period == employee_scores.c.period,
    )
    .order_by(rating_decisions.c.decided_at.desc())
    .limit(1)
    .lateral("latest_decision")
)


_SCORECARD_SUMMARY_FROM = employee_scores.outerjoin(_latest_decision, true()).outerjoin(
    behaviour_assessments,
    and_(
        behaviour_assessments.c.region_id == employee_scores.c.region_id,
        behaviour_assessments.c.assessment_id == employee_scores.c.behaviour_assessment_id,
    ),
)


@cache
def scorecard_summary_statement(whole_year: bool) -> Any:
    region_id = bindparam("region_id", type_=String)
    employee_id = bindparam("employee_id", type_=String)
    lists = _activity_lists(whole_year)
    # The employee's field visits of the period (or of every period of a year) in time order, each
    # [visit_id, supervisor_id, visited_at in UTC, its device offset, location, findings, follow-up].
    visits = (
        select(
            func.jsonb_agg(
                aggregate_order_by(
                    func.jsonb_build_array(
                        field_visits.c.visit_id,
                        field_visits.c.supervisor_id,
                        func.to_char(func.timezone("UTC", field_visits.c.visited_at), _UTC_INSTANT),
                        field_visits.c.visited_utc_offset,
                        field_visits.c.location,
                        field_visits.c.findings,
                        field_visits.c.follow_up,
                    ),
                    field_visits.c.visited_at,
                )
            )
        )
        .where(
            field_visits.c.region_id == region_id,
            field_visits.c.employee_id == employee_id,
            field_visits.c.period.like(bindparam("pattern", type_=String))
            if whole_year
            else field_visits.c.period == bindparam("period", type_=String),
        )
        .scalar_subquery()
    )
    closed = (
        select(closed_periods.c.period)
        .where(
            closed_periods.c.region_id == region_id,
            or_(
                closed_periods.c.period == bindparam("period", type_=String),
                closed_periods.c.period == bindparam("year_key", type_=String),
            ),
        )
        .exists()
    )
    supervisor = employee_assignment(
        select(employees.c.supervisor_id).where(
            employees.c.region_id == region_id, employees.c.employee_id == employee_id
        )
    ).scalar_subquery()
    return (
        select(
            employee_scores,
            closed.label("period_closed"),
            supervisor.label("team_supervisor_id"),
            behaviour_assessments.c.assessment_id.label("assessment_found_id"),
            behaviour_assessments.c.assessor_id.label("assessment_assessor_id"),
            behaviour_assessments.c.proposed_rating.label("assessment_proposed_rating"),
            behaviour_assessments.c.scores.label("assessment_scores"),
            behaviour_assessments.c.submitted_at.label("assessment_submitted_at"),
            _latest_decision,
            type_coerce(visits, JSONB).label("field_visits_found"),
            _indicator_rows().label("indicator_rows"),
            lists.c.activity_indicators,
            lists.c.activity_lists,
        )
        .select_from(_SCORECARD_SUMMARY_FROM.outerjoin(lists, true()))
        .where(
            employee_scores.c.region_id == region_id,
            employee_scores.c.employee_id == employee_id,
            employee_scores.c.period == bindparam("period", type_=String),
        )
    )


async def scorecard_summary(
    session: Reads, region_id: str, employee_id: str, period: Period
) -> Row[Any] | None:
    """The employee-period view row with, in the same statement, what the scorecard shows beside it.

    Whether the period (or its year) is closed, the employee's supervisor in the team read model,
    the rater's behaviour assessment behind the proposal, the latest rating decision, the field
    visits, the plan's indicators with their progress (``indicator_rows``) and the activities of
    the period by indicator, as the answer's JSON (``activity_lists``): one round trip instead of
    eight, each through an index.
    """
    whole_year = period.kind is PeriodKind.YEAR
    parameters = {
        "region_id": region_id,
        "employee_id": employee_id,
        "period": period.key,
        "year_key": f"{period.year:04d}",
    } | ({"pattern": f"{period.year:04d}%", "year": period.year} if whole_year else {})
    return (await session.execute(scorecard_summary_statement(whole_year), parameters)).first()
