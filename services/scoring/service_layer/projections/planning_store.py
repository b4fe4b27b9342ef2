"""A batch's employee and plan events stored at its end, a statement for many, in their order.

A rebuild's first phase applies thousands of planning events (an assignment and a plan an employee)
before any activity; a statement each was a round trip an event, the first phase waiting on
PostgreSQL. The handlers queue a ``PlanningWrite``; ``store_planning`` writes a region's queue
before its plans in force are marked, each run of rows that share no key as one statement (an
upsert cannot change one row twice), and then touches the employee-years as each event did, in
the events' order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import employees, plan_indicators, plans
from services.scoring.service_layer.projections.backlog import PlanningKind, PlanningWrite, RegionWork
from services.scoring.service_layer.views import touch
from shared.json_rows import insert_from_json_rows, json_rows
from shared.read_models import stored_if_newer

#: An employee's assignment: every column ``on_employee_upserted`` writes.
EMPLOYEE_COLUMNS = (
    "employee_id",
    "region_id",
    "name",
    "unit_id",
    "position",
    "job_type",
    "supervisor_id",
    "effective_from",
    "stamp_at",
    "last_event_id",
    "updated_at",
)
#: An approved plan's columns.
PLAN_COLUMNS = (
    "plan_id",
    "region_id",
    "employee_id",
    "year",
    "version",
    "rater_id",
    "unit_id",
    "job_type",
    "approved",
    "superseded",
    "last_event_id",
    "updated_at",
)
#: A plan's columns a later approval does not replace: its key, and a supersession that arrived
#: first stays (approval never un-supersedes a plan).
_PLAN_KEPT = ("plan_id", "region_id", "employee_id", "year", "superseded")
#: Every column of a plan indicator.
_INDICATOR_COLUMNS = tuple(column.name for column in plan_indicators.c)


async def store_planning(session: AsyncSession, work: RegionWork) -> None:
    """Store the region's queued planning events, then touch what each changed, in their order."""
    writes, work.planning = work.planning, []
    if not writes:
        return
    changed = await _store_employees(session, [w for w in writes if w.kind is PlanningKind.EMPLOYEE])
    await _store_approvals(session, [w for w in writes if w.kind is PlanningKind.PLAN_APPROVED])
    for write in writes:
        row, envelope = write.row, write.envelope
        if write.kind is PlanningKind.EMPLOYEE:
            # Only a newer assignment changes the row; the summaries name the employee's unit, job
            # type and rater: every year of them.
            if write.event_id in changed:
                touch(work.employee_years, (row["employee_id"], None), write.event_id, envelope.occurred_at)
            continue
        work.plan_years.add((row["employee_id"], row["year"]))  # its plan in force marked next
        touch(work.employee_years, (row["employee_id"], row["year"]), write.event_id, envelope.occurred_at)


def _runs(writes: list[PlanningWrite], key: tuple[str, ...]) -> list[list[PlanningWrite]]:
    """The writes in order, cut where a row's key repeats one of its run's."""
    runs: list[list[PlanningWrite]] = []
    seen: set[tuple[Any, ...]] = set()
    for write in writes:
        found = tuple(write.row[name] for name in key)
        if not runs or found in seen:
            runs.append([])
            seen = set()
        runs[-1].append(write)
        seen.add(found)
    return runs


async def _store_employees(session: AsyncSession, writes: list[PlanningWrite]) -> set[str]:
    """The assignments upserted (the newer fact wins); the ids of the events that changed a row."""
    changed: set[str] = set()
    for run in _runs(writes, _EMPLOYEE_KEY):
        stored = await session.execute(
            _UPSERT_EMPLOYEES, {"rows": json_rows((write.row for write in run), EMPLOYEE_COLUMNS)}
        )
        changed.update(stored.scalars())
    return changed


async def _store_approvals(session: AsyncSession, approvals: list[PlanningWrite]) -> None:
    """Approved plans upserted and their indicators inserted, a run at once."""
    for run in _runs(approvals, _PLAN_KEY):
        await session.execute(_UPSERT_PLANS, {"rows": json_rows((write.row for write in run), PLAN_COLUMNS)})
        indicators = [indicator for write in run for indicator in write.indicators]
        if indicators:
            await session.execute(_INSERT_INDICATORS, {"rows": json_rows(indicators, _INDICATOR_COLUMNS)})


_EMPLOYEE_KEY = ("region_id", "employee_id", "effective_from")
_PLAN_KEY = ("region_id", "plan_id")


def _upsert_employees_statement() -> Any:
    statement = insert_from_json_rows(employees, EMPLOYEE_COLUMNS)
    return statement.on_conflict_do_update(
        index_elements=list(_EMPLOYEE_KEY),
        set_={name: statement.excluded[name] for name in EMPLOYEE_COLUMNS if name not in _EMPLOYEE_KEY},
        where=stored_if_newer(employees, statement.excluded, stamp_id="last_event_id"),
    ).returning(employees.c.last_event_id)


def _upsert_plans_statement() -> Any:
    statement = insert_from_json_rows(plans, PLAN_COLUMNS)
    return statement.on_conflict_do_update(
        index_elements=list(_PLAN_KEY),
        set_={name: statement.excluded[name] for name in PLAN_COLUMNS if name not in _PLAN_KEPT},
    )


# Built once: each runs for every batch with planning's events.
_UPSERT_EMPLOYEES = _upsert_employees_statement()
_UPSERT_PLANS = _upsert_plans_statement()
# A second approval of a plan inserts no indicator again.
_INSERT_INDICATORS = insert_from_json_rows(plan_indicators, _INDICATOR_COLUMNS).on_conflict_do_nothing(
    index_elements=["region_id", "plan_id", "indicator_id"]
)
