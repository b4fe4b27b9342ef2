"""A batch's keys (one JSON parameter) are looked up by their index on a table not yet analyzed.

The consumer's first minutes run on tables it has just filled, before autovacuum analyzes them.
With the keys table flattened into the statement, each look-up compared the plan's employee with
the expression ``key ->> 0``, and the planner found the region's scan by the primary key as cheap
as the employee's index, and chose it: each key scanned the region's plans (the consumer bench's
PostgreSQL CPU an event doubled, session 25). ``keys_table`` keeps the keys a table of their own.

The table keeps the real one's region policy, forced, as the service role meets it: under it only
leakproof conditions reach an index (a look-up by row comparisons planned well without it and
filtered the region's rows with it, session 27).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from services.scoring.adapters.sql_arrays import key_rows
from services.scoring.service_layer.views.summary_inputs import _PLANS_IN_FORCE
from shared.db import SEE_ALL_REGIONS
from shared.migrations import REGION_POLICY
from tests.integration.test_scoring_contributions_plan import index_scans

pytestmark = pytest.mark.integration


async def region_policy_as_in_production(connection: Any, table: str, schema: str = "scoring") -> None:
    """The temporary ``table`` secured as ``<schema>.<table>`` is, the transaction seeing every region."""
    predicate = await connection.scalar(
        text(
            "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy"
            " WHERE polrelid = CAST(:table AS regclass) AND polname = :policy"
        ),
        {"table": f"{schema}.{table}", "policy": REGION_POLICY},
    )
    assert predicate, f"{schema}.{table} has no {REGION_POLICY} policy"
    await connection.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY"))
    await connection.execute(text(f"CREATE POLICY {REGION_POLICY} ON {table} USING ({predicate})"))
    await connection.execute(SEE_ALL_REGIONS)


def sql_literal(value: str | int) -> str:
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


async def test_the_plans_in_force_are_looked_up_by_employee_before_analyze(start_service: Any) -> None:
    scoring = await start_service("scoring")
    compiled = _PLANS_IN_FORCE.compile(dialect=scoring.context.engine.dialect)
    keys = key_rows([(f"e-{n}",) for n in range(0, 500, 2)])
    parameters = compiled.construct_params({"region_id": "r", "keys": keys})
    values = [parameters[name] for name in compiled.positiontup or ()]
    async with scoring.context.engine.connect() as connection, connection.begin():
        # A table of the same shape and indexes, filled and never analyzed (autovacuum leaves
        # temporary tables alone), found first (pg_temp leads the search path): 500 plans of a region.
        await connection.execute(
            text("CREATE TEMP TABLE plans (LIKE scoring.plans INCLUDING ALL) ON COMMIT DROP")
        )
        await connection.execute(
            text(
                "INSERT INTO plans (plan_id, region_id, employee_id, year, approved, superseded, in_force)"
                " SELECT 'p-' || n, 'r', 'e-' || n, 2026, true, false, true FROM generate_series(0, 499) n"
            )
        )
        await region_policy_as_in_production(connection, "plans")
        await connection.exec_driver_sql(f"PREPARE look_up AS {compiled}")
        try:
            # EXECUTE takes no parameters of the protocol: its arguments as literals.
            arguments = ", ".join(sql_literal(value) for value in values)
            plan = await connection.scalar(text(f"EXPLAIN (FORMAT JSON) EXECUTE look_up({arguments})"))
        finally:
            await connection.exec_driver_sql("DEALLOCATE look_up")
    scans = index_scans((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    assert len(scans) == 1, scans
    assert "employee_id" in scans[0].get("Index Cond", ""), scans[0]
