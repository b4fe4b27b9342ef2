"""Every service's outbox is vacuumed by row count (it is a queue), re-applied after each migration,
and is indexed by its id alone; the queue tables are analyzed from small samples."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import QUEUE_TABLE_STATISTICS
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", ["planning", "reporting", "scoring", "feedback"])
async def test_the_outbox_is_vacuumed_by_row_count(start_service, service):
    await start_service(service)
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            options = (
                await connection.execute(
                    text("SELECT reloptions FROM pg_class WHERE oid = to_regclass(:name)"),
                    {"name": f'"{service}".outbox'},
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    assert "autovacuum_vacuum_scale_factor=0" in options
    assert "autovacuum_vacuum_threshold=5000" in options


@pytest.mark.parametrize("service", ["planning", "reporting", "scoring", "feedback"])
async def test_the_outbox_is_indexed_by_id_only(start_service, service):
    # Nothing looks an outbox row up by its event id: an index of them cost a random B-tree insert
    # for every row written and again for every row marked sent.
    await start_service(service)
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            indexes = set(
                (
                    await connection.execute(
                        text(
                            "SELECT indexname FROM pg_indexes "
                            "WHERE schemaname = :schema AND tablename = 'outbox'"
                        ),
                        {"schema": service},
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    assert indexes == {"pk_outbox", "ix_outbox_unpublished"}


@pytest.mark.parametrize("service", ["planning", "reporting", "scoring", "feedback"])
async def test_the_queue_tables_are_analyzed_from_small_samples(start_service, service):
    await start_service(service)
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            targets = (
                await connection.execute(
                    text(
                        "SELECT c.relname, a.attname, a.attstattarget FROM pg_attribute a "
                        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :schema AND c.relname IN ('outbox', 'processed_events') "
                        "AND a.attnum > 0 AND NOT a.attisdropped"
                    ),
                    {"schema": service},
                )
            ).all()
    finally:
        await engine.dispose()
    assert {table for table, _, _ in targets} == {"outbox", "processed_events"}
    assert {
        (table, column): target for table, column, target in targets if target != QUEUE_TABLE_STATISTICS
    } == {}
