"""A region's import, applied in one batch, leaves its tables analyzed: the summaries' look-ups of
the new region's employees take the primary keys at once, not an index led by the region alone.

Planned as the consumer plans them: the service's role, the region policy forced, every region
seen. The new region is unknown to the statistics until the tables are analyzed, a row whichever
index serves it, and the index by region and date (the assignments) or by region, rater and
period (the stored summaries) won: each key then filtered the region's rows (session 28).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scoring.adapters.sql_arrays import key_rows
from services.scoring.service_layer.views.summary_inputs import _ASSIGNMENTS_TODAY, _ROW_FACTS
from shared.db import IMPORT_SIZE, SEE_ALL_REGIONS
from tests.conftest import new_region_id
from tests.integration.scoring_events import employee
from tests.integration.scoring_scenarios import T0, YEAR, counted_plan, wrap
from tests.integration.test_scoring_contributions_plan import index_scans
from tests.integration.test_scoring_keys_plan import sql_literal
from tests.integration.test_scoring_views import deliver, scoring_db, scoring_service

pytestmark = pytest.mark.integration

__all__ = ["scoring_db", "scoring_service"]

#: Employees of the imported region, each with an assignment and an approved plan: tables of a few
#: pages, which a look-up per key reads by an index (a table of a page or two is scanned whole).
EMPLOYEES = 5 * IMPORT_SIZE


async def _plan(session: AsyncSession, statement: Any, parameters: dict[str, Any]) -> dict[str, Any]:
    """The plan of ``statement`` as a prepared statement of the consumer's gets it (EXPLAIN of the
    prepared statement, its arguments as literals)."""
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    bound = compiled.construct_params(parameters)
    arguments = ", ".join(sql_literal(bound[name]) for name in compiled.positiontup or ())
    await connection.exec_driver_sql(f"PREPARE look_up AS {compiled}")
    try:
        plan = await connection.scalar(text(f"EXPLAIN (FORMAT JSON) EXECUTE look_up({arguments})"))
    finally:
        await connection.exec_driver_sql("DEALLOCATE look_up")
    found: dict[str, Any] = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return found


async def test_an_imported_regions_employees_are_looked_up_by_primary_key(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    region = new_region_id()
    people = [f"e{number}" for number in range(EMPLOYEES)]
    imported = [wrap(employee(region, person, "boss"), T0) for person in people]
    imported += [counted_plan(region, person) for person in people]
    await deliver(scoring_db, imported)

    async with scoring_db() as session, session.begin():
        await session.execute(SEE_ALL_REGIONS)
        looked_up = people[::2]
        assignments = await _plan(
            session, _ASSIGNMENTS_TODAY, {"region_id": region, "keys": key_rows([(p,) for p in looked_up])}
        )
        summaries = await _plan(
            session,
            _ROW_FACTS,
            {"region_id": region, "keys": key_rows([(p, f"{YEAR}-Q1") for p in looked_up])},
        )
    scans = {scan["Relation Name"]: scan for scan in index_scans(assignments) + index_scans(summaries)}
    assert scans["employees"]["Index Name"] == "pk_employees", scans["employees"]
    assert scans["employee_scores"]["Index Name"] == "pk_employee_scores", scans["employee_scores"]
