"""A scorecard's field visits on real PostgreSQL: the period's, or the year's, as the device sent them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.contracts.reporting import FieldVisitLogged
from tests.conftest import auth
from tests.integration.scoring_events import Q1, YEAR, seeded

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
