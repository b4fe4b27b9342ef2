"""Every service's outbox is vacuumed by row count (it is a queue), re-applied after each migration,
and is indexed by its id alone."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

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
