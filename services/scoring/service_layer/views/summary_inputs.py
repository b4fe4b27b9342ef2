"""What the summary refresh reads for a batch's employee-period rows: a few statements, each for
every touched key at once.

Each reader takes every touched key at once (``per_key``: an index look-up per key) and returns the
rows by key, so the refresh itself is a loop over the keys with no I/O. What a row has at most one
of (whether it is stored, the rater's latest assessment and decision) comes in one statement:
with small batches each statement's own cost outweighs its rows'. The statements are built
once, the keys their one parameter (``keys_table``). The short SQL aliases ("k", "s", ...) name the
derived tables in the statement text only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, null, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.sql_arrays import key_rows, keys_table, per_key
from services.scoring.adapters.tables import (
    behaviour_assessments,
    employee_scores,
    employees,
    indicator_judgements,
    indicator_progress,
    plans,
    rating_decisions,
    region_settings,
)
from services.scoring.domain.achievement import Judgement
from services.scoring.service_layer.views.named_rows import named_rows
from services.scoring.service_layer.views.plans import (
    PlannedIndicators,
    by_employees,
    plan_indicators_in_force,
)
from services.scoring.service_layer.views.progress import FreshRows
from services.scoring.service_layer.views.touches import SummaryKey
from shared.read_models import one_holding_on_day, region_today


@dataclass
class SummaryInputs:
    """The stored facts behind a batch's employee-period rows, each by its key."""

    #: The rows stored already (their content is not read: the upsert compares it).
    stored: set[SummaryKey]
    plans_in_force: dict[tuple[str, int], Any]
    indicator_rows: PlannedIndicators
    progress: dict[SummaryKey, dict[str, Any]]
    assessments: dict[SummaryKey, Any]
    judgements: dict[SummaryKey, dict[str, Judgement]]
    decisions: dict[SummaryKey, Any]
    assignments: dict[str, Any]


async def read_summary_inputs(
    session: AsyncSession,
    region_id: str,
    keys: list[SummaryKey],
    planned: PlannedIndicators | None,
    fresh: FreshRows | None = None,
    none_stored: bool = False,
) -> SummaryInputs:
    """Every fact the given rows are computed from (``planned``: the plans in force, if read already;
    ``fresh``: progress rows as the batch's progress refresh left them, not read back;
    ``none_stored``: none of the rows is stored, and none is looked up)."""
    employee_ids = sorted({employee_id for employee_id, _ in keys})
    stored, assessments, decisions = await _row_facts(session, region_id, keys, none_stored)
    plans_in_force = await _plans_in_force(session, region_id, employee_ids)
    indicator_rows = (
        planned if planned is not None else await plan_indicators_in_force(session, region_id, employee_ids)
    )
    progress = await _progress_of(session, region_id, keys, indicator_rows, fresh or {})
    # Only an indicator without an annual target can be qualitative (judged): plans with numbers only,
    # the usual batch, need no look-up.
    judged = any(row.target is None for rows in indicator_rows.values() for row in rows)
    judgements = await _judgements(session, region_id, keys) if judged else {}
    assignments = await _assignments_today(session, region_id, employee_ids)
    return SummaryInputs(
        stored, plans_in_force, indicator_rows, progress, assessments, judgements, decisions, assignments
    )


def _summary_keys() -> Any:
    return keys_table("k", {"employee_id": String(), "period": String()})


def _employee_keys() -> Any:
    return keys_table("e", {"employee_id": String()})


def _by_summary_keys(keys: list[SummaryKey], region_id: str) -> dict[str, Any]:
    """The parameters of a statement over ``_summary_keys``."""
    return {"region_id": region_id, "keys": key_rows(keys)}


