"""The activities' indexes as a batch's inserts cost least: the time indexes do not deduplicate
(migrations 0022 and 0026: a batch's inserts split its full leaves at once instead of scanning them for equal
keys first, bench/README.md, session 32), the key leads by the id (0023: a comparison settled by the
id alone, session 33) and the employee index keys the region after the time (0024, session 33)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings
from tests.integration.index_keys import index_keys

pytestmark = pytest.mark.integration

_INDEX_OPTIONS = text(
    "SELECT c.relname, coalesce(c.reloptions, '{}') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE i.indrelid = 'reporting.activities'::regclass"
)
_INDEX_KEYS = index_keys("reporting.activities")


async def _activity_indexes(start_service: Any, query: Any) -> dict[str, list[str]]:
    """Each of the activities' indexes with what ``query`` says of it (a list)."""
    await start_service("reporting")
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            return {name: list(values) for name, values in await connection.execute(query)}
    finally:
        await engine.dispose()


async def test_the_time_indexes_leave_deduplication_out(start_service: Any) -> None:
    options = await _activity_indexes(start_service, _INDEX_OPTIONS)
    assert options == {
        "pk_activities": [],
        "ix_activities_employee_time": ["deduplicate_items=off"],
        # A batch's leaves split at once (0026), at the price of space where times repeat.
        "ix_activities_region_time": ["deduplicate_items=off"],
    }


async def test_the_key_leads_by_the_id(start_service: Any) -> None:
    keys = await _activity_indexes(start_service, _INDEX_KEYS)
    # The id settles a comparison alone; the region is read between equal ids only.
    assert keys["pk_activities"] == ["activity_id", "region_id"]


async def test_the_employee_index_keys_the_region_after_the_time(start_service: Any) -> None:
    keys = await _activity_indexes(start_service, _INDEX_KEYS)
    # An employee's rows are all of one region: second, it was compared (equal) at each step.
    assert keys["ix_activities_employee_time"] == [
        "employee_id text_pattern_ops",
        "occurred_at",
        "region_id text_pattern_ops",
    ]


async def test_the_ids_read_by_equality_alone_compare_as_bytes(start_service: Any) -> None:
    keys = await _activity_indexes(start_service, _INDEX_KEYS)
    # No collation's look-up a comparison; the key keeps the default class (its order is read).
    assert keys == {
        "pk_activities": ["activity_id", "region_id"],
        "ix_activities_employee_time": [
            "employee_id text_pattern_ops",
            "occurred_at",
            "region_id text_pattern_ops",
        ],
        "ix_activities_region_time": ["region_id text_pattern_ops", "occurred_at"],
    }
