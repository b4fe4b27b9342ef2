"""Scoring's views against a real PostgreSQL: handlers driven directly, as the consumer runner drives them.

The property test generates random scenarios (several employees, plan revisions, activities that
are verified, rejected and corrected, behaviour assessments, a late calendar change, and raters'
decisions, overrides and judgements through the API in between), delivers the events shuffled,
with duplicates and with batches that crash and are redelivered, and checks every view row against
a straightforward recomputation; then rebuilds the region's views in a second schema as ``kinerja
replay`` does (decisions and judgements kept, events applied, views refreshed at the end) and
checks the rebuild equals the live views row by row. The unit rollups the dashboards read are checked
against a recomputation from the summaries, live and rebuilt.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from kinerja.compare import compare
from kinerja.replay import scratch_definition
from kinerja.services import definition
from services.scoring.adapters.tables import (
    employee_scores,
    flags,
    indicator_progress,
    runtime_tables,
)
from services.scoring.entrypoints.consumer import handlers
from services.scoring.service_layer.projections import ViewBacklog
from services.scoring.service_layer.views import refresh_employee_years
from shared.contracts.reporting import ActivityReported
from shared.db import ALL_REGIONS_SETTING, REGION_SETTING, create_engine, create_session_factory
from shared.messaging.scope import Batch
from shared.migrations import upgrade_to_head_async
from shared.outbox import OutboxWriter
from tests.conftest import apply_event, auth, new_region_id, wait_until, waits_on_advisory_lock
from tests.integration.scoring_expected_views import expected_views
from tests.integration.scoring_rollups import expected_rollups, stored_rollups
from tests.integration.scoring_scenarios import (
    T0,
    YEAR,
    Delivery,
    Scenario,
    counted_plan,
    evidenced_report,
    scenarios,
    wrap,
)

pytestmark = pytest.mark.integration

HANDLERS = {cls.event_type(): handler for cls, handler in handlers(None).items()}  # type: ignore[arg-type]
#: The outbox the handlers write flags to, as the consumer's would.
OUTBOX = OutboxWriter(runtime_tables.outbox, producer="scoring")


# --- a driver doing what the consumer runner does: dedup row, region, handler, one transaction ------


async def deliver(
    session_factory: async_sessionmaker[AsyncSession],
    batch: Sequence[Delivery],
    *,
    crash_after: int | None = None,
    deferred: bool = True,
    replay_views: ViewBacklog | None = None,
    outbox: OutboxWriter = OUTBOX,
) -> None:
    """Apply a batch in one transaction like the runner; ``crash_after`` rolls it back midway.

    ``deferred`` leaves the view work to the end of the batch, as the runner does; without it each
    event's work is finished right after it (views refreshed per event). With ``replay_views`` the
    views are left to that store, as in a replay. Events the handlers raise go to ``outbox``.
    """
    async with session_factory() as session, session.begin():
        whole = Batch(session, outbox=outbox, replay_backlog=replay_views) if deferred else None
        for position, item in enumerate(batch):
            if crash_after is not None and position == crash_after:
                await session.rollback()
                return
            inserted = await session.execute(
                insert(runtime_tables.processed_events)
                .values(event_id=item.envelope.event_id, topic=item.event.topic, partition=0, offset=position)
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(runtime_tables.processed_events.c.event_id)
            )
            if inserted.first() is None:
                continue
            await session.execute(select(func.set_config(REGION_SETTING, item.envelope.region_id, True)))
            applying = whole or Batch(session, outbox=outbox)
            await HANDLERS[item.envelope.type](applying.scope(item.envelope), item.event, item.envelope)
            if whole is None:
                await applying.finish()
        if whole is not None:
            await whole.finish()


@pytest.fixture
async def scoring_service(start_service: Any) -> Any:
    """The scoring service's API on its migrated schema (no consumer: the tests call the handlers)."""
    return await start_service("scoring")


@pytest.fixture
async def scoring_db(scoring_service: Any) -> async_sessionmaker[AsyncSession]:
    """A session factory on the scoring schema."""
    factory: async_sessionmaker[AsyncSession] = scoring_service.context.session_factory
    return factory


