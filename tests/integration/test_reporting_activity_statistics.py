"""Reporting's activities are analyzed only in the columns its queries filter and sort by."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

#: What reporting's queries filter, join or sort activities by (services/reporting, activities.c.*).
READ_BY_PLANS = {"region_id", "activity_id", "employee_id", "indicator_id", "occurred_at", "status"}


async def test_only_the_columns_queries_filter_by_keep_statistics(start_service):
    await start_service("reporting")
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            targets: dict[str, int] = dict(
                (
                    await connection.execute(
                        text(
                            "SELECT attname, coalesce(attstattarget, -1) FROM pg_attribute "
                            "WHERE attrelid = 'reporting.activities'::regclass AND attnum > 0 "
                            "AND NOT attisdropped"
                        )
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    assert {name for name, target in targets.items() if target != 0} == READ_BY_PLANS
    assert {targets[name] for name in READ_BY_PLANS} == {-1}  # the default