def _row_facts_statement(*, none_stored: bool = False) -> Any:
    """What each row has one of, in one statement: whether it is stored, the rater's latest
    behaviour assessment and latest decision (``none_stored``: whether it is stored not looked up,
    none is: a rebuild's fresh schema).

    The upsert compares the stored content itself, so the JSON documents are not read back; the
    assessment and the decision keep their tables' column names (they differ), so a result row
    stands for each of the three.
    """
    key_table = _summary_keys()
    scores, assessments, decisions = employee_scores.c, behaviour_assessments.c, rating_decisions.c
    stored = (
        select(scores.unit_id.label("stored_unit_id"))
        .where(
            scores.region_id == bindparam("region_id"),
            scores.employee_id == key_table.c.employee_id,
            scores.period == key_table.c.period,
        )
        .offset(0)
        .lateral("s")
    )
    assessment = (
        select(assessments.assessment_id, assessments.proposed_rating, assessments.scores)
        .where(
            assessments.region_id == bindparam("region_id"),
            assessments.employee_id == key_table.c.employee_id,
            assessments.period == key_table.c.period,
            assessments.assessor_role == "rater",
        )
        .order_by(assessments.submitted_at.desc(), assessments.assessment_id.collate("C").desc())
        .limit(1)
        .offset(0)
        .lateral("b")
    )
    # The rater's latest decision is a fact of the row like its proposals: a rebuild, which keeps
    # the decisions, then writes the same rows as the live views did.
    decision = (
        select(
            decisions.decision_id,
            decisions.result_rating,
            decisions.behaviour_rating,
            decisions.predicate,
            decisions.overridden,
            decisions.reason,
            decisions.rater_id,
            decisions.decided_at,
        )
        .where(
            decisions.region_id == bindparam("region_id"),
            decisions.employee_id == key_table.c.employee_id,
            decisions.period == key_table.c.period,
        )
        .order_by(decisions.decided_at.desc(), decisions.decision_id.collate("C").desc())
        .limit(1)
        .offset(0)
        .lateral("d")
    )
    if none_stored:
        return (
            select(key_table, null().label("stored_unit_id"), assessment, decision)
            .select_from(key_table)
            .outerjoin(assessment, true())
            .outerjoin(decision, true())
        )
    return (
        select(key_table, stored, assessment, decision)
        .select_from(key_table)
        .outerjoin(stored, true())
        .outerjoin(assessment, true())
        .outerjoin(decision, true())
    )


#: What a summary reads of its plan in force (``summaries``): its id and whom it names.
_PLAN_COLUMNS = ("employee_id", "year", "plan_id", "unit_id", "job_type", "rater_id")


def _plans_in_force_statement() -> Any:
    """Each employee's plans in force, the columns a summary reads only (not the versions, flags and
    stamps)."""
    key_table = _employee_keys()
    query = select(*(plans.c[name] for name in _PLAN_COLUMNS)).where(
        plans.c.region_id == bindparam("region_id"),
        plans.c.employee_id == key_table.c.employee_id,
        plans.c.in_force.is_(True),
    )
    return per_key(key_table, query, "p")


#: What a summary reads of its progress rows: the totals (``progress.totals_of``) and the count.
_PROGRESS_COLUMNS = (
    "employee_id",
    "period",
    "indicator_id",
    "activity_count",
    "quantity_sum",
    "denominator_sum",
    "last_quantity",
    "verified_count",
    "verified_quantity_sum",
    "verified_denominator_sum",
    "verified_last_quantity",
)


def _progress_rows_statement() -> Any:
    """Each summary's progress rows, the columns it reads only: decoding the other twelve (numbers
    and stamps) was two thirds of the client's work for the rows."""
    key_table, progress = _summary_keys(), indicator_progress.c
    query = select(*(progress[name] for name in _PROGRESS_COLUMNS)).where(
        progress.region_id == bindparam("region_id"),
        progress.employee_id == key_table.c.employee_id,
        progress.period == key_table.c.period,
    )
    return per_key(key_table, query, "p")


def _judgements_statement() -> Any:
    key_table, judgements = _summary_keys(), indicator_judgements.c
    query = select(indicator_judgements).where(
        judgements.region_id == bindparam("region_id"),
        judgements.employee_id == key_table.c.employee_id,
        judgements.period == key_table.c.period,
    )
    return per_key(key_table, query, "j")


#: What a summary reads of an employee's assignment (``summaries``): where it is and who rates it.
_ASSIGNMENT_COLUMNS = ("employee_id", "unit_id", "job_type", "supervisor_id")


