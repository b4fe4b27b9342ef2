"""The hot reads' lean session (shared/region_reads.py): one region, read-only, never pooled inside it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kinerja.services import definition
from shared.region_reads import opening, region_read
from tests.conftest import new_region_id
from tests.integration.test_region_isolation import COUNT_AUDIT, INSERT_AUDIT, migrated, run_as

pytestmark = pytest.mark.usefixtures("infrastructure")

__all__ = ["migrated"]  # the fixture, used by name

SETTING = text("SELECT current_setting('app.region_id', true)")


@pytest.fixture
async def one_connection(migrated: None) -> AsyncIterator[AsyncEngine]:
    """Connected as the services connect, with one pooled connection: every read reuses it."""
    settings = definition("planning").settings
    engine = create_async_engine(
        settings.database_url,
        pool_size=1,
        max_overflow=0,
        connect_args={"server_settings": {"search_path": settings.database_schema}},
    )
    yield engine
    await engine.dispose()


async def left_behind(engine: AsyncEngine) -> tuple[str | None, bool]:
    """What the next user of the pooled connection finds: the region setting, and a transaction."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        in_transaction = driver.is_in_transaction()
        return await driver.fetchval("SELECT current_setting('app.region_id', true)"), in_transaction


async def test_a_read_sees_only_its_region_and_leaves_nothing_behind(one_connection: AsyncEngine) -> None:
    mine, theirs = new_region_id(), new_region_id()
    await run_as(one_connection, theirs, INSERT_AUDIT, theirs)
    await run_as(one_connection, mine, INSERT_AUDIT, mine)
    async with region_read(one_connection, mine) as reader:
        assert await reader.scalar(text(COUNT_AUDIT), {"r": mine}) == 1
        assert await reader.scalar(text(COUNT_AUDIT), {"r": theirs}) == 0
        assert await reader.scalar(SETTING) == mine
    assert await left_behind(one_connection) in (("", False), (None, False))


async def test_a_region_id_that_is_not_plain_is_set_as_a_parameter(one_connection: AsyncEngine) -> None:
    theirs = new_region_id()
    await run_as(one_connection, theirs, INSERT_AUDIT, theirs)
    crafted = f"{theirs}', true); SELECT set_config('app.all_regions', 'on"
    assert opening(crafted) is None
    async with region_read(one_connection, crafted) as reader:
        assert await reader.scalar(SETTING) == crafted
        assert await reader.scalar(text("SELECT current_setting('app.all_regions', true)")) in ("", None)
        assert await reader.scalar(text(COUNT_AUDIT), {"r": theirs}) == 0
    assert await left_behind(one_connection) in (("", False), (None, False))


async def test_a_read_cannot_write(one_connection: AsyncEngine) -> None:
    region = new_region_id()
    with pytest.raises(Exception, match="read-only transaction"):
        async with region_read(one_connection, region) as reader:
            await reader.execute(text(INSERT_AUDIT), {"r": region})
    assert await left_behind(one_connection) in (("", False), (None, False))


async def test_a_failed_or_cancelled_read_is_never_pooled_inside_its_region(
    one_connection: AsyncEngine,
) -> None:
    region = new_region_id()
    with pytest.raises(Exception, match="division by zero"):
        async with region_read(one_connection, region) as reader:
            await reader.execute(text("SELECT 1 / 0"))
    assert await left_behind(one_connection) in (("", False), (None, False))

    async def slow() -> None:
        async with region_read(one_connection, region) as reader:
            await reader.execute(text("SELECT pg_sleep(5)"))

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(slow(), timeout=0.3)
    assert await left_behind(one_connection) in (("", False), (None, False))
    async with region_read(one_connection, region) as reader:
        assert await reader.scalar(SETTING) == region


async def test_rows_read_as_sqlalchemy_rows_and_literals_follow_each_statement(
    one_connection: AsyncEngine,
) -> None:
    series = func.generate_series(1, 3).table_valued("n").render_derived(name="s")
    numbers = select(series.c.n)
    async with region_read(one_connection, new_region_id()) as reader:
        rows = (await reader.execute(numbers.where(series.c.n > 1))).all()
        assert [row.n for row in rows] == [2, 3]
        # The same shape with another literal: compiled once, read with this statement's value.
        assert [row.n for row in (await reader.execute(numbers.where(series.c.n > 2))).all()] == [3]
        assert (await reader.execute(numbers.where(series.c.n > 3))).first() is None
        with pytest.raises(LookupError):
            (await reader.execute(numbers)).one()
        with pytest.raises(TypeError, match="ANY"):
            await reader.execute(numbers.where(series.c.n.in_([1, 2])))