@pytest.fixture
async def rebuilt_db(scoring_service: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The scratch schema a replay rebuilds into, migrated afresh, and a session factory on it."""
    scratch = scratch_definition(definition("scoring"))
    admin = create_async_engine(scratch.settings.migration_database_url)
    try:
        async with admin.begin() as connection:
            await connection.execute(
                text(f'DROP SCHEMA IF EXISTS "{scratch.settings.database_schema}" CASCADE')
            )
    finally:
        await admin.dispose()
    await upgrade_to_head_async(scratch.settings, scratch.migrations_dir)
    engine = create_engine(scratch.settings)
    yield create_session_factory(engine)
    await engine.dispose()


async def rows_of(factory: async_sessionmaker[AsyncSession], region: str, table: Any) -> list[Any]:
    async with factory() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region, True)))
        return list((await session.execute(select(table).where(table.c.region_id == region))).all())


# --- the property --------------------------------------------------------------------------------


#: Topics a replay applies first (calendars, organisation, plans), then the rest.
REPLAY_FIRST = frozenset(definition("scoring").replay_first)


async def act(service: Any, make_token: Any, scenario: Scenario, actions: list[Any]) -> None:
    """Send raters' requests to the API; keep the answers it accepted (a refusal changes nothing)."""
    for action in actions:
        token = auth(make_token("employee,rater", region=scenario.region, employee=action.rater_id))
        if action.indicator_id is None:
            answer = await service.client.post(action.path, json=action.body, headers=token)
            accepted, refusals = 201, {"no_scorecard", "override_reason_required"}
        else:
            answer = await service.client.put(action.path, json=action.body, headers=token)
            accepted, refusals = 200, {"no_scorecard", "unknown_indicator"}
        if answer.status_code == accepted:
            scenario.accepted(action, answer.json())
        else:
            assert answer.json()["error"]["code"] in refusals, answer.text


async def rebuild(
    live: async_sessionmaker[AsyncSession], rebuilt: async_sessionmaker[AsyncSession], scenario: Scenario
) -> None:
    """Rebuild the region's views as ``kinerja replay`` does: kept tables copied, calendars and plans
    applied first, then everything else in upstream order, each touched view row refreshed at the end."""
    scratch = scratch_definition(definition("scoring")).settings.database_schema
    async with live() as session, session.begin():
        await session.execute(select(func.set_config(ALL_REGIONS_SETTING, "on", True)))
        for table in definition("scoring").replay_keeps:
            await session.execute(
                text(
                    f'INSERT INTO "{scratch}"."{table}" SELECT * FROM scoring."{table}" WHERE region_id = :r'
                ),
                {"r": scenario.region},
            )
    backlog = ViewBacklog()
    first = [d for d in scenario.deliveries if d.event.topic in REPLAY_FIRST]
    rest = [d for d in scenario.deliveries if d.event.topic not in REPLAY_FIRST]
    for part in (first, rest):
        for start in range(0, len(part), 10):
            await deliver(rebuilt, part[start : start + 10], replay_views=backlog)
    await backlog.finish(rebuilt)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(scenario=scenarios(), data=st.data())
async def test_views_equal_a_recomputation_and_a_replay_whatever_the_delivery(
    scoring_service: Any,
    scoring_db: async_sessionmaker[AsyncSession],
    rebuilt_db: async_sessionmaker[AsyncSession],
    make_token: Any,
    scenario: Scenario,
    data: st.DataObject,
) -> None:
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    stream = list(scenario.deliveries)
    rng.shuffle(stream)  # reordered across (and within) employees
    stream += rng.sample(
        scenario.deliveries, k=min(len(scenario.deliveries), rng.randint(0, 5))
    )  # redeliveries
    rng.shuffle(stream)
    actions = list(scenario.actions)
    rng.shuffle(actions)
    position = 0
    while position < len(stream):
        batch = stream[position : position + rng.randint(1, 12)]
        deferred = rng.random() < 0.8  # mostly as the runner applies batches; sometimes event by event
        if rng.random() < 0.2:  # the consumer dies mid-batch: nothing of it is kept, it is redelivered
            await deliver(scoring_db, batch, crash_after=rng.randint(0, len(batch)), deferred=deferred)
        await deliver(scoring_db, batch, deferred=deferred)
        position += len(batch)
        # Raters act between batches, on whatever scorecards there are by then; most act at the end.
        taken = rng.randint(0, 1)
        await act(scoring_service, make_token, scenario, actions[:taken])
        actions = actions[taken:]
    await act(scoring_service, make_token, scenario, actions)

    expected_progress, expected_summaries = expected_views(scenario)
    event_ids = {str(d.envelope.event_id) for d in scenario.deliveries}
    progress = {
        (row.employee_id, row.indicator_id, row.period): row
        for row in await rows_of(scoring_db, scenario.region, indicator_progress)
    }
    assert set(progress) == set(expected_progress)
    for progress_key, expected in expected_progress.items():
        row = progress[progress_key]
        assert {name: getattr(row, name) for name in expected} == expected, progress_key
        assert row.last_event_id in event_ids
        assert row.updated_at is not None
    summaries = {
        (row.employee_id, row.period): row
        for row in await rows_of(scoring_db, scenario.region, employee_scores)
    }
    assert set(summaries) == set(expected_summaries)
    acted = {(a["employee_id"], a["period"]) for a in scenario.decisions + scenario.judgements}
    for key, expected in expected_summaries.items():
        row = summaries[key]
        assert {name: getattr(row, name) for name in expected} == expected, key
        assert row.last_event_id in event_ids or key in acted
    # The dashboards' rollups follow the summaries, employees moving between units included.
    async with scoring_db() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, scenario.region, True)))
        rollups = await stored_rollups(session, scenario.region)
    assert rollups == expected_rollups(summaries.values())

    await rebuild(scoring_db, rebuilt_db, scenario)
    admin = create_async_engine(scoring_service.definition.settings.migration_database_url)
    try:
        scratch = scratch_definition(definition("scoring")).settings.database_schema
        tables = await compare(admin, "scoring", scratch, region=scenario.region)
    finally:
        await admin.dispose()
    differing = [table for table in tables if not table.equal]
    assert not differing, "\n".join(
        f"{table.table}: {table.only_live} only live, {table.only_rebuilt} only rebuilt\n"
        + "\n".join(difference.render() for difference in table.differences)
        for table in differing
    )


