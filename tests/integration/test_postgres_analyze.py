"""The embedded PostgreSQL analyzes a table the consumers fill from empty within seconds.

Until its first analyze a table is planned as empty, and a generic plan cached meanwhile stays:
scoring's per-activity look-up (the contributions of a batch's activities, by primary key) was
planned as an index scan by the region alone, 316 ms a call at 20,000 rows. An analyze makes
every plan of the table new.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings
from tests.conftest import wait_until

pytestmark = pytest.mark.integration


async def test_a_table_filled_from_empty_is_analyzed_within_seconds(infrastructure):
    if infrastructure is None:
        pytest.skip("an external PostgreSQL's autovacuum settings are its operator's")
    engine = create_async_engine(ServiceSettings().migration_database_url)
    table = f"analyze_probe_{time.monotonic_ns()}"
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE {table} (id int PRIMARY KEY, region text)"))
            await connection.execute(
                text(f"INSERT INTO {table} SELECT n, 'r' || n % 4 FROM generate_series(1, 500) n")
            )

        async def analyzed() -> bool:
            async with engine.connect() as connection:
                found = await connection.execute(
                    text("SELECT last_autoanalyze FROM pg_stat_user_tables WHERE relname = :name"),
                    {"name": table},
                )
                return found.scalar_one_or_none() is not None

        # Autovacuum's default round is 60 s; the embedded server's is 10 s.
        assert await wait_until(analyzed, timeout=40.0, interval=0.5)
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await engine.dispose()
