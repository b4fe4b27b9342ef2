"""A scorecard's activities, written by PostgreSQL, are the answer the validated models write."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from services.scoring.service_layer.schemas import ActivityRead, ScorecardRead
from shared.contracts.reporting import ActivityCorrected, ActivityRejected
from shared.db import restrict_to_region
from shared.region_time import as_sent
from tests.conftest import auth
from tests.integration.scoring_events import Q1, YEAR, reported, seeded, verified
from tests.integration.test_region_isolation import engine_of, run_as

pytestmark = pytest.mark.integration

WIT = timezone(timedelta(hours=9))
INDIA = timezone(timedelta(hours=5, minutes=30))
WEST = timezone(-timedelta(hours=3, minutes=30))


async def expected_activities(region: str, employee_id: str, period: str) -> dict[str, list[dict[str, Any]]]:
    """The employee's reported activities by indicator, as the answer's models write them."""
    year = len(period) == 4
    engine = engine_of("scoring")
    try:
        async with engine.begin() as connection:
            await restrict_to_region(connection, region)
            rows = await connection.execute(
                text(
                    "SELECT activity_id, indicator_id, occurred_at, occurred_utc_offset, quantity,"
                    " denominator, status, measure_corrected, jsonb_array_length(evidence_sha256)"
                    " FROM contributions WHERE region_id = :r AND employee_id = :e AND reported"
                    f" AND {'year = :y' if year else 'period = :p'} ORDER BY occurred_at, activity_id"
                ),
                {"r": region, "e": employee_id, "p": period, "y": int(period[:4])},
            )
            found: dict[str, list[dict[str, Any]]] = {}
            for (
                activity_id,
                indicator_id,
                at,
                offset,
                quantity,
                denominator,
                status,
                corrected,
                files,
            ) in rows:
                found.setdefault(indicator_id, []).append(
                    ActivityRead(
                        activity_id=activity_id,
                        occurred_at=as_sent(at, offset),
                        quantity=quantity,
                        denominator=denominator,
                        status=status,
                        counted=status != "REJECTED",
                        corrected=corrected,
                        evidence_count=files,
                    ).model_dump(mode="json")
                )
            return found
    finally:
        await engine.dispose()


@pytest.mark.parametrize("period", [Q1, str(YEAR)])
async def test_the_activities_written_by_postgresql_are_the_validated_answer(
    start_service, make_token, period: str
) -> None:
    service, region = await seeded(start_service)
    r = region.id
    await region.apply(
        reported(
            r,
            "ani",
            'a"1\\ \u00e9\u4e2d\U0001f600',
            "docs",
            3,
            occurred_at=datetime(YEAR, 2, 4, 10, tzinfo=WIT),
        ),
        reported(
            r, "ani", "a2\n\t\u0001", "docs", 4, occurred_at=datetime(YEAR, 3, 4, 10, 0, 0, 5, tzinfo=INDIA)
        ),
        reported(
            r,
            "ani",
            "a3",
            "docs",
            5,
            occurred_at=datetime(YEAR, 1, 31, 23, 59, 59, 123456, tzinfo=WEST),
            evidence_sha256=["a" * 64, "b" * 64],
        ),
        reported(r, "ani", "a4", "docs", 6, occurred_at=datetime(YEAR, 2, 1, tzinfo=UTC)),
        reported(r, "ani", "w1", "wait", 20, denominator=Decimal("0.0001")),
        reported(r, "ani", "w2", "wait", 10, occurred_at=datetime(YEAR, 5, 6, 7, 8, 9, tzinfo=WIT)),
        verified(r, "ani", "w1"),
        ActivityRejected(region_id=r, activity_id="a3", employee_id="ani", verifier_id="boss", note="x"),
        ActivityCorrected(
            region_id=r,
            activity_id="a4",
            employee_id="ani",
            occurred_at=datetime(YEAR, 2, 2, 12, tzinfo=UTC),
            quantity=Decimal("12345678.9"),
            description="Diperbaiki",
        ),
    )
    # A row with neither a time nor numbers (no contract sends one; the columns allow it).
    engine = engine_of("scoring")
    try:
        await run_as(
            engine,
            r,
            "INSERT INTO contributions (region_id, activity_id, employee_id, indicator_id, period, year,"
            f" reported, status) VALUES (:r, 'a0', 'ani', 'ani-docs', '{Q1}', {YEAR}, true, 'VERIFIED')",
            r,
        )
    finally:
        await engine.dispose()

    answer = await service.client.get(
        "/v1/employees/ani/scorecard",
        params={"period": period},
        headers=auth(make_token("region_admin", region=r)),
    )

    assert answer.status_code == 200, answer.text
    shown = json.loads(answer.content)
    expected = await expected_activities(r, "ani", period)
    for indicator in shown["indicators"]:
        indicator["activities"] = expected.get(indicator["indicator_id"], [])
    assert answer.content == ScorecardRead.model_validate(shown).model_dump_json().encode()
    counts = {indicator["indicator_id"]: len(indicator["activities"]) for indicator in shown["indicators"]}
    assert (counts["ani-docs"], counts["ani-wait"]) == ((5, 1) if period == Q1 else (5, 2))
