"""A scorecard's field visits and activities on real PostgreSQL: the period's or the year's, as sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.scoring.service_layer.queries import scorecards
from shared.auth import Principal, Role
from shared.contracts.reporting import FieldVisitLogged
from shared.region_reads import region_read
from shared.region_time import shown_in
from tests.conftest import auth
from tests.integration.scoring_events import Q1, YEAR, rater_assessment, reported, seeded
from tests.integration.test_region_isolation import engine_of

pytestmark = pytest.mark.integration

WIT = timezone(timedelta(hours=9))
INDIA = timezone(timedelta(hours=5, minutes=30))


def visit(region: str, visit_id: str, visited_at: datetime) -> FieldVisitLogged:
    return FieldVisitLogged(
        region_id=region,
        visit_id=visit_id,
        supervisor_id="boss",
        employee_ids=["ani"],
        location="Kantor Dukcapil",
        visited_at=visited_at,
        findings=f"Temuan {visit_id}.",
    )


async def test_a_scorecard_lists_its_periods_field_visits_in_time_order_as_sent(start_service, make_token):
    service, region = await seeded(start_service)
    r = region.id
    in_may = datetime(YEAR, 5, 2, 9, 15, 30, 123456, tzinfo=INDIA)
    in_february = datetime(YEAR, 2, 3, 8, 0, tzinfo=WIT)
    await region.apply(visit(r, "v-may", in_may), visit(r, "v-feb", in_february))
    admin = auth(make_token("region_admin", region=r))

    quarter = await service.client.get("/v1/employees/ani/scorecard", params={"period": Q1}, headers=admin)
    year = await service.client.get(
        "/v1/employees/ani/scorecard", params={"period": str(YEAR)}, headers=admin
    )

    assert quarter.status_code == 200, quarter.text
    assert year.status_code == 200, year.text
    assert quarter.json()["field_visits"] == [
        {
            "visit_id": "v-feb",
            "supervisor_id": "boss",
            "visited_at": in_february.isoformat(),
            "location": "Kantor Dukcapil",
            "findings": "Temuan v-feb.",
            "follow_up": None,
        }
    ]
    assert [(v["visit_id"], v["visited_at"]) for v in year.json()["field_visits"]] == [
        ("v-feb", in_february.isoformat()),
        ("v-may", in_may.isoformat()),
    ]


async def test_a_scorecard_lists_its_periods_activities_in_time_order_as_sent(start_service, make_token):
    service, region = await seeded(start_service)
    r = region.id
    early = datetime(YEAR, 2, 4, 10, 5, 6, 789012, tzinfo=INDIA)
    late = datetime(YEAR, 3, 1, 7, 0, tzinfo=WIT)
    in_may = datetime(YEAR, 5, 2, 9, 0, tzinfo=WIT)
    await region.apply(
        reported(r, "ani", "a-late", "docs", 3, occurred_at=late),
        reported(r, "ani", "a-early", "docs", 7, occurred_at=early),
        reported(r, "ani", "a-may", "docs", 2, occurred_at=in_may),
    )
    admin = auth(make_token("region_admin", region=r))

    quarter = await service.client.get("/v1/employees/ani/scorecard", params={"period": Q1}, headers=admin)
    year = await service.client.get(
        "/v1/employees/ani/scorecard", params={"period": str(YEAR)}, headers=admin
    )

    assert quarter.status_code == 200, quarter.text
    assert year.status_code == 200, year.text
    [docs] = [item for item in quarter.json()["indicators"] if item["indicator_id"] == "ani-docs"]
    assert [(a["activity_id"], a["occurred_at"], a["quantity"]) for a in docs["activities"]] == [
        ("a-early", early.isoformat(), "7.0000"),
        ("a-late", late.isoformat(), "3.0000"),
    ]
    assert docs["activities"][0] == {
        "activity_id": "a-early",
        "occurred_at": early.isoformat(),
        "quantity": "7.0000",
        "denominator": None,
        "status": "UNVERIFIED",
        "counted": True,
        "corrected": False,
        "evidence_count": 0,
    }
    [yearly] = [item for item in year.json()["indicators"] if item["indicator_id"] == "ani-docs"]
    assert [a["activity_id"] for a in yearly["activities"]] == ["a-early", "a-late", "a-may"]


@pytest.mark.parametrize("period", [Q1, str(YEAR)])
async def test_a_scorecard_is_read_in_one_statement(start_service, period: str) -> None:
    """Its summary, indicators with progress and activities come in one round trip, not three."""
    _, region = await seeded(start_service)
    r = region.id
    await region.apply(
        reported(r, "ani", "a1", "docs", 3, occurred_at=datetime(YEAR, 2, 4, 10, tzinfo=WIT)),
        reported(r, "ani", "a2", "docs", 4, occurred_at=datetime(YEAR, 3, 4, 10, tzinfo=INDIA)),
    )
    engine = engine_of("scoring")
    statements: list[Any] = []
    try:
        async with region_read(engine, r) as reader:
            execute = reader.execute

            async def counted(statement: Any, parameters: Any = None) -> Any:
                statements.append(statement)
                return await execute(statement, parameters)

            reader.execute = counted  # type: ignore[method-assign]
            admin = Principal(subject="hr", region_id=r, roles=frozenset({Role.REGION_ADMIN}))
            card = await scorecards.scorecard(
                session=reader, principal=admin, employee_id="ani", period=period, zone=UTC
            )
    finally:
        await engine.dispose()

    assert len(statements) == 1
    [(docs, activities)] = [
        (item, json.loads(listed))
        for item, listed in zip(card.figures.indicators, card.activities, strict=True)
        if item.indicator_id == "ani-docs"
    ]
    assert [(a["activity_id"], a["quantity"]) for a in activities] == [("a1", "3.0000"), ("a2", "4.0000")]
    assert docs.activity_count == 2


async def test_a_scorecard_is_built_in_the_regions_zone_as_shown_in_shows_it(start_service) -> None:
    """The platform's times (progress, assessment, summary) in the zone, the device's as sent."""
    _, region = await seeded(start_service)
    r = region.id
    await region.apply(
        reported(r, "ani", "a1", "docs", 3, occurred_at=datetime(YEAR, 2, 4, 10, tzinfo=WIT)),
        rater_assessment(r, "ani", "boss", 3),
        visit(r, "v1", datetime(YEAR, 2, 5, 9, 30, tzinfo=INDIA)),
    )
    papua = ZoneInfo("Asia/Jayapura")
    admin = Principal(subject="hr", region_id=r, roles=frozenset({Role.REGION_ADMIN}))
    engine = engine_of("scoring")
    try:
        async with region_read(engine, r) as reader:
            built = await scorecards.scorecard(
                session=reader, principal=admin, employee_id="ani", period=Q1, zone=papua
            )
            in_utc = await scorecards.scorecard(
                session=reader, principal=admin, employee_id="ani", period=Q1, zone=UTC
            )
    finally:
        await engine.dispose()

    figures = built.figures
    assert figures.model_dump_json() == shown_in(in_utc.figures, papua).model_dump_json()
    assert built.activities == in_utc.activities  # the device's times, as sent in any zone
    assert figures.updated_at.utcoffset() == timedelta(hours=9)
    assert figures.behaviour_assessment is not None
    assert figures.behaviour_assessment.submitted_at.utcoffset() == timedelta(hours=9)
    [(docs, activities)] = [
        (item, json.loads(listed))
        for item, listed in zip(figures.indicators, built.activities, strict=True)
        if item.indicator_id == "ani-docs"
    ]
    assert docs.updated_at is not None
    assert docs.updated_at.utcoffset() == timedelta(hours=9)
    assert datetime.fromisoformat(activities[0]["occurred_at"]) == datetime(YEAR, 2, 4, 10, tzinfo=WIT)
    assert activities[0]["occurred_at"].endswith("+09:00")
    assert figures.field_visits[0].visited_at.utcoffset() == timedelta(hours=5, minutes=30)
