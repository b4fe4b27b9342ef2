"""Reporting's reads, reviews and audit trail answered together, more at once than its pool has
connections, just as the process's copy of the region's zone has expired, on real PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.db_pool import MAX_OVERFLOW
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import activity, seed_team, submit

pytestmark = pytest.mark.integration


def twice_the_pool(service: Any) -> int:
    """Twice the connections the service's pool may open."""
    capacity: int = service.context.settings.database_pool_size + MAX_OVERFLOW
    return 2 * capacity


def expire_every_zone_copy(service: Any) -> None:
    """Forget the process's copies of the zones: the next requests look them up."""
    service.context.extras.pop("region_zones", None)


async def all_answers(requests: list[Any]) -> list[Any]:
    # A route that held its session's (or work's) connection while it looked up the zone needed a
    # second one: with every pooled connection held so, each waited until the pool's 30 s timeout.
    return list(await asyncio.wait_for(asyncio.gather(*requests), timeout=20))


@pytest.mark.parametrize(
    ("read", "reader"),
    [
        ("/v1/activities", "staff"),
        ("/v1/employees/{employee_id}/activities", "rater"),
        ("/v1/activities/{activity_id}", "staff"),
        ("/v1/field-visits", "rater"),
        ("/v1/audit-log", "auditor"),
    ],
)
async def test_more_reads_at_once_than_pooled_connections_all_answer_while_the_zone_is_looked_up(
    start_service, make_token, read, reader
):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    created = await submit(reporting, staff, activity(staff))
    assert created.status_code == 201, created.text
    tokens = {
        "staff": staff.token,
        "rater": team.rater.token,
        "auditor": make_token("auditor", region=team.region),
    }
    path = read.format(employee_id=staff.employee_id, activity_id=created.json()["activity_id"])
    count = twice_the_pool(reporting)
    expire_every_zone_copy(reporting)

    answers = await all_answers(
        [reporting.client.get(path, headers=auth(tokens[reader])) for _ in range(count)]
    )

    assert [answer.status_code for answer in answers] == [200] * count, answers[0].text


async def test_more_reviews_at_once_than_pooled_connections_all_answer_while_the_zone_is_looked_up(
    start_service, make_token
):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    count = twice_the_pool(reporting)
    submitted = [
        (await submit(reporting, staff, activity(staff))).json()["activity_id"] for _ in range(count)
    ]
    expire_every_zone_copy(reporting)

    answers = await all_answers(
        [
            reporting.client.post(f"/v1/activities/{activity_id}/verify", headers=auth(team.rater.token))
            for activity_id in submitted
        ]
    )

    assert [answer.status_code for answer in answers] == [200] * count, answers[0].text
