"""The activities' employee index does not deduplicate (migration 0022): a batch's inserts split its
full leaves at once instead of scanning them for equal keys first (bench/README.md, session 32)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

_INDEX_OPTIONS = text(
    "SELECT c.relname, coalesce(c.reloptions, '{}') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE i.indrelid = 'reporting.activities'::regclass"
)


async def test_only_the_employee_index_leaves_deduplication_out(start_service: Any) -> None:
    await start_service("reporting")
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            options = {name: list(values) for name, values in await connection.execute(_INDEX_OPTIONS)}
    finally:
        await engine.dispose()
    assert options == {
        "pk_activities": [],
        "ix_activities_employee_time": ["deduplicate_items=off"],
        # Many employees of a region may report the same moment: its entries are still merged.
        "ix_activities_region_time": [],
    }
