"""Scoring's reads answered together, more at once than its pool has connections, on real PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from shared.db_pool import MAX_OVERFLOW
from tests.conftest import auth
from tests.integration.scoring_events import Q1, rater_assessment, reported, seeded

pytestmark = pytest.mark.integration


async def test_more_reads_at_once_than_pooled_connections_all_answer_while_the_zone_is_looked_up(
    start_service, make_token
):
    # A read that held its session's connection while it looked up the region's zone (the process
    # keeps a zone a minute) needed a second connection: with every pooled one held by such reads,
    # each waited for another until the pool's 30 s timeout, and answered 500.
    service, region = await seeded(start_service)
    r = region.id
    await region.apply(reported(r, "ani", "a1", "docs", 100), rater_assessment(r, "ani", "boss", 3))
    admin = auth(make_token("region_admin", region=r))
    paths = [
        f"/v1/employees/ani/scorecard?period={Q1}",
        f"/v1/units/dukcapil/dashboard?period={Q1}",
        f"/v1/region/dashboard?period={Q1}",
    ]
    capacity = service.context.settings.database_pool_size + MAX_OVERFLOW
    reads = [paths[number % len(paths)] for number in range(2 * capacity)]

    answers = await asyncio.wait_for(
        asyncio.gather(*(service.client.get(path, headers=admin) for path in reads)), timeout=20
    )

    assert [answer.status_code for answer in answers] == [200] * len(reads), answers[0].text
