"""A batch's view work runs statements built once, not built again for every batch.

With small batches (a live rate gives tens of events) building a statement, and SQLAlchemy's work
for a statement object it has not seen before (its cache key, its result columns), cost more than
running it; so every statement the deferred work runs (activities read and stored, the region's
facts, progress and summaries read and written, rollups) is the same object batch after batch.
And what a summary row stores is not read back only to be compared with its recomputation: the
upsert compares them, so a row that would not change keeps its last event and stamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.util import find_tables

from services.scoring.adapters.tables import employee_scores, runtime_tables
from services.scoring.entrypoints.consumer import handlers
from services.scoring.service_layer.projections import ViewBacklog
from shared.contracts.reporting import ActivityReported
from shared.db import REGION_SETTING
from shared.messaging.scope import Batch
from shared.outbox import OutboxWriter
from tests.conftest import new_region_id
from tests.integration.scoring_scenarios import T0, Delivery, counted_plan, wrap

pytestmark = pytest.mark.integration

HANDLERS = {cls.event_type(): handler for cls, handler in handlers(None).items()}  # type: ignore[arg-type]
OUTBOX = OutboxWriter(runtime_tables.outbox, producer="scoring")


async def finished(service: Any, batch: Sequence[Delivery]) -> list[Any]:
    """Apply a batch in one transaction; the statements its deferred work ran, but for those that
    name no table (``shared.db``'s reads of the region restriction), in order."""
    executed: list[Any] = []

    def note(_connection: Any, statement: Any, *_: Any) -> None:
        if isinstance(statement, TextClause) or find_tables(statement):
            executed.append(statement)

    async with service.context.session_factory() as session, session.begin():
        whole: Batch[ViewBacklog] = Batch(session, outbox=OUTBOX)
        for item in batch:
            await session.execute(select(func.set_config(REGION_SETTING, item.envelope.region_id, True)))
            await HANDLERS[item.envelope.type](whole.scope(item.envelope), item.event, item.envelope)
        engine = service.context.engine.sync_engine
        event.listen(engine, "before_execute", note)
        try:
            await whole.finish()
        finally:
            event.remove(engine, "before_execute", note)
    return executed


def reports(region: str, employee: str, first: int, count: int) -> list[Delivery]:
    return [
        wrap(
            ActivityReported(
                region_id=region,
                activity_id=f"{employee}-a{n}",
                employee_id=employee,
                plan_id="p",
                result_id="r",
                indicator_id="i",
                occurred_at=T0 + timedelta(days=40, hours=n),
                quantity=Decimal(5),
                description="Kegiatan",
            ),
            T0 + timedelta(days=40, hours=n, seconds=1),
        )
        for n in range(first, first + count)
    ]


async def test_each_batch_runs_the_statements_the_first_one_ran(start_service: Any) -> None:
    scoring = await start_service("scoring")
    region = new_region_id()
    plans = [counted_plan(region, employee) for employee in ("ani", "budi")]
    await finished(scoring, plans)
    first = await finished(scoring, reports(region, "ani", 0, 3))
    # Another employee's activities, one of them later than the first batch's: the same work.
    second = await finished(scoring, [*reports(region, "budi", 0, 2), *reports(region, "ani", 3, 1)])
    assert first, "the first batch ran no statement"
    built_again = [str(statement) for statement in second if all(statement is not s for s in first)]
    assert built_again == []


async def stored_summaries(service: Any, region: str) -> dict[tuple[str, str], Any]:
    """The region's summary rows as stored, by key."""
    async with service.context.session_factory() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region, True)))
        rows = await session.execute(select(employee_scores))
        return {(row.employee_id, row.period): row for row in rows}


async def reported_twice(start_service: Any) -> tuple[Any, str]:
    """Scoring with an employee's plan and two of her reports applied; the service and region."""
    scoring = await start_service("scoring")
    region = new_region_id()
    await finished(scoring, [counted_plan(region, "ani")])
    await finished(scoring, reports(region, "ani", 0, 2))
    return scoring, region


async def test_a_summary_is_written_only_when_its_content_changes_without_reading_it_back(
    start_service: Any,
) -> None:
    scoring, region = await reported_twice(start_service)
    before = await stored_summaries(scoring, region)
    # An indicator outside the plan: its progress rows change, the summaries it touches do not.
    planned = reports(region, "ani", 2, 1)[0]
    outside = wrap(
        planned.event.model_copy(update={"indicator_id": "unplanned"}), planned.envelope.occurred_at
    )
    executed = await finished(scoring, [outside])
    after = await stored_summaries(scoring, region)
    assert before
    assert after == before  # the same last event and stamp
    reading_content = [
        str(statement)
        for statement in executed
        if not isinstance(statement, Insert) and "indicator_outcomes" in str(statement)
    ]
    assert reading_content == []


async def test_what_a_summary_row_has_one_of_is_read_in_one_statement(start_service: Any) -> None:
    # Small batches pay each statement's own cost (hundreds of µs of the consumer's CPU) more than
    # its rows': whether a summary row is stored, the rater's latest assessment and decision come
    # in one statement.
    scoring = await start_service("scoring")
    region = new_region_id()
    await finished(scoring, [counted_plan(region, "ani")])
    executed = await finished(scoring, reports(region, "ani", 0, 2))
    named = [{table.name for table in find_tables(statement)} for statement in executed]
    row_facts = [names for names in named if names & {"behaviour_assessments", "rating_decisions"}]
    assert row_facts == [{"employee_scores", "behaviour_assessments", "rating_decisions"}]


async def test_a_summary_takes_the_progress_rows_the_batch_refreshed_without_reading_them_back(
    start_service: Any,
) -> None:
    # The summaries of a batch's progress rows are computed from them: reading them back (and
    # assessing their indicators again) was a statement and a fifth of the summary refresh.
    scoring, region = await reported_twice(start_service)
    executed = await finished(scoring, reports(region, "ani", 2, 2))
    progress_reads = [
        str(statement)
        for statement in executed
        if not isinstance(statement, Insert)
        and "indicator_progress" in {table.name for table in find_tables(statement)}
    ]
    assert len(progress_reads) == 1, progress_reads  # the rows locked to be brought up to date
    assert "FOR UPDATE" in progress_reads[0]
