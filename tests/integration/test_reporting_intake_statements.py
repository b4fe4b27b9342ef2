"""Reporting's intake writes a group of submissions, their events and audit entries in four statements."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text

from services.reporting.adapters.intake_statements import ACTIVITIES_AMONG, insert_activities_and_events
from services.reporting.adapters.tables import activities
from services.reporting.entrypoints.dependencies import submission_writer
from services.reporting.service_layer.intake_claims import Claim
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from shared.outbox import envelopes_of
from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_pages_plan import copy_secured
from tests.integration.test_reporting_support import activity, outbox, seed_team, statements_sent
from tests.region_clock import moment_ago

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
            [(index, ActivityCreate.model_validate(activity(member)).__dict__) for index in range(2)],
            "10.0.0.7",
            correlation_id=f"corr-{n}",
        )
        for n, member in enumerate(team.members)
    ]
    write = submission_writer(context)
    await write(team.region, claims[:1])  # the statements are prepared once per connection

    async with statements_sent(context.engine) as statements:
        results = await write(team.region, claims[1:])

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


def _audited_part(plan: list[str]) -> list[str]:
    """The lines of a plan under its ``CTE audited``, to the next CTE or the end."""
    start = next(n for n, line in enumerate(plan) if line.strip() == "CTE audited")
    depth = len(plan[start]) - len(plan[start].lstrip())
    rest = plan[start + 1 :]
    end = next((n for n, line in enumerate(rest) if len(line) - len(line.lstrip()) <= depth), len(rest))
    return rest[:end]


async def _unanalyzed_copy(connection: Any, rows: int) -> None:
    """A temporary copy of the activities' shape, indexes and region policy (``copy_secured``),
    found first, holding ``rows`` activities of one region, never analyzed."""
    await copy_secured(connection, "activities")
    await connection.execute(
        text(
            "INSERT INTO activities (activity_id, region_id, employee_id, plan_id, result_id,"
            " indicator_id, occurred_at, description, status)"
            " SELECT 'a-' || n, 'r', 'e-' || n % 50, 'p', 'res', 'ind',"
            " now() - n * interval '1 minute', 'kegiatan', 'submitted'"
            " FROM generate_series(1, :rows) n"
        ),
        {"rows": rows},
    )


async def _generic_plan(
    reporting: Any, *, skip_stored: bool, unanalyzed_rows: int | None = None
) -> list[str]:
    """The plan of the intake's insert as it runs it: generic (intake_store's BEGIN), for any number
    of items and entries.

    ``unanalyzed_rows``: planned as a new installation's first groups meet the activities (each
    connection plans it once): on a table of that many rows, never analyzed (``_unanalyzed_copy``).
    """
    context = reporting.context
    statement = insert_activities_and_events(context.tables.outbox.name, skip_stored=skip_stored)
    async with context.engine.connect() as connection:
        try:
            if unanalyzed_rows is not None:
                await _unanalyzed_copy(connection, unanalyzed_rows)
            await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            await connection.exec_driver_sql(f"PREPARE intake_plan AS {statement}")
            parameters = ", ".join(["NULL"] * max(int(n) for n in re.findall(r"\$(\d+)", statement)))
            result = await connection.exec_driver_sql(f"EXPLAIN EXECUTE intake_plan({parameters})")
            plan = [row[0] for row in result]
        finally:
            await connection.rollback()
            await connection.exec_driver_sql("DEALLOCATE intake_plan")
    return plan


async def test_audit_entries_are_looked_up_among_the_inserted_ids_hashed_once(start_service):
    """A group's entries are checked against one hash of the inserted ids: planned as a nested loop,
    each entry read the inserted rows again, and a group of four 500-item batches cost PostgreSQL
    three times as much an item as one (bench/README.md, session 21)."""
    plan = await _generic_plan(await start_service("reporting"), skip_stored=True)
    audited = "\n".join(_audited_part(plan))
    assert "hashed SubPlan" in audited, audited
    assert "Nested Loop" not in audited, audited


async def test_a_plain_insert_writes_events_and_entries_whole_without_looking_up_ids(start_service):
    """The plain insert (a group of batches) inserts all its rows or none, so its events and entries
    are written whole once any row was: looking each id up among the inserted ones cost PostgreSQL
    ~0.9 µs an item (session 27: the bench's batches replayed, backend CPU)."""
    plan = await _generic_plan(await start_service("reporting"), skip_stored=False)
    assert not [line for line in plan if "SubPlan" in line], "\n".join(plan)


@pytest.mark.parametrize("rows", [0, 1_000, 3_000, 20_000])
async def test_a_plain_insert_looks_its_probed_ids_up_by_the_primary_key_before_analyze(start_service, rows):
    """The plain insert first looks up each employee's first and last id. Planned on a table never
    analyzed (a new installation's first minutes, every fresh test or bench database), a look-up of
    each id costed the region's time index as cheap as the primary key and took it on an empty
    table, all the ids' look-up as one ``ANY`` on 1,000-5,000 rows: it then read all of the
    region's rows until autovacuum's ANALYZE (8 ids among 200,000 rows: 550 ms instead of 0.03)."""
    plan = await _generic_plan(await start_service("reporting"), skip_stored=False, unanalyzed_rows=rows)
    reads = [n for n, line in enumerate(plan) if "Scan" in line and " on activities" in line]
    # Once for the activities, their events and entries (a probe each cost ~150 instructions an item).
    assert len(reads) == 1, "\n".join(plan)
    # Both the region and the ids bound the scan (only the primary key holds both).
    assert all("activity_id = ANY" in plan[n + 1] for n in reads), "\n".join(plan)


@pytest.mark.parametrize("rows", [0, 1_000, 3_000, 20_000])
async def test_stored_activities_are_looked_up_by_the_primary_key_before_analyze(start_service, rows):
    """Resent items are looked up among the stored activities by a statement each connection plans
    once, maybe on a table never analyzed. As ``activity_id = ANY(...)`` it took the region's time
    index when planned on 1,000-5,000 rows, and then read all of the region's rows each time until
    autovacuum's ANALYZE."""
    context = (await start_service("reporting")).context
    async with context.engine.connect() as connection:
        try:
            await _unanalyzed_copy(connection, rows)
            await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            await connection.exec_driver_sql(f"PREPARE among AS {ACTIVITIES_AMONG}")
            plan = [row[0] for row in await connection.exec_driver_sql("EXPLAIN EXECUTE among(NULL, NULL)")]
        finally:
            await connection.rollback()
            await connection.exec_driver_sql("DEALLOCATE among")
    reads = [n for n, line in enumerate(plan) if "Scan" in line and " on activities" in line]
    assert reads, "\n".join(plan)
    # Both the region and the id bound the scan (only the primary key holds both).
    bounds = [plan[n + 1] for n in reads if "Index Scan using activities_pkey" in plan[n]]  # the copy's key
    assert len(bounds) == len(reads), "\n".join(plan)
    assert all("activity_id)::text = ANY" in bound for bound in bounds), "\n".join(plan)


async def test_audit_entries_and_events_are_written_for_new_activities_only(start_service, make_token):
    reporting = await start_service("reporting")
    context = reporting.context
    team = await seed_team(reporting, make_token, new_region_id(), size=3)
    first, second, third = team.members
    stored = [ActivityCreate.model_validate(activity(member)) for member in (second, third)]

    def claim(member: Any, items: list[ActivityCreate], correlation_id: str) -> Claim:
        principal = Principal(member.employee_id, team.region, frozenset({Role.EMPLOYEE}), member.employee_id)
        return Claim(
            principal,
            member.employee_id,
            [(index, item.__dict__) for index, item in enumerate(items)],
            "10.0.0.7",
            batch=True,
            correlation_id=correlation_id,
        )

    write = submission_writer(context)
    await write(team.region, [claim(second, stored[:1], "before-2"), claim(third, stored[1:], "before-3")])
    new = [ActivityCreate.model_validate(activity(member)) for member in (first, first, second)]
    await write(
        team.region,
        [
            claim(first, new[:2], "all-new"),
            # Its first activity stored before, its second new: written.
            claim(second, [stored[0], new[2]], "one-new"),
            # Only a resend: nothing new, no entry.
            claim(third, stored[1:], "none-new"),
        ],
    )
    table = context.tables.audit_log
    async with context.session_factory() as session, session.begin():
        await restrict_to_region(session, team.region)
        rows = (
            await session.execute(
                select(table.c.correlation_id, table.c.action, table.c.subject, table.c.detail)
                .where(table.c.region_id == team.region, table.c.action == "activity.submit_batch")
                .order_by(table.c.id)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("before-2", "activity.submit_batch", second.employee_id, "items=1 new_and_valid=1"),
        ("before-3", "activity.submit_batch", third.employee_id, "items=1 new_and_valid=1"),
        ("all-new", "activity.submit_batch", first.employee_id, "items=2 new_and_valid=2"),
        ("one-new", "activity.submit_batch", second.employee_id, "items=2 new_and_valid=2"),
    ]
    # An event for each new activity only, once, in order: the resent ones' are left out of their
    # employee's row (which the intake sent joined).
    events = await outbox(reporting, team.region)
    assert [payload["activity_id"] for _, payload in events] == [item.activity_id for item in (*stored, *new)]


async def test_a_groups_texts_numbers_and_times_are_stored_as_sent(start_service, make_token):
    """The items travel as JSON text (shared/json_rows.py): escapes, scales and times come back exact."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    member = team.members[0]
    texts = [
        'Kutip "KTP-el" \\ garis\nbaru\ttab',
        "Layanan ramah 👍 di Kecamatan Pancur Batu — ñ é",
        "baris\u2028pemisah",
    ]
    # The items a minute apart, the earliest at or after the region's 1 January 00.00: in the plan's year,
    # within the phones' clock skew (5 minutes) just after it, sent from a +05:45 phone.
    newest = moment_ago(DEFAULT_TIMEZONE, timedelta(hours=1)) + timedelta(minutes=2)
    sent_at = newest.astimezone(timezone(timedelta(hours=5, minutes=45))).replace(microsecond=123456)
    numbers = [("3.60", "-6.2", "106.81"), ("12.3456", "0.000001", "-0.5"), ("7", "89.999999", "179.9")]
    items = [
        activity(
            member,
            occurred_at=(sent_at - timedelta(minutes=n)).isoformat(),
            quantity=quantity,
            description=text,
            obstacles=text[::-1],
            latitude=latitude,
            longitude=longitude,
        )
        for n, (text, (quantity, latitude, longitude)) in enumerate(zip(texts, numbers, strict=True))
    ]
    answer = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(member.token)
    )
    assert answer.status_code == 200, answer.text

    table = activities
    async with reporting.context.session_factory() as session, session.begin():
        await restrict_to_region(session, team.region)
        rows = {
            row.activity_id: row
            for row in await session.execute(
                select(table).where(table.c.activity_id.in_([item["activity_id"] for item in items]))
            )
        }
    for item in items:
        row = rows[item["activity_id"]]
        assert (row.description, row.obstacles) == (item["description"], item["obstacles"])
        assert row.occurred_at == datetime.fromisoformat(item["occurred_at"])
        assert row.occurred_utc_offset == 345
        # Stored at the columns' scales, as each number's text sent.
        assert (row.quantity, row.latitude, row.longitude) == (
            Decimal(item["quantity"]).quantize(Decimal("0.0001")),
            Decimal(item["latitude"]).quantize(Decimal("0.000001")),
            Decimal(item["longitude"]).quantize(Decimal("0.000001")),
        )
        assert str(row.quantity) == str(Decimal(item["quantity"]).quantize(Decimal("0.0001")))
