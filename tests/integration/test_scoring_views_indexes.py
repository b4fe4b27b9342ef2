"""The views' secondary indexes compare their ids as bytes (``text_pattern_ops``, migration 0026), and
the rollups' reads of a unit-period's summaries and ranking entries still go through them.

A refresh writes an entry into each of these indexes for every row it inserts; through the
collation each comparison looked the collation up and compared copies of both strings. Their readers
ask equality only, which the class serves as the default one did.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from services.scoring.service_layer.rollups import _KEYS_OF_UNIT_PERIODS
from tests.integration.index_keys import index_keys
from tests.integration.test_scoring_contributions_plan import index_scans
from tests.integration.test_scoring_keys_plan import region_policy_as_in_production, sql_literal

pytestmark = pytest.mark.integration


async def test_the_views_secondary_indexes_compare_ids_as_bytes(start_service: Any) -> None:
    # The summaries' index by rater, which nothing read, is gone (migration 0027).
    scoring = await start_service("scoring")
    keys: dict[str, list[str]] = {}
    async with scoring.context.engine.connect() as connection:
        for table in ("indicator_progress", "employee_scores", "unit_ranking"):
            rows = await connection.execute(index_keys(f"scoring.{table}"))
            keys |= {name: list(key) for name, key in rows}
    assert keys == {
        "pk_indicator_progress": ["region_id", "employee_id", "indicator_id", "period"],
        "ix_indicator_progress_region_id_employee_id_period": [
            "region_id text_pattern_ops",
            "employee_id text_pattern_ops",
            "period text_pattern_ops",
        ],
        "pk_employee_scores": ["region_id", "employee_id", "period"],
        "ix_employee_scores_region_id_unit_id_period": [
            "region_id text_pattern_ops",
            "unit_id text_pattern_ops",
            "period text_pattern_ops",
        ],
        "pk_unit_ranking": ["region_id", "employee_id", "period"],
        "ix_unit_ranking_region_id_unit_id_period": [
            "region_id text_pattern_ops",
            "unit_id text_pattern_ops",
            "period text_pattern_ops",
        ],
    }


async def test_a_unit_periods_summaries_and_entries_are_read_by_their_unit_index(start_service: Any) -> None:
    scoring = await start_service("scoring")
    parameters: dict[str, str | list[str]] = {
        "region_id": "r",
        "units": ["u-3", "u-7"],
        "periods": ["2026-Q1", "2026"],
    }
    async with scoring.context.engine.connect() as connection, connection.begin():
        # Tables of the same shape and indexes (classes too), found first (pg_temp leads the search
        # path), as the region policy meets the service: 40 units of 50 employees, five periods each.
        for table in ("employee_scores", "unit_ranking"):
            await connection.execute(
                text(f"CREATE TEMP TABLE {table} (LIKE scoring.{table} INCLUDING ALL) ON COMMIT DROP")
            )
        await connection.execute(
            text(
                "INSERT INTO employee_scores (employee_id, period, region_id, plan_id, unit_id, job_type,"
                " rater_id, additional_bonus, activity_count, indicator_outcomes, rule_set_from,"
                " proposed_result_rating, proposal_reasons, last_event_id)"
                " SELECT 'e-' || n, p, 'r', 'p-' || n, 'u-' || (n / 50), 'STRUKTURAL', 's-' || (n / 10),"
                " 0, 0, '[]', DATE '2026-01-01', 'SESUAI', '[]', 'x'"
                " FROM generate_series(0, 1999) n,"
                " unnest(ARRAY['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4', '2026']) p"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO unit_ranking (region_id, employee_id, period, unit_id, decided, entry)"
                " SELECT region_id, employee_id, period, unit_id, false, '' FROM employee_scores"
            )
        )
        await connection.execute(text("ANALYZE employee_scores, unit_ranking"))
        for table in ("employee_scores", "unit_ranking"):
            await region_policy_as_in_production(connection, table)
        arguments = {
            name: sql_literal(value)
            if isinstance(value, str)
            else "CAST(ARRAY[" + ", ".join(map(sql_literal, value)) + "] AS text[])"
            for name, value in parameters.items()
        }
        statement = str(_KEYS_OF_UNIT_PERIODS)
        for name, literal in arguments.items():
            statement = statement.replace(f":{name}", literal)
        plan = await connection.scalar(text(f"EXPLAIN (FORMAT JSON) {statement}"))
    scans = index_scans((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    # A bitmap scan names its index only; the copies' indexes are named after their tables and columns.
    by_unit = {scan["Index Name"] for scan in scans if "unit_id" in scan.get("Index Cond", "")}
    assert {name.split("_region_id")[0] for name in by_unit} == {"employee_scores", "unit_ranking"}, scans
