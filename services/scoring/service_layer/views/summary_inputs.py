"""What the summary refresh reads for a batch's employee-period rows: one statement per fact.

Each reader takes every touched key at once (``per_key``: an index look-up per key) and returns the
rows by key, so the refresh itself is a loop over the keys with no I/O. The statements are built
once, the keys their array parameters. The short SQL aliases
("k", "s", ...) name the derived tables in the statement text only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.sql_arrays import keys_table, per_key
from services.scoring.adapters.tables import (
    behaviour_assessments,
    employee_scores,
    employees,
    indicator_judgements,
    indicator_progress,
    plans,
    rating_decisions,
)
from services.scoring.domain.achievement import Judgement
from services.scoring.service_layer.views.plans import PlannedIndicators, plan_indicators_in_force
from services.scoring.service_layer.views.records import employee_assignment
from services.scoring.service_layer.views.touches import SummaryKey


@dataclass
class SummaryInputs:
    """The stored facts behind a batch's employee-period rows, each by its key."""

    #: The rows stored already, each with the unit it names (not its content).
    stored: dict[SummaryKey, Any]
    plans_in_force: dict[tuple[str, int], Any]
    indicator_rows: PlannedIndicators
    progress: dict[SummaryKey, dict[str, Any]]
    assessments: dict[SummaryKey, Any]
    judgements: dict[SummaryKey, dict[str, Judgement]]
    decisions: dict[SummaryKey, Any]
    assignments: dict[str, Any]


async def read_summary_inputs(
    session: AsyncSession, region_id: str, keys: list[SummaryKey], planned: PlannedIndicators | None
) -> SummaryInputs:
    """Every fact the given rows are computed from (``planned``: the plans in force, if read already)."""
    employee_ids = sorted({employee_id for employee_id, _ in keys})
    stored = await _stored_summaries(session, region_id, keys)
    plans_in_force = await _plans_in_force(session, region_id, employee_ids)
    indicator_rows = (
        planned if planned is not None else await plan_indicators_in_force(session, region_id, employee_ids)
    )
    progress = await _progress_rows(session, region_id, keys)
    assessments = await _rater_assessments(session, region_id, keys)
    # Only an indicator without an annual target can be qualitative (judged): plans with numbers only,
    # the usual batch, need no look-up.
    judged = any(row.target is None for rows in indicator_rows.values() for row in rows)
    judgements = await _judgements(session, region_id, keys) if judged else {}
    decisions = await _latest_decisions(session, region_id, keys)
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
    return {
        "region_id": region_id,
        "employee_id": [employee_id for employee_id, _ in keys],
        "period": [period for _, period in keys],
    }


def _stored_summaries_statement() -> Any:
    # Which rows exist and the unit each names (the rollups it was counted in): the upsert compares
    # the content itself, so the JSON documents are not read back.
    key_table, scores = _summary_keys(), employee_scores.c
    query = select(scores.employee_id, scores.period, scores.unit_id).where(
        scores.region_id == bindparam("region_id"),
        scores.employee_id == key_table.c.employee_id,
        scores.period == key_table.c.period,
    )
    return per_key(key_table, query, "s")


def _plans_in_force_statement() -> Any:
    key_table = _employee_keys()
    query = select(plans).where(
        plans.c.region_id == bindparam("region_id"),
        plans.c.employee_id == key_table.c.employee_id,
        plans.c.in_force.is_(True),
    )
    return per_key(key_table, query, "p")


def _progress_rows_statement() -> Any:
    key_table, progress = _summary_keys(), indicator_progress.c
    query = select(indicator_progress).where(
        progress.region_id == bindparam("region_id"),
        progress.employee_id == key_table.c.employee_id,
        progress.period == key_table.c.period,
    )
    return per_key(key_table, query, "p")


def _rater_assessments_statement() -> Any:
    key_table, assessments = _summary_keys(), behaviour_assessments.c
    query = (
        select(behaviour_assessments)
        .where(
            assessments.region_id == bindparam("region_id"),
            assessments.employee_id == key_table.c.employee_id,
            assessments.period == key_table.c.period,
            assessments.assessor_role == "rater",
        )
        .order_by(assessments.submitted_at.desc(), assessments.assessment_id.collate("C").desc())
        .limit(1)
    )
    return per_key(key_table, query, "b")


