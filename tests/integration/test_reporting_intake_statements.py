"""Reporting's intake writes a group of submissions, their events and audit entries in four statements."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import event, select

from services.reporting.entrypoints.dependencies import submission_writer
from services.reporting.service_layer.intake import Claim
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from shared.outbox import envelopes_of
from tests.conftest import new_region_id
from tests.integration.test_reporting_support import activity, seed_team

pytestmark = pytest.mark.integration


async def test_a_group_costs_four_statements_and_its_events_come_from_the_services_outbox_writer(
    start_service, make_token
):
    reporting = await start_service("reporting")
    context = reporting.context
    team = await seed_team(reporting, make_token, new_region_id(), size=3)
    claims = [
        Claim(
            Principal(member.employee_id, team.region, frozenset({Role.EMPLOYEE}), member.employee_id),
            member.employee_id,
            [(index, ActivityCreate.model_validate(activity(member))) for index in range(2)],
            "10.0.0.7",
            correlation_id=f"corr-{n}",
        )
        for n, member in enumerate(team.members)
    ]
    write = submission_writer(context)
    await write(team.region, claims[:1])  # the statements are prepared once per connection

    statements: list[str] = []
    drivers: list[Any] = []

    def record(query: Any) -> None:
        statements.append(query.query)

    def listen(dbapi_connection: Any, *_: Any) -> None:
        drivers.append(dbapi_connection.driver_connection)
        dbapi_connection.driver_connection.add_query_logger(record)

    event.listen(context.engine.sync_engine, "checkout", listen)
    try:
        results = await write(team.region, claims[1:])
    finally:
        event.remove(context.engine.sync_engine, "checkout", listen)
        # asyncpg hands each query to its loggers with loop.call_soon: let the last (COMMIT) arrive
        # before the loggers go, which check-in (synchronous when nothing wraps the connection) did not.
        await asyncio.sleep(0)
        for driver in drivers:
            driver.remove_query_logger(record)

    assert [outcome.outcome for result in results for outcome in result.outcomes] == ["accepted"] * 4
    # BEGIN with the region, the plan indicators, activities + events + audit entries, COMMIT.
    assert len(statements) == 4, statements
    assert statements[0].startswith("BEGIN;")
    assert statements[-1] == "COMMIT"

    table = context.tables.outbox
    async with context.session_factory() as session, session.begin():
        await restrict_to_region(session, team.region)
        rows = (
            await session.execute(
                select(
                    table.c.event_id, table.c.topic, table.c.partition_key, table.c.event_type, table.c.value
                )
                .where(table.c.region_id == team.region)
                .order_by(table.c.id)
            )
        ).all()
    # An employee's events of one transaction are one outbox row, in the items' order.
    assert len(rows) == 3
    by_row = [[orjson.loads(envelope) for envelope in envelopes_of(row.value)] for row in rows]
    assert [len(events) for events in by_row] == [2, 2, 2]
    envelopes = [envelope for events in by_row for envelope in events]
    # The database draws each event's id once; a row's event_id column is its first event's.
    assert [str(row.event_id) for row in rows] == [events[0]["event_id"] for events in by_row]
    event_ids = [uuid.UUID(envelope["event_id"]) for envelope in envelopes]
    assert len(set(event_ids)) == 6
    # Time-ordered ids, growing with the outbox's: consumers' processed_events keys stay at the edge.
    assert {event_id.version for event_id in event_ids} == {7}
    assert event_ids == sorted(event_ids)
    assert {(row.topic, row.event_type) for row in rows} == {("reporting.activity.v1", "ActivityReported")}
    assert [row.partition_key for row in rows] == [member.employee_id for member in team.members]
    for row, events in zip(rows, by_row, strict=True):
        assert {envelope["payload"]["employee_id"] for envelope in events} == {row.partition_key}
    assert {envelope["producer"] for envelope in envelopes} == {"reporting"}
    assert [envelope["correlation_id"] for envelope in envelopes[2:]] == ["corr-1"] * 2 + ["corr-2"] * 2
