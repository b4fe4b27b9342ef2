"""Rows stored through one JSON parameter (``shared.json_rows``), on PostgreSQL.

The contributions a consumer batch stores travel as one JSON text, each row an array of its
values by position: each value must come back as it went (an instant with any offset, an exact
decimal, a missing one, a list of digests, booleans), and a value too long for its column must
fail the batch, not be cut short.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from services.scoring.adapters.tables import contributions
from shared.db import restrict_to_region
from shared.json_rows import insert_from_json_rows, json_rows
from tests.conftest import new_region_id

pytestmark = pytest.mark.integration

COLUMNS = (
    "activity_id",
    "region_id",
    "employee_id",
    "indicator_id",
    "result_id",
    "period",
    "year",
    "occurred_at",
    "occurred_utc_offset",
    "quantity",
    "denominator",
    "reported",
    "status",
    "measure_stamp_at",
    "measure_stamp_id",
    "measure_corrected",
    "status_stamp_at",
    "status_stamp_id",
    "evidence_sha256",
    "last_event_id",
    "updated_at",
)


def contribution(region_id: str, activity_id: str, **changed: Any) -> dict[str, Any]:
    jakarta = timezone(timedelta(hours=7))
    row: dict[str, Any] = {
        "activity_id": activity_id,
        "region_id": region_id,
        "employee_id": "employee-1",
        "indicator_id": "indicator-1",
        "result_id": None,
        "period": "2026-Q4",
        "year": 2026,
        "occurred_at": datetime(2026, 12, 2, 7, 30, 15, 123456, tzinfo=jakarta),
        "occurred_utc_offset": 420,
        "quantity": Decimal("12.3456"),
        "denominator": None,
        "reported": True,
        "status": "UNVERIFIED",
        "measure_stamp_at": datetime(2026, 12, 2, 0, 31, tzinfo=UTC),
        "measure_stamp_id": "event-1",
        "measure_corrected": False,
        "status_stamp_at": None,
        "status_stamp_id": None,
        "evidence_sha256": ["ab" * 32, "cd" * 32],
        "last_event_id": "event-1",
        "updated_at": datetime(2026, 12, 2, 0, 31, 5, tzinfo=UTC),
    }
    return row | changed


async def test_each_value_comes_back_as_it_was_sent(start_service: Any) -> None:
    service = await start_service("scoring")
    region_id = new_region_id()
    sent = [
        contribution(region_id, "a-1"),
        contribution(region_id, "a-2", denominator=Decimal("3"), quantity=Decimal("0.5"), evidence_sha256=[]),
        contribution(region_id, "a-3", reported=False, indicator_id=None, period=None, year=None),
    ]
    async with service.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region_id)
        await session.execute(
            insert_from_json_rows(contributions, COLUMNS), {"rows": json_rows(sent, COLUMNS)}
        )
        stored = {
            row.activity_id: row._mapping
            for row in await session.execute(
                select(*(contributions.c[name] for name in COLUMNS)).where(
                    contributions.c.region_id == region_id
                )
            )
        }
    assert {activity_id: {name: row[name] for name in COLUMNS} for activity_id, row in stored.items()} == {
        row["activity_id"]: row for row in sent
    }


async def test_a_value_too_long_for_its_column_fails_rather_than_being_cut_short(start_service: Any) -> None:
    service = await start_service("scoring")
    region_id = new_region_id()
    statement = insert_from_json_rows(contributions, COLUMNS)
    rows = json_rows([contribution(region_id, "a" * 65)], COLUMNS)
    async with service.context.session_factory() as session:  # rolled back as it closes
        await restrict_to_region(session, region_id)
        with pytest.raises(DBAPIError, match="too long"):
            await session.execute(statement, {"rows": rows})
