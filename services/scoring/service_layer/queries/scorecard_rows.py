"""The rows an employee's scorecard is made of: its summary with what shows beside it, its plan's
indicators with their progress, and the activities behind them (scorecards.py builds the answer)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, func, or_, select, true, type_coerce
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
from services.scoring.service_layer.views import employee_assignment
from shared.region_reads import Reads
from shared.region_time import as_sent

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

_ACTIVITY_COLUMNS = (
    contributions.c.activity_id,
    contributions.c.indicator_id,
    contributions.c.occurred_at,
    contributions.c.occurred_utc_offset,
    contributions.c.quantity,
    contributions.c.denominator,
    contributions.c.status,
    contributions.c.measure_corrected,
    # The count is all the scorecard shows of the evidence: no JSON to decode per activity.
    func.jsonb_array_length(contributions.c.evidence_sha256),
)


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


def _activity_rows(whole_year: bool) -> Any:
    """The employee's reported activities of the period (or of the whole year) in time order."""
    return _records(
        select(
            func.array_agg(
                aggregate_order_by(
                    func.row(*_ACTIVITY_COLUMNS), contributions.c.occurred_at, contributions.c.activity_id
                )
            )
        )
        .where(
            contributions.c.region_id == bindparam("region_id", type_=String),
            contributions.c.employee_id == bindparam("employee_id", type_=String),
            contributions.c.reported.is_(True),
            contributions.c.year == bindparam("year", type_=Integer)
            if whole_year
            else contributions.c.period == bindparam("period", type_=String),
        )
        .scalar_subquery()
    )


def activities_by_indicator(rows: Iterable[tuple[Any, ...]] | None) -> dict[str, list[dict[str, Any]]]:
    """The activities (``_activity_rows``) by indicator, as the answer's ``ActivityRead`` takes them."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    rejected = ActivityStatus.REJECTED.value
    for (
        activity_id,
        indicator_id,
        occurred_at,
        offset,
        quantity,
        denominator,
        status,
        corrected,
        evidence_count,
    ) in rows or ():
        grouped.setdefault(indicator_id, []).append(
            {
                "activity_id": activity_id,
                "occurred_at": as_sent(occurred_at, offset),
                "quantity": quantity,
                "denominator": denominator,
                "status": status,
                "counted": status != rejected,
                "corrected": corrected,
                "evidence_count": evidence_count,
            }
        )
    return grouped


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
            _activity_rows(whole_year).label("activity_rows"),
        )
        .select_from(_SCORECARD_SUMMARY_FROM)
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
    the period (``activity_rows``): one round trip instead of eight, each through an index.
    """
    whole_year = period.kind is PeriodKind.YEAR
    parameters = {
        "region_id": region_id,
        "employee_id": employee_id,
        "period": period.key,
        "year_key": f"{period.year:04d}",
    } | ({"pattern": f"{period.year:04d}%", "year": period.year} if whole_year else {})
    return (await session.execute(scorecard_summary_statement(whole_year), parameters)).first()
