"""The tables that grow by every event are analyzed lightly: a small sample, and only the columns
queries filter, join or sort by (``shared.migrations.analyze_lightly``).

ANALYZE samples 300 rows per unit of the largest target among a table's columns, so a column left
at the default (one added later and given neither) would bring the 30,000-row sample back: each
column is either one queries read (``LIGHT_STATISTICS``) or not summarized at all (0).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import LIGHT_STATISTICS
from shared.settings import ServiceSettings
from tests.integration.service_migrations import service_migration

pytestmark = pytest.mark.integration

#: Each table, and the migration naming the columns its service's queries read.
TABLES = [
    ("reporting", "activities", "2026_12_03_0008_activity_statistics.py"),
    ("scoring", "contributions", "2026_12_03_0013_big_tables_sampled_lightly.py"),
    ("scoring", "employee_scores", "2026_12_03_0013_big_tables_sampled_lightly.py"),
    ("feedback", "activities", "2026_12_03_0009_activities_sampled_lightly.py"),
]


@pytest.mark.parametrize(("service", "table", "migration"), TABLES)
async def test_only_the_columns_queries_read_are_sampled_lightly(
    start_service: Any, service: str, table: str, migration: str
) -> None:
    await start_service(service)
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            targets: dict[str, int] = dict(
                (
                    await connection.execute(
                        text(
                            "SELECT attname, coalesce(attstattarget, -1) FROM pg_attribute "
                            "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
                        ),
                        {"table": f"{service}.{table}"},
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    read_by_queries = service_migration(service, migration).READ_BY_QUERIES
    read = set(read_by_queries[table] if isinstance(read_by_queries, dict) else read_by_queries)
    assert read <= set(targets)
    assert targets == {name: LIGHT_STATISTICS if name in read else 0 for name in targets}