def _assignments_today_statement() -> Any:
    """Each employee's assignment holding today (``employee_assignment``'s rule), the columns a
    summary reads only (not the name, position, dates and stamps).

    Today is the region's, of the region parameter: the zone is then looked up once a statement,
    not twice a key as by each row's region (``employee_assignment``, for reads of any region).
    """
    key_table = _employee_keys()
    region_id = bindparam("region_id", type_=String())
    query = one_holding_on_day(
        select(*(employees.c[name] for name in _ASSIGNMENT_COLUMNS)).where(
            employees.c.region_id == region_id,
            employees.c.employee_id == key_table.c.employee_id,
        ),
        employees,
        region_today(region_settings, region_id),
    )
    return per_key(key_table, query, "w")


# Each built once (see ``sql_arrays``).
_ROW_FACTS = _row_facts_statement()
_ROW_FACTS_NONE_STORED = _row_facts_statement(none_stored=True)
_PLANS_IN_FORCE = _plans_in_force_statement()
_PROGRESS_ROWS = _progress_rows_statement()
_JUDGEMENTS = _judgements_statement()
_ASSIGNMENTS_TODAY = _assignments_today_statement()


async def _row_facts(
    session: AsyncSession, region_id: str, keys: list[SummaryKey], none_stored: bool
) -> tuple[set[SummaryKey], dict[SummaryKey, Any], dict[SummaryKey, Any]]:
    """The rows stored, the rater's latest behaviour assessment of each (it proposes the behaviour
    rating) and the rater's latest decision, by key."""
    stored: set[SummaryKey] = set()
    assessments: dict[SummaryKey, Any] = {}
    decisions: dict[SummaryKey, Any] = {}
    statement = _ROW_FACTS_NONE_STORED if none_stored else _ROW_FACTS
    for row in named_rows(await session.execute(statement, _by_summary_keys(keys, region_id))):
        key = (row.employee_id, row.period)
        if row.stored_unit_id is not None:
            stored.add(key)
        if row.assessment_id is not None:
            assessments[key] = row
        if row.decision_id is not None:
            decisions[key] = row
    return stored, assessments, decisions


async def _plans_in_force(
    session: AsyncSession, region_id: str, employee_ids: list[str]
) -> dict[tuple[str, int], Any]:
    rows = await session.execute(_PLANS_IN_FORCE, by_employees(region_id, employee_ids))
    return {(row.employee_id, row.year): row for row in named_rows(rows)}


async def _progress_of(
    session: AsyncSession,
    region_id: str,
    keys: list[SummaryKey],
    indicator_rows: PlannedIndicators,
    fresh: FreshRows,
) -> dict[SummaryKey, dict[str, Any]]:
    """Each row's progress rows, by indicator: those of its planned indicators the progress refresh
    has just left (``fresh``) as it left them, and read only for rows with a planned indicator
    outside it (a summary reads only its planned indicators' rows)."""
    found: dict[SummaryKey, dict[str, Any]] = {}
    unknown = [
        (employee_id, period)
        for employee_id, period in keys
        if any(
            (employee_id, row.indicator_id, period) not in fresh
            for row in indicator_rows.get((employee_id, int(period[:4])), ())
        )
    ]
    if unknown:
        for row in named_rows(await session.execute(_PROGRESS_ROWS, _by_summary_keys(unknown, region_id))):
            found.setdefault((row.employee_id, row.period), {})[row.indicator_id] = row
    for (employee_id, indicator_id, period), left in fresh.items():
        rows = found.setdefault((employee_id, period), {})
        if left is None:
            rows.pop(indicator_id, None)
        else:
            rows[indicator_id] = left
    return found


async def _judgements(
    session: AsyncSession, region_id: str, keys: list[SummaryKey]
) -> dict[SummaryKey, dict[str, Judgement]]:
    """The rater's judgements of each row's qualitative indicators, by indicator."""
    found: dict[SummaryKey, dict[str, Judgement]] = {}
    for row in await session.execute(_JUDGEMENTS, _by_summary_keys(keys, region_id)):
        found.setdefault((row.employee_id, row.period), {})[row.indicator_id] = Judgement(row.judgement)
    return found


async def _assignments_today(
    session: AsyncSession, region_id: str, employee_ids: list[str]
) -> dict[str, Any]:
    """Each employee's assignment holding today (unit, job type, rater)."""
    rows = await session.execute(_ASSIGNMENTS_TODAY, by_employees(region_id, employee_ids))
    return {row.employee_id: row for row in named_rows(rows)}
