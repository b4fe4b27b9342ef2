"""Unit rollups against a real PostgreSQL: each equals a recomputation from the summaries it covers.

Summaries are written straight into ``employee_scores`` (any ids, predicates, achievements, units),
changed (moves between units, new figures, deletions) and the rollups refreshed as the summary
refresh does; and two transactions refreshing one unit at once lose neither's employee.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scoring.adapters.tables import employee_scores
from services.scoring.domain.predicate import Predicate
from services.scoring.service_layer.rollups import recompute_unit_rollups, refresh_unit_rollups
from shared.db import REGION_SETTING
from tests.conftest import new_region_id, wait_until
from tests.integration.scoring_rollups import expected_rollups, stored_rollups, summary
from tests.integration.service_migrations import scoring_migration

pytestmark = pytest.mark.integration

PERIODS = ("2026-Q1", "2026-Q2", "2026")
UNITS = ("unit-a", "unit-b", "")


@pytest.fixture
async def scoring_db(start_service: Any) -> async_sessionmaker[AsyncSession]:
    """A session factory on scoring's migrated schema."""
    service = await start_service("scoring")
    factory: async_sessionmaker[AsyncSession] = service.context.session_factory
    return factory


predicates = st.one_of(st.none(), st.sampled_from([p.value for p in Predicate]))
figures = st.fixed_dictionaries(
    {
        "unit_id": st.sampled_from(UNITS),
        "job_type": st.sampled_from(["clerk", "analyst"]),
        "rater_id": st.one_of(st.none(), st.sampled_from(["boss-1", "boss-2"])),
        "achievement": st.one_of(
            st.none(), st.decimals(min_value=0, max_value=Decimal("1.2"), places=4, allow_nan=False)
        ),
        "predicate": predicates,
        "proposed_predicate": predicates,
    }
)
# Ids that sort differently by collation than by code point, so the ranking's ties are exercised,
# and with characters JSON escapes (the ranking is written as JSON text).
employee_ids = st.text(alphabet='aZe09-é_"\\', min_size=1, max_size=5)
keys = st.tuples(employee_ids, st.sampled_from(PERIODS))
population = st.dictionaries(keys, figures, max_size=30)
#: How the first summaries' rollups are counted.
COUNTED_BY = ("refreshed", "recomputed", "inserted as new")


def migration_fills() -> tuple[str, str]:
    """The statements migration 0009 fills the rollups' figures with and 0020 the rankings' entries."""
    rollups: str = scoring_migration("2026_12_02_0009_unit_rollups.py")._FILL
    entries: str = scoring_migration("2026_12_05_0020_unit_ranking_as_entries.py")._FILL
    return rollups, entries


async def in_region(factory: async_sessionmaker[AsyncSession], region: str) -> AsyncSession:
    session = factory()
    await session.begin()
    await session.execute(select(func.set_config(REGION_SETTING, region, True)))
    return session


async def summaries_and_rollups(
    factory: async_sessionmaker[AsyncSession], region: str
) -> tuple[list[Any], dict[tuple[str, str], dict[str, Any]]]:
    async with await in_region(factory, region) as session:
        stored = (
            await session.execute(select(employee_scores).where(employee_scores.c.region_id == region))
        ).all()
        return list(stored), await stored_rollups(session, region)


async def write(session: AsyncSession, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if rows:
        statement = insert(employee_scores)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["region_id", "employee_id", "period"],
                set_={name: statement.excluded[name] for name in rows[0] if name != "period"},
            ),
            rows,
        )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=population, counted_by=st.sampled_from(COUNTED_BY), data=st.data())