def planned_and_reported_three_times(region: str, employee: str) -> list[Delivery]:
    """An employee's counted plan (indicator ``<employee>-i``, target 40) and three reports of 5 on
    it, 40 days after ``T0``."""
    return [
        counted_plan(region, employee, indicator_id=f"{employee}-i"),
        *(
            wrap(
                ActivityReported(
                    region_id=region,
                    activity_id=f"{employee}-a{n}",
                    employee_id=employee,
                    plan_id="p",
                    result_id="r",
                    indicator_id=f"{employee}-i",
                    occurred_at=T0 + timedelta(days=40),
                    quantity=Decimal(5),
                    description="Kegiatan",
                ),
                T0 + timedelta(days=40, seconds=n),
            )
            for n in range(3)
        ),
    ]


async def test_one_batch_across_regions_refreshes_each_region_under_its_own_restriction(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    """A batch's deferred work switches to each region in turn, then restores the runner's region."""
    regions = [new_region_id(), new_region_id()]
    batch: list[Delivery] = []
    for region in regions:
        batch.extend(planned_and_reported_three_times(region, f"{region}-e"))
    async with scoring_db() as session, session.begin():
        whole: Batch[ViewBacklog] = Batch(session, outbox=OUTBOX)
        for item in batch:
            await session.execute(select(func.set_config(REGION_SETTING, item.envelope.region_id, True)))
            await HANDLERS[item.envelope.type](whole.scope(item.envelope), item.event, item.envelope)
        await whole.finish()
        assert await session.scalar(select(func.current_setting(REGION_SETTING, True))) == regions[-1]
    for region in regions:
        progress = {row.period: row for row in await rows_of(scoring_db, region, indicator_progress)}
        assert set(progress) == {f"{YEAR}-Q1", str(YEAR)}
        # Built by the three reports and the plan that gave them a target.
        assert [(row.activity_count, row.events_applied) for row in progress.values()] == [(3, 4), (3, 4)]
        assert progress[str(YEAR)].achievement == Decimal("0.3750")  # 15 of 40
        summaries = await rows_of(scoring_db, region, employee_scores)
        assert {row.period for row in summaries} == {f"{YEAR}-Q{q}" for q in range(1, 5)} | {str(YEAR)}


async def test_a_refresh_that_changes_nothing_leaves_the_rows_as_written(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    """An employee-year refreshed again with nothing changed (the upsert compares the content):
    its progress rows and summaries keep the events they counted and the event that wrote them."""
    region = new_region_id()
    employee = f"{region}-e"
    await deliver(scoring_db, planned_and_reported_three_times(region, employee))

    async def stored() -> list[list[Any]]:
        # One employee and indicator: each table's rows by their period.
        tables = [await rows_of(scoring_db, region, table) for table in (indicator_progress, employee_scores)]
        return [sorted(rows, key=lambda row: row.period) for rows in tables]

    before = await stored()
    async with scoring_db() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region, True)))
        await refresh_employee_years(
            session,
            region_id=region,
            employee_years=[(employee, YEAR)],
            event_id="an-event-that-changed-nothing",
            at=T0 + timedelta(days=41),
        )
    after = await stored()
    assert [(row.activity_count, row.events_applied) for row in after[0]] == [(3, 4), (3, 4)]
    assert after == before


async def test_one_evidence_file_claimed_by_two_employees_at_once_is_flagged(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    """Two consumers (a replay's workers, two instances) claim the same file in concurrent
    transactions: the second waits for the first, sees its claim, and flags both employees."""
    region, digest = new_region_id(), "cd" * 32

    def report(employee: str) -> Delivery:
        return wrap(evidenced_report(region, employee, [digest]), T0)

    first_applied = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with scoring_db() as session, session.begin():
            item = report("e-1")
            await session.execute(select(func.set_config(REGION_SETTING, region, True)))
            await apply_event(HANDLERS[item.envelope.type], session, OUTBOX, item.event, item.envelope)
            first_applied.set()
            await release_first.wait()

    async def second() -> None:
        await first_applied.wait()
        await deliver(scoring_db, [report("e-2")], deferred=False)

    async def second_is_waiting() -> bool:
        return await waits_on_advisory_lock(scoring_db)

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    try:
        await first_applied.wait()
        # Without the lock the second would not wait: it would commit without seeing the first claim.
        assert await wait_until(second_is_waiting, timeout=20)
    finally:
        release_first.set()
        await asyncio.gather(*tasks)
    found = await rows_of(scoring_db, region, flags)
    assert sorted(row.subject_id for row in found if row.kind == "shared_evidence") == [
        f"e-1/{digest}",
        f"e-2/{digest}",
    ]
