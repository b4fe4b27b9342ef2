"""Planning's employee and plan events stored a batch at once give what one event a batch gives.

The handlers queue their rows and the batch stores them at its end, a statement for each run of
rows sharing no key (``projections/planning_store.py``); one region gets the events in one batch,
another one event a batch, and every stored row must be the same but for the region and the ids of
the events (compared by their place in the stream).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scoring.adapters.tables import employee_scores, employees, plan_indicators, plans
from shared.contracts import Event
from shared.contracts.planning import EmployeeUpserted, WorkPlanApproved, WorkPlanSuperseded
from tests.conftest import new_region_id
from tests.integration.scoring_events import employee
from tests.integration.scoring_scenarios import T0, YEAR, counted_plan, wrap
from tests.integration.test_scoring_views import deliver, rows_of, scoring_db, scoring_service

pytestmark = pytest.mark.integration

__all__ = ["scoring_db", "scoring_service"]


def _assignment(region: str, employee_id: str, unit: str, effective_from: date) -> EmployeeUpserted:
    return employee(region, employee_id, "boss").model_copy(
        update={"name": f"{employee_id} in {unit}", "unit_id": unit, "effective_from": effective_from}
    )


def _stream(region: str) -> list[tuple[Event, int]]:
    """The events, each with its time (seconds after T0): one assignment's date told three times
    (the newest before an older one), another date, a plan approved, superseded and approved again,
    its next version, and a plan approved twice."""
    first = counted_plan(region, "e1").event
    assert isinstance(first, WorkPlanApproved)
    second = first.model_copy(update={"plan_id": "e1-p2", "version": 2})
    other = counted_plan(region, "e2").event
    superseded = WorkPlanSuperseded(
        region_id=region, plan_id=first.plan_id, employee_id="e1", year=YEAR, reason="revised"
    )
    return [
        (_assignment(region, "e1", "unit-1", date(YEAR, 1, 1)), 1),
        (_assignment(region, "e1", "unit-3", date(YEAR, 1, 1)), 30),
        (_assignment(region, "e1", "unit-2", date(YEAR, 1, 1)), 20),
        (_assignment(region, "e1", "unit-4", date(YEAR, 7, 1)), 2),
        (_assignment(region, "e2", "unit-1", date(YEAR, 1, 1)), 3),
        (first, 4),
        (superseded, 5),
        (first, 6),
        (second, 7),
        (other, 8),
        (other, 9),
    ]


async def _stored(factory: async_sessionmaker[AsyncSession], region: str, ids: dict[str, int]) -> Any:
    """Every row the events stored, without the region, its time of writing, and with each event id
    as its place in the stream."""
    tables = {}
    for table in (employees, plans, plan_indicators, employee_scores):
        rows = []
        for row in await rows_of(factory, region, table):
            values = row._asdict()
            del values["region_id"]
            values.pop("updated_at", None)
            if "last_event_id" in values:
                values["last_event_id"] = ids.get(values["last_event_id"])
            rows.append(values)
        tables[table.name] = sorted(rows, key=repr)
    return tables


async def test_planning_events_stored_a_batch_at_once_as_one_a_batch(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    stored = []
    for batches in ("one", "each"):
        region = new_region_id()
        deliveries = [wrap(event, T0 + timedelta(seconds=at)) for event, at in _stream(region)]
        if batches == "one":
            await deliver(scoring_db, deliveries)
        else:
            for delivery in deliveries:
                await deliver(scoring_db, [delivery])
        ids = {str(delivery.envelope.event_id): place for place, delivery in enumerate(deliveries)}
        stored.append(await _stored(scoring_db, region, ids))
    one, each = stored
    # A summary names the last event that touched it in its batch, even when its refresh found it
    # unchanged; one event a batch leaves the one before (e2's plan approved again, event 10).
    last = {(row["employee_id"], row["period"]): row.pop("last_event_id") for row in one["employee_scores"]}
    for row in each["employee_scores"]:
        row.pop("last_event_id")
    assert one == each
    assert set(last.values()) == {8, 10}
    assert {employee for (employee, _), event in last.items() if event == 8} == {"e1"}
    # What the stream says: the newest fact of a date wins, a supersession stays, the highest
    # version in force.
    names = {(row["employee_id"], row["effective_from"]): row["name"] for row in one["employees"]}
    assert names[("e1", date(YEAR, 1, 1))] == "e1 in unit-3"
    in_force = {row["plan_id"]: (row["superseded"], row["in_force"]) for row in one["plans"]}
    assert in_force == {"e1-p": (True, False), "e1-p2": (False, True), "e2-p": (False, True)}
    assert one["employee_scores"]