async def test_rollups_equal_a_recomputation_from_the_summaries_through_moves_and_removals(
    scoring_db: async_sessionmaker[AsyncSession],
    first: dict[tuple[str, str], dict[str, Any]],
    counted_by: str,
    data: st.DataObject,
) -> None:
    """Summaries written, then changed (stored ones among them: new figures, other units) and
    removed in rounds: after each, the rollups are what the summaries make, whether the first were
    counted whole (views filled without the refresh), refreshed like the others, or inserted as new
    (a rebuild's end: its employees in pieces, a transaction each, sharing unit-periods)."""
    region = new_region_id()
    if counted_by == "inserted as new":
        employees = sorted({employee_id for employee_id, _ in first})
        pieces = [set(employees[: len(employees) // 2]), set(employees[len(employees) // 2 :])]
        for piece in pieces:
            async with await in_region(scoring_db, region) as session:
                written = {(e, p): values for (e, p), values in first.items() if e in piece}
                await write(session, (summary(region, e, p, **values) for (e, p), values in written.items()))
                await refresh_unit_rollups(
                    session, region, written=list(written), removed=[], none_stored=True
                )
                await session.commit()
    else:
        async with await in_region(scoring_db, region) as session:
            await write(session, (summary(region, e, p, **values) for (e, p), values in first.items()))
            if counted_by == "recomputed":
                units = {(v["unit_id"], p) for (_, p), v in first.items()}
                await recompute_unit_rollups(session, region, units)
            else:
                await refresh_unit_rollups(session, region, written=list(first), removed=[])
            await session.commit()
    stored, rollups = await summaries_and_rollups(scoring_db, region)
    assert rollups == expected_rollups(stored)

    # A refresh writes new figures (some employees now in another unit) and removes rows.
    for _ in range(data.draw(st.integers(min_value=1, max_value=2), label="rounds")):
        present = st.sampled_from(sorted((row.employee_id, row.period) for row in stored))
        changes = data.draw(population, label="new")
        removed: list[tuple[str, str]] = []
        if stored:
            changes |= data.draw(st.dictionaries(present, figures, max_size=20), label="changed")
            removed = sorted(data.draw(st.sets(present, max_size=5), label="removed") - set(changes))
        async with await in_region(scoring_db, region) as session:
            await write(session, (summary(region, e, p, **values) for (e, p), values in changes.items()))
            for employee_id, period in removed:
                await session.execute(
                    delete(employee_scores).where(
                        employee_scores.c.region_id == region,
                        employee_scores.c.employee_id == employee_id,
                        employee_scores.c.period == period,
                    )
                )
            await refresh_unit_rollups(session, region, written=list(changes), removed=removed)
            await session.commit()
        stored, rollups = await summaries_and_rollups(scoring_db, region)
        assert rollups == expected_rollups(stored)

    # The migrations filled the tables from the summaries with their own copies of the statements
    # (0009 the figures, with the ranking then kept beside them; 0020 the rankings' entries; under
    # row-level security, this region's rows only): the same rollups, filled here into temporary
    # tables of their shape, found first (by the dashboard's read function too).
    async with await in_region(scoring_db, region) as session:
        await session.execute(text("CREATE TEMPORARY TABLE unit_rollups (LIKE unit_rollups) ON COMMIT DROP"))
        await session.execute(text("ALTER TABLE pg_temp.unit_rollups ADD COLUMN ranking jsonb"))
        await session.execute(
            text("CREATE TEMPORARY TABLE unit_ranking (LIKE unit_ranking INCLUDING GENERATED) ON COMMIT DROP")
        )
        for fill in migration_fills():
            await session.execute(text(fill))
        filled = await stored_rollups(session, region)
    assert filled == rollups


async def test_two_transactions_refreshing_one_unit_at_once_lose_no_employee(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    """The second waits for the first (on the rollup row's lock), then adds its employee to the
    figures as the first left them."""
    region, period = new_region_id(), "2026-Q1"
    async with await in_region(scoring_db, region) as session:
        await write(session, [summary(region, "e-0", period, unit_id="u", achievement=Decimal("0.5"))])
        await recompute_unit_rollups(session, region, [("u", period)])
        await session.commit()
    first_refreshed, release_first = asyncio.Event(), asyncio.Event()

    async def refresh(employee_id: str, *, hold: bool) -> None:
        async with await in_region(scoring_db, region) as session:
            row = summary(region, employee_id, period, unit_id="u", achievement=Decimal("0.9"))
            await write(session, [row])
            await refresh_unit_rollups(session, region, written=[(employee_id, period)], removed=[])
            if hold:
                first_refreshed.set()
                await release_first.wait()
            await session.commit()

    async def second_is_waiting() -> bool:
        async with scoring_db() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            return bool(waiting)

    first = asyncio.create_task(refresh("e-1", hold=True))
    await first_refreshed.wait()
    second = asyncio.create_task(refresh("e-2", hold=False))
    try:
        assert await wait_until(second_is_waiting, timeout=20)
    finally:
        release_first.set()
        await asyncio.gather(first, second)
    stored, rollups = await summaries_and_rollups(scoring_db, region)
    assert rollups == expected_rollups(stored)
    assert rollups[("u", period)]["employees"] == 3


async def test_a_row_written_with_what_its_rollup_counts_unchanged_leaves_the_rollup_alone(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    """Only the rollup columns count: a write of other columns (an activity count) leaves the
    entry and its unit-period's figures as they were (the same row versions); a new achievement
    writes that employee's entry again, the others' left, and the figures."""
    region, period = new_region_id(), "2026-Q1"
    rows = [summary(region, f"e-{n}", period, unit_id="u", achievement=Decimal("0.5") + n) for n in range(3)]
    async with await in_region(scoring_db, region) as session:
        await write(session, rows)
        await recompute_unit_rollups(session, region, [("u", period)])
        await session.commit()
    versions = await row_versions(scoring_db, region)

    async def refresh_with(**changed: Any) -> dict[str, str]:
        async with await in_region(scoring_db, region) as session:
            await write(session, [rows[0] | changed])
            await refresh_unit_rollups(session, region, written=[("e-0", period)], removed=[])
            await session.commit()
        return await row_versions(scoring_db, region)

    assert await refresh_with(activity_count=7) == versions
    rewritten = await refresh_with(achievement=Decimal("0.75"))
    assert {key for key in versions if rewritten[key] != versions[key]} == {"e-0", "rollup"}
    stored, rollups = await summaries_and_rollups(scoring_db, region)
    assert rollups == expected_rollups(stored)


async def row_versions(factory: async_sessionmaker[AsyncSession], region: str) -> dict[str, str]:
    """Each ranking entry's row version (``xmin``: the transaction that wrote it), by employee, and
    the rollup's (one unit-period here)."""
    async with await in_region(factory, region) as session:
        found = await session.execute(
            text(
                "SELECT employee_id, xmin::text FROM unit_ranking WHERE region_id = :r "
                "UNION ALL SELECT 'rollup', xmin::text FROM unit_rollups WHERE region_id = :r"
            ),
            {"r": region},
        )
        return {row[0]: row[1] for row in found}
