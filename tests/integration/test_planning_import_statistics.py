"""An applied organisation import leaves its tables analyzed: the planner knows the new region's rows.

Unanalyzed, or analyzed before the region came, its rows were estimated at one or two, and the
region's list of employees joined their assignments as a nested loop: 18.9 s for 3,000 employees
just imported, 38 ms once analyzed (session 28). The estimates are read as the schema's owner:
the service's role sees them multiplied by its region policy's own guess.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import IMPORT_SIZE
from shared.settings import ServiceSettings
from tests.integration.test_planning_import import post_csv, region_with_secretary
from tests.unit.planning.csv_fixture import generate_structure_csv

pytestmark = pytest.mark.integration

#: Employees the file brings.
ROWS = 3 * IMPORT_SIZE


async def test_the_imported_regions_rows_are_estimated_as_many_as_they_are(start_service, make_token):
    planning = await start_service("planning")
    generated = generate_structure_csv(ROWS, seed=28)
    region, admin, _ = await region_with_secretary(planning.client, make_token, generated)

    response = await post_csv(planning.client, admin, generated.text)
    assert response.status_code == 200, response.text[:500]

    estimates: dict[str, Any] = {}
    owner = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with owner.connect() as connection:
            for table in ("employees", "employee_assignments"):
                plan = await connection.scalar(
                    text(f"EXPLAIN (FORMAT JSON) SELECT * FROM planning.{table} WHERE region_id = :region"),
                    {"region": region},
                )
                found = json.loads(plan) if isinstance(plan, str) else plan
                estimates[table] = found[0]["Plan"]["Plan Rows"]
    finally:
        await owner.dispose()
    # The secretary and the file's employees.
    assert all(ROWS / 2 <= rows <= 2 * ROWS for rows in estimates.values()), estimates
