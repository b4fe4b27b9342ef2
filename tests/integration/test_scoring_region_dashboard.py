"""The region dashboard on real PostgreSQL: every unit side by side, the region's figures and trend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.contracts.feedback import ComplaintDeadlineBreached
from shared.contracts.planning import UnitUpserted
from tests.conftest import auth
from tests.integration.scoring_events import IN_Q1, Q1, YEAR, rater_assessment, reported, seeded

pytestmark = pytest.mark.integration

IN_Q2 = datetime(YEAR, 5, 10, 3, tzinfo=UTC)


def breached(region: str, complaint: str, unit: str, due_at: datetime) -> ComplaintDeadlineBreached:
    return ComplaintDeadlineBreached(
        region_id=region, complaint_id=complaint, unit_id=unit, stage="follow_up", due_at=due_at
    )


async def test_the_region_dashboard_shows_every_unit_its_breaches_and_the_years_trend(
    start_service, make_token
):
    service, region = await seeded(start_service)
    r = region.id
    await region.apply(
        UnitUpserted(region_id=r, unit_id="disdik", code="disdik", name="Dinas Pendidikan", kind="opd"),
        reported(r, "ani", "a1", "docs", 100),
        reported(r, "ani", "w1", "wait", 15),
        rater_assessment(r, "ani", "boss", 3),
        reported(r, "budi", "b1", "docs", 100),
        reported(r, "budi", "bw1", "wait", 15),
        rater_assessment(r, "budi", "boss", 3),
        breached(r, "c1", "dukcapil", IN_Q1),
        # A unit planning never named, known here only by its breaches.
        breached(r, "c2", "kesehatan", IN_Q1),
        breached(r, "c3", "kesehatan", IN_Q2),
    )
    admin = auth(make_token("region_admin", region=r))

    quarter = await service.client.get("/v1/region/dashboard", params={"period": Q1}, headers=admin)
    year = await service.client.get("/v1/region/dashboard", params={"period": str(YEAR)}, headers=admin)

    assert quarter.status_code == 200, quarter.text
    assert year.status_code == 200, year.text
    board = quarter.json()
    assert board["employees"] == 2  # ani and budi (boss has no plan)
    assert {p["predicate"]: p["count"] for p in board["predicates"]}["BAIK"] == 2
    by_unit = {unit["unit_id"]: unit for unit in board["units"]}
    assert [unit["unit_id"] for unit in board["units"]] == ["disdik", "dukcapil", "kesehatan"]
    assert by_unit["disdik"] == {
        "unit_id": "disdik",
        "unit_name": "Dinas Pendidikan",
        "employees": 0,
        "achievement_mean": None,
        "distribution_compliant": None,  # no organisation predicate
        "complaint_breaches": 0,
        "satisfaction_index": None,
    }
    assert by_unit["dukcapil"]["unit_name"] == "Dinas Dukcapil"
    assert by_unit["dukcapil"]["employees"] == 2
    assert by_unit["dukcapil"]["achievement_mean"] == board["achievement_mean"] is not None
    # A unit rated Baik needs at least one Butuh Perbaikan or Kurang: everyone Baik breaks the pattern.
    assert by_unit["dukcapil"]["distribution_compliant"] is False
    assert by_unit["dukcapil"]["complaint_breaches"] == 1
    assert by_unit["kesehatan"]["unit_name"] is None
    assert by_unit["kesehatan"]["complaint_breaches"] == 1
    assert [
        (point["period"], point["employees"], point["complaint_breaches"]) for point in board["trend"]
    ] == [
        (f"{YEAR}-Q1", 2, 2),
        (f"{YEAR}-Q2", 2, 1),
        (f"{YEAR}-Q3", 2, 0),
        (f"{YEAR}-Q4", 2, 0),
    ]
    assert board["trend"][0]["achievement_mean"] == board["achievement_mean"]
    # The year counts every breach of its periods.
    yearly = {unit["unit_id"]: unit["complaint_breaches"] for unit in year.json()["units"]}
    assert yearly == {"disdik": 0, "dukcapil": 1, "kesehatan": 2}
    assert year.json()["trend"] == board["trend"]
