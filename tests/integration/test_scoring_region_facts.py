"""A region's facts for a batch (calendar, closed periods, rule book) read in one statement.

Every consumer batch reads them for each of its regions; with small batches each statement's own
cost outweighs its rows'. They equal what the separate reads give, and a rule book remembered
between batches is never stale: a changed rule set is read, and the book follows it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, update

from services.scoring.adapters.tables import closed_periods, region_settings, rule_sets
from services.scoring.service_layer.rules import rule_book
from services.scoring.service_layer.views import calendar, closures, region_facts
from services.scoring.service_layer.views.facts import RegionFacts
from shared.db import REGION_SETTING
from tests.conftest import new_region_id

pytestmark = pytest.mark.integration


async def facts_and_separate_reads(service: Any, region: str) -> tuple[RegionFacts, int, tuple[Any, ...]]:
    """The region's facts, how many statements reading them took, and the three separate reads."""
    statements: list[Any] = []

    def note(_connection: Any, statement: Any, *_: Any) -> None:
        statements.append(statement)

    engine = service.context.engine.sync_engine
    async with service.context.session_factory() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region, True)))
        event.listen(engine, "before_execute", note)
        try:
            facts = await region_facts(session, region)
        finally:
            event.remove(engine, "before_execute", note)
        separate = (
            await calendar(session, region),
            await closures(session, region),
            (await rule_book(session, region)).rule_sets(region),
        )
    return facts, len(statements), separate


async def test_a_regions_facts_are_one_statement_equal_to_the_separate_reads(start_service: Any) -> None:
    scoring = await start_service("scoring")
    region = new_region_id()
    facts, _, _ = await facts_and_separate_reads(scoring, region)
    assert facts.closures == {}
    assert facts.book.rule_sets(region) == ()  # the national rules only
    async with scoring.context.session_factory() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region, True)))
        await session.execute(
            insert(region_settings).values(region_id=region, timezone="Asia/Jayapura", period_kind="monthly")
        )
        for period, day in (("2026-M01", 3), ("2026-M02", 2)):
            await session.execute(
                insert(closed_periods).values(
                    region_id=region,
                    period=period,
                    closed_at=datetime(2026, day + 1, day, tzinfo=UTC),
                    closed_by="hr",
                )
            )
        for start, cap in ((date(2026, 1, 1), 1.2), (date(2026, 7, 1), 1.5)):
            await session.execute(
                insert(rule_sets).values(
                    region_id=region,
                    effective_from=start,
                    settings={"achievement_cap": cap, "rating": {"meets_min_achievement": 0.7}},
                    created_by="hr",
                )
            )
    (
        facts,
        statements,
        (separate_calendar, separate_closures, separate_rules),
    ) = await facts_and_separate_reads(scoring, region)
    assert statements == 1
    assert facts.calendar == separate_calendar
    assert facts.closures == separate_closures
    assert len(facts.closures) == 2
    assert facts.book.rule_sets(region) == separate_rules
    assert len(separate_rules) == 2

    # The remembered book follows a changed rule set.
    async with scoring.context.session_factory() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region, True)))
        await session.execute(
            update(rule_sets)
            .where(rule_sets.c.region_id == region, rule_sets.c.effective_from == date(2026, 7, 1))
            .values(settings={"achievement_cap": 1.1})
        )
    facts, _, (_, _, separate_rules) = await facts_and_separate_reads(scoring, region)
    assert facts.book.rule_sets(region) == separate_rules
    assert facts.book.rule_sets(region)[1].achievement.cap == Fraction("1.1")
