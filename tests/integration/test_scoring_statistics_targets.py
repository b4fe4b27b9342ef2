"""Scoring's big tables are analyzed from a small sample: every column has the low statistics target.

ANALYZE samples 300 rows per unit of the largest target among a table's columns, so one column
left at the default (a column added later) would bring back the 30,000-row sample (migration 0013).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration

TARGET = 10


@pytest.mark.parametrize("table", ["contributions", "employee_scores"])
async def test_every_column_is_sampled_lightly(start_service: Any, table: str) -> None:
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
    assert targets
    assert {name: value for name, value in targets.items() if value != TARGET} == {}
