"""The relay prunes published rows past their retention by the outbox's primary key, not by reading
every row: a prune ran every two seconds and read the whole outbox (20% of PostgreSQL's statement
time in a 3-minute soak, rising as the outbox grew). As the services run it: as their role, bound
by row-level security, by a prepared statement's generic plan."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import MetaData, Table, func, insert, select, text
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from shared.db import outbox_table, see_all_regions
from shared.messaging.kafka import make_producer
from shared.messaging.relay import PUBLISHED_RETENTION, OutboxRelay, prune_statement
from shared.migrations import secure_schema, service_role
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

OLD = PUBLISHED_RETENTION + timedelta(hours=1)


@pytest.fixture
async def owner_engine(infrastructure: Any) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(ServiceSettings().migration_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def service_engine(infrastructure: Any) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(ServiceSettings().database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def outbox(owner_engine: AsyncEngine) -> AsyncIterator[Table]:
    schema = f"relay_prune_{uuid.uuid4().hex[:8]}"
    table = outbox_table(MetaData(schema=schema))
    async with owner_engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await connection.run_sync(table.metadata.create_all)
        # Region-isolated as every service's outbox is (the relay lifts it for its transaction).
        await secure_schema(connection, schema, None)
        role = service_role(ServiceSettings())
        await connection.execute(text(f'GRANT USAGE ON SCHEMA {schema} TO "{role}"'))
        await connection.execute(
            text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table.fullname} TO "{role}"')
        )
    yield table
    async with owner_engine.begin() as connection:
        await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


async def add_rows(engine: AsyncEngine, outbox: Table, published_ago: list[timedelta | None]) -> None:
    """Rows in id order, each published that long ago (None: not published)."""
    async with engine.begin() as connection:
        await see_all_regions(connection)
        for ago in published_ago:
            await connection.execute(
                insert(outbox).values(
                    event_id=uuid.uuid4(),
                    topic="test.prune",
                    partition_key="k",
                    event_type="PruneProbe",
                    region_id="r-prune",
                    value=orjson.dumps({}),
                    published_at=None if ago is None else func.now() - ago,
                )
            )


async def prune(engine: AsyncEngine, outbox: Table) -> int:
    producer = make_producer(ServiceSettings().kafka_bootstrap_servers, client_id="test-prune")
    relay = OutboxRelay(
        session_factory=async_sessionmaker(engine),
        outbox=outbox,
        producer=producer,
        bootstrap_servers=ServiceSettings().kafka_bootstrap_servers,
    )
    try:
        return await relay.prune_published()
    finally:
        await producer.stop()


async def published_ages(engine: AsyncEngine, outbox: Table) -> list[bool | None]:
    """What is left, in id order: whether each row is past the retention (None: not published)."""
    async with engine.connect() as connection:
        await see_all_regions(connection)
        rows = await connection.execute(
            select(outbox.c.published_at < func.now() - PUBLISHED_RETENTION).order_by(outbox.c.id)
        )
        return [row[0] for row in rows]


async def test_rows_past_the_retention_are_pruned_up_to_the_first_to_keep(
    owner_engine: AsyncEngine, service_engine: AsyncEngine, outbox: Table
) -> None:
    recent = timedelta(minutes=5)
    await add_rows(owner_engine, outbox, [OLD, OLD, OLD, recent, OLD, None, recent])

    assert await prune(service_engine, outbox) == 3
    # The first row to keep stops the prune: the relay publishes in id order, so an old row after
    # a recent one is none but a claim's moment (it goes with the next prune after it).
    assert await published_ages(owner_engine, outbox) == [False, True, None, False]
    assert await prune(service_engine, outbox) == 0


async def test_an_outbox_all_past_the_retention_is_emptied(
    owner_engine: AsyncEngine, service_engine: AsyncEngine, outbox: Table
) -> None:
    await add_rows(owner_engine, outbox, [OLD] * 5)

    assert await prune(service_engine, outbox) == 5
    assert await published_ages(owner_engine, outbox) == []


async def test_a_prune_reads_the_outbox_by_its_primary_key(
    owner_engine: AsyncEngine, service_engine: AsyncEngine, outbox: Table
) -> None:
    async with owner_engine.begin() as connection:
        await see_all_regions(connection)
        await connection.execute(
            text(
                f"INSERT INTO {outbox.fullname} (event_id, topic, partition_key, event_type, region_id, "
                "value, published_at) SELECT gen_random_uuid(), 'test.prune', 'k', 'PruneProbe', 'r', "
                "'\\x7b7d', now() - n * interval '1 second' FROM generate_series(1, 20000) AS n"
            )
        )
        await connection.execute(text(f"ANALYZE {outbox.fullname}"))
    compiled = prune_statement(outbox).compile(dialect=asyncpg.dialect())  # type: ignore[no-untyped-call]
    arguments = ", ".join(f"'{value}'" for value in ("48 hours", 1))
    assert list(compiled.params.values()) == [PUBLISHED_RETENTION, 1]
    async with service_engine.begin() as connection:
        await see_all_regions(connection)
        await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        await connection.execute(text(f"PREPARE prune_probe AS {compiled}"))
        plan = (
            await connection.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE prune_probe({arguments})"))
        ).scalar_one()
        await connection.execute(text("DEALLOCATE prune_probe"))
    nodes: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        nodes.append(node)
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan[0]["Plan"])
    # Nothing is due: the first row is kept, and no other row is read.
    assert not [node for node in nodes if node["Node Type"] == "Seq Scan"], plan
    assert sum(node.get("Rows Removed by Filter", 0) for node in nodes) == 0, plan
