"""Scoring's big tables are analyzed lightly: a small sample, and only the columns queries read.

ANALYZE samples 300 rows per unit of the largest target among a table's columns, so a column left
at the default (a column added later) would bring back the 30,000-row sample (migration 0013):
each column is either one queries read (target 10) or not summarized at all (target 0).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.integration.scoring_migrations import scoring_migration

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("table", ["contributions", "employee_scores"])
async def test_only_the_columns_queries_read_are_sampled_lightly(start_service: Any, table: str) -> None:
    scoring = await start_service("scoring")
    async with scoring.context.engine.connect() as connection:
        targets = dict(
            (
                await connection.execute(
                    text(
                        "SELECT attname, coalesce(attstattarget, -1) FROM pg_attribute "
                        "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
                    ),
                    {"table": f"scoring.{table}"},
                )
            ).all()
        )
    read = set(scoring_migration("2026_12_03_0013_big_tables_sampled_lightly.py").READ_BY_QUERIES[table])
    assert read <= set(targets)
    assert targets == {name: 10 if name in read else 0 for name in targets}
