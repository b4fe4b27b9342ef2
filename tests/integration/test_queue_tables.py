"""Every service's outbox is vacuumed by row count (it is a queue), re-applied after each migration,
and is indexed by its id alone; the runtime's tables (outbox, inbox, audit trail) are analyzed from
small samples."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import LIGHT_STATISTICS
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration
SERVICES = ["planning", "reporting", "scoring", "feedback"]


async def catalog(start_service, service: str, query: str) -> list[tuple[Any, ...]]:
    """The service started (so migrated and tuned), then a query of the catalog about its schema."""
    await start_service(service)
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(query), {"schema": service})]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_the_outbox_is_vacuumed_by_row_count(start_service, service):
    [(options,)] = await catalog(
        start_service,
        service,
        "SELECT reloptions FROM pg_class WHERE oid = to_regclass(quote_ident(:schema) || '.outbox')",
    )
    assert "autovacuum_vacuum_scale_factor=0" in options
    assert "autovacuum_vacuum_threshold=5000" in options


@pytest.mark.parametrize("service", SERVICES)
async def test_the_outbox_and_the_inbox_are_analyzed_seldom(start_service, service):
    # Nothing plans by their statistics: an analyze every 5,000 rows cost the soak 6.3 µs an activity.
    rows = await catalog(
        start_service,
        service,
        "SELECT relname, reloptions FROM pg_class WHERE oid IN "
        "(to_regclass(quote_ident(:schema) || '.outbox'), "
        "to_regclass(quote_ident(:schema) || '.processed_events'))",
    )
    assert {table for table, _ in rows} == {"outbox", "processed_events"}
    for table, options in rows:
        assert "autovacuum_analyze_threshold=100000" in options, table
        assert "autovacuum_analyze_scale_factor=0.1" in options, table


@pytest.mark.parametrize("service", SERVICES)
async def test_the_outbox_is_indexed_by_id_only(start_service, service):
    # Nothing looks an outbox row up by its event id: an index of them cost a random B-tree insert
    # for every row written and again for every row marked sent.
    indexes = await catalog(
        start_service,
        service,
        "SELECT indexname FROM pg_indexes WHERE schemaname = :schema AND tablename = 'outbox'",
    )
    assert {name for (name,) in indexes} == {"pk_outbox", "ix_outbox_unpublished"}


@pytest.mark.parametrize("service", SERVICES)
async def test_the_runtime_tables_are_analyzed_from_small_samples(start_service, service):
    targets = await catalog(
        start_service,
        service,
        "SELECT c.relname, a.attname, a.attstattarget FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relname IN ('outbox', 'processed_events', 'audit_log') "
        "AND a.attnum > 0 AND NOT a.attisdropped",
    )
    assert {table for table, _, _ in targets} == {"outbox", "processed_events", "audit_log"}
    others = {(table, name): target for table, name, target in targets if target != LIGHT_STATISTICS}
    assert others == {}
