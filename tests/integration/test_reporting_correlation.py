"""Each submission's event carries its own request's correlation id, also when the intake commits
several requests' activities in one transaction (group commit), so a trace from a phone's request
leads to the scoring and feedback work it caused."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from sqlalchemy import select

from shared.db import restrict_to_region
from shared.outbox import envelopes_of
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import Member, activity, seed_team

pytestmark = pytest.mark.integration


async def test_concurrent_submissions_keep_each_requests_correlation_id(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=4)
    sent: dict[str, str] = {}  # activity id -> the correlation id its request carried

    async def submit_traced(member: Member) -> None:
        body = activity(member)
        correlation_id = sent[body["activity_id"]] = f"phone-{uuid.uuid4()}"
        headers = auth(member.token) | {"X-Correlation-ID": correlation_id}
        response = await reporting.client.post("/v1/activities", json=body, headers=headers)
        assert response.status_code == 201, response.text
        assert response.headers["x-correlation-id"] == correlation_id

    # Sent at once, so the intake gathers several into one group and writes them together.
    await asyncio.gather(*(submit_traced(member) for member in team.members for _ in range(3)))

    table = reporting.context.tables.outbox
    async with reporting.context.session_factory() as session, session.begin():
        await restrict_to_region(session, team.region)
        query = select(table.c.value).where(table.c.region_id == team.region)
        values = (await session.execute(query)).scalars()
        envelopes = [orjson.loads(envelope) for value in values for envelope in envelopes_of(value)]
    written = {envelope["payload"]["activity_id"]: envelope["correlation_id"] for envelope in envelopes}
    assert written == sent