def _judgements_statement() -> Any:
    key_table, judgements = _summary_keys(), indicator_judgements.c
    query = select(indicator_judgements).where(
        judgements.region_id == bindparam("region_id"),
        judgements.employee_id == key_table.c.employee_id,
        judgements.period == key_table.c.period,
    )
    return per_key(key_table, query, "j")


def _latest_decisions_statement() -> Any:
    # The rater's latest decision is a fact of the row like its proposals: a rebuild, which keeps
    # the decisions, then writes the same rows as the live views did.
    key_table, decisions = _summary_keys(), rating_decisions.c
    query = (
        select(rating_decisions)
        .where(
            decisions.region_id == bindparam("region_id"),
            decisions.employee_id == key_table.c.employee_id,
            decisions.period == key_table.c.period,
        )
        .order_by(decisions.decided_at.desc(), decisions.decision_id.collate("C").desc())
        .limit(1)
    )
    return per_key(key_table, query, "d")


def _assignments_today_statement() -> Any:
    key_table = _employee_keys()
    query = employee_assignment(
        select(employees).where(
            employees.c.region_id == bindparam("region_id"),
            employees.c.employee_id == key_table.c.employee_id,
        )
    )
    return per_key(key_table, query, "w")


# Each built once (see ``sql_arrays``).
_STORED_SUMMARIES = _stored_summaries_statement()
_PLANS_IN_FORCE = _plans_in_force_statement()
_PROGRESS_ROWS = _progress_rows_statement()
_RATER_ASSESSMENTS = _rater_assessments_statement()
_JUDGEMENTS = _judgements_statement()
_LATEST_DECISIONS = _latest_decisions_statement()
_ASSIGNMENTS_TODAY = _assignments_today_statement()


async def _stored_summaries(
    session: AsyncSession, region_id: str, keys: list[SummaryKey]
) -> dict[SummaryKey, Any]:
    rows = await session.execute(_STORED_SUMMARIES, _by_summary_keys(keys, region_id))
    return {(row.employee_id, row.period): row for row in rows}


async def _plans_in_force(
    session: AsyncSession, region_id: str, employee_ids: list[str]
) -> dict[tuple[str, int], Any]:
    rows = await session.execute(_PLANS_IN_FORCE, {"region_id": region_id, "employee_id": employee_ids})
    return {(row.employee_id, row.year): row for row in rows}


async def _progress_rows(
    session: AsyncSession, region_id: str, keys: list[SummaryKey]
) -> dict[SummaryKey, dict[str, Any]]:
    """Each row's progress rows, by indicator."""
    found: dict[SummaryKey, dict[str, Any]] = {}
    for row in await session.execute(_PROGRESS_ROWS, _by_summary_keys(keys, region_id)):
        found.setdefault((row.employee_id, row.period), {})[row.indicator_id] = row
    return found


async def _rater_assessments(
    session: AsyncSession, region_id: str, keys: list[SummaryKey]
) -> dict[SummaryKey, Any]:
    """Each row's latest behaviour assessment by the rater (it proposes the behaviour rating)."""
    rows = await session.execute(_RATER_ASSESSMENTS, _by_summary_keys(keys, region_id))
    return {(row.employee_id, row.period): row for row in rows}


async def _judgements(
    session: AsyncSession, region_id: str, keys: list[SummaryKey]
) -> dict[SummaryKey, dict[str, Judgement]]:
    """The rater's judgements of each row's qualitative indicators, by indicator."""
    found: dict[SummaryKey, dict[str, Judgement]] = {}
    for row in await session.execute(_JUDGEMENTS, _by_summary_keys(keys, region_id)):
        found.setdefault((row.employee_id, row.period), {})[row.indicator_id] = Judgement(row.judgement)
    return found


async def _latest_decisions(
    session: AsyncSession, region_id: str, keys: list[SummaryKey]
) -> dict[SummaryKey, Any]:
    """Each row's latest rating decision by the rater."""
    rows = await session.execute(_LATEST_DECISIONS, _by_summary_keys(keys, region_id))
    return {(row.employee_id, row.period): row for row in rows}


async def _assignments_today(
    session: AsyncSession, region_id: str, employee_ids: list[str]
) -> dict[str, Any]:
    """Each employee's assignment holding today (unit, job type, rater)."""
    rows = await session.execute(_ASSIGNMENTS_TODAY, {"region_id": region_id, "employee_id": employee_ids})
    return {row.employee_id: row for row in rows}
