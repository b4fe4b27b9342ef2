"""Citizen endpoints on real Redis and PostgreSQL: rate limits, body size limits, single-use tickets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from services.feedback.adapters.tables import service_tickets
from services.feedback.domain.tracking_code import format_tracking_code, generate_tracking_code
from services.feedback.metrics import RATE_LIMITER_ERRORS
from shared.db import restrict_to_region
from shared.redis_client import connect_redis
from tests.conftest import auth, new_region_id, outbox_payloads
from tests.integration.test_feedback_surveys import citizen, scores, seed_region

pytestmark = pytest.mark.integration

GOOD = scores(4, 4, 4, 3, 4, 4, 4, 3, 3)


async def test_repeated_submissions_get_a_bilingual_429_with_retry_after_per_address_and_per_device(
    start_service, monkeypatch
):
    monkeypatch.setenv("KINERJA_PUBLIC_WRITES_PER_ADDRESS", "3")
    monkeypatch.setenv("KINERJA_PUBLIC_WRITES_PER_DEVICE", "2")
    monkeypatch.setenv("KINERJA_PUBLIC_RATE_WINDOW_SECONDS", "120")
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    url = f"/v1/public/regions/{region}/units/{unit}/survey-responses"

    async with citizen(feedback) as client:
        accepted = []
        for _ in range(3):
            client.cookies.clear()  # a new device each time: only the address's budget is common
            accepted.append((await client.post(url, json={"scores": GOOD})).status_code)
        refused = await client.post(url, json={"scores": GOOD})
        tracking = await client.get(f"/v1/public/regions/{region}/complaints/{generate_tracking_code()}")
    assert accepted == [201, 201, 201]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "try again in" in error["message"]
    assert "coba lagi dalam" in error["message_id"]
    # Reads have their own, larger budget.
    assert tracking.status_code == 404

    device = {"X-Device-Token": f"kiosk-{region}"}
    statuses = []
    for _ in range(3):
        async with citizen(feedback) as other_address:
            statuses.append(
                (await other_address.post(url, json={"scores": GOOD}, headers=device)).status_code
            )
    assert statuses == [201, 201, 429]
    assert len(await outbox_payloads(feedback, region, "SurveyResponseAccepted")) == 5


async def test_a_body_over_the_citizen_limit_is_refused_even_when_sent_in_chunks(start_service):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    url = f"/v1/public/regions/{region}/units/{unit}/survey-responses"
    padding = b'{"scores": {}, "comment": "' + b"x" * (20 * 1024) + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(padding), 4096):
            yield padding[start : start + 4096]

    async with citizen(feedback) as client:
        chunked = await client.post(url, content=chunks(), headers={"content-type": "application/json"})
        declared = await client.post(
            url, content=b"x" * (70 * 1024), headers={"content-type": "application/json"}
        )
    assert chunked.status_code == 413
    assert chunked.json()["error"]["code"] == "too_large"
    assert "bita" in chunked.json()["error"]["message_id"]
    assert declared.status_code == 413


async def test_a_service_ticket_is_single_use_even_when_two_citizens_race(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    officer = f"{region}-officer"
    units = await seed_region(
        feedback, region, units=("dukcapil", "dinkes"), employees=((officer, "dukcapil", None),)
    )
    unit = units["dukcapil"]
    admin = make_token("region_admin", region=region)
    await feedback.client.post(
        f"/v1/units/{unit}/services", json={"service_id": "ktp", "name": "Loket KTP-el"}, headers=auth(admin)
    )
    issued = await feedback.client.post(
        f"/v1/units/{unit}/service-tickets",
        json={"service_id": "ktp", "officer_employee_id": officer, "count": 2},
        headers=auth(admin),
    )
    assert issued.status_code == 201, issued.text
    first, second = issued.json()["tickets"]
    assert f"ticket={first['code'].replace('-', '')}" in first["qr_payload"]
    url = f"/v1/public/regions/{region}/units/{unit}/survey-responses"

    async with citizen(feedback) as one, citizen(feedback) as two:
        racing = await asyncio.gather(
            one.post(url, json={"scores": GOOD, "ticket": first["code"]}),
            two.post(url, json={"scores": GOOD, "ticket": first["code"].lower()}),
        )
        again = await one.post(url, json={"scores": GOOD, "ticket": first["code"]})
        unknown = await one.post(
            url, json={"scores": GOOD, "ticket": format_tracking_code(generate_tracking_code())}
        )
        malformed = await one.post(url, json={"scores": GOOD, "ticket": "ABCDE-FGHJ2"})
        other_unit = await one.post(
            f"/v1/public/regions/{region}/units/{units['dinkes']}/survey-responses",
            json={"scores": GOOD, "ticket": second["code"]},
        )
        other_region = await one.post(
            f"/v1/public/regions/{new_region_id()}/units/{unit}/survey-responses",
            json={"scores": GOOD, "ticket": second["code"]},
        )

    assert sorted(response.status_code for response in racing) == [201, 409]
    loser = next(response for response in racing if response.status_code == 409)
    assert loser.json()["error"]["code"] == "ticket_used"
    assert "sudah pernah digunakan" in loser.json()["error"]["message_id"]
    assert again.status_code == 409
    assert unknown.status_code == 404
    assert unknown.json()["error"]["field"] == "ticket"
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid_ticket"
    assert other_unit.status_code == 422
    assert other_region.status_code == 404
    accepted = await outbox_payloads(feedback, region, "SurveyResponseAccepted")
    assert len(accepted) == 1
    assert accepted[0]["officer_employee_id"] == officer
    assert accepted[0]["service_id"] == "ktp"
    assert accepted[0]["ticketed"] is True

    # The second ticket was not consumed by the refused attempts.
    async with citizen(feedback) as three:
        later = await three.post(url, json={"scores": GOOD, "ticket": second["code"]})
    assert later.status_code == 201


async def test_only_region_administrators_issue_tickets(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    as_rater = await feedback.client.post(
        f"/v1/units/{unit}/service-tickets", json={}, headers=auth(make_token("rater", region=region))
    )
    other_region = await feedback.client.post(
        f"/v1/units/{unit}/service-tickets",
        json={},
        headers=auth(make_token("region_admin", region=new_region_id())),
    )
    assert as_rater.status_code == 403
    assert other_region.status_code == 404


async def test_a_ticket_past_its_validity_is_refused_but_the_citizen_may_still_respond(
    start_service, make_token
):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region, units=("dukcapil",)))["dukcapil"]
    admin = make_token("region_admin", region=region)
    issued = await feedback.client.post(
        f"/v1/units/{unit}/service-tickets", json={"count": 1}, headers=auth(admin)
    )
    ticket = issued.json()["tickets"][0]
    issued_at = datetime.fromisoformat(ticket["issued_at"])
    assert datetime.fromisoformat(ticket["valid_until"]) - issued_at == timedelta(days=30)
    async with feedback.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        await session.execute(
            update(service_tickets)
            .where(service_tickets.c.region_id == region)
            .values(issued_at=issued_at - timedelta(days=31))
        )
    url = f"/v1/public/regions/{region}/units/{unit}/survey-responses"

    async with citizen(feedback) as client:
        expired = await client.post(url, json={"scores": GOOD, "ticket": ticket["code"]})
        without = await client.post(url, json={"scores": GOOD})

    assert expired.status_code == 409, expired.text
    assert (expired.json()["error"]["code"], expired.json()["error"]["field"]) == ("ticket_expired", "ticket")
    assert without.status_code == 201, without.text


async def test_with_redis_unreachable_each_instance_still_limits_citizens(start_service, monkeypatch):
    """A Redis outage neither silences citizens nor opens the door: the window is counted in the
    process meanwhile, and operators see it in the limiter's error counter."""
    monkeypatch.setenv("KINERJA_PUBLIC_WRITES_PER_ADDRESS", "2")
    monkeypatch.setenv("KINERJA_PUBLIC_RATE_WINDOW_SECONDS", "120")
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    url = f"/v1/public/regions/{region}/units/{unit}/survey-responses"
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    reachable = feedback.context.redis
    dead_redis = feedback.context.settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{dead_port}/0"}
    )
    feedback.context.redis = connect_redis(dead_redis)  # the client every process builds
    feedback.context.extras.pop("rate_limiter", None)  # the next request builds it on the dead Redis
    errors_before = RATE_LIMITER_ERRORS._value.get()
    try:
        async with citizen(feedback) as client:
            statuses = [(await client.post(url, json={"scores": GOOD})).status_code for _ in range(3)]
    finally:
        await feedback.context.redis.aclose()
        feedback.context.redis = reachable
        feedback.context.extras.pop("rate_limiter", None)
    assert statuses == [201, 201, 429]
    # Only the first call finds Redis down: the limiter then counts locally for a while without
    # asking again, so citizens do not each wait on a dead server (and its client's retries).
    assert RATE_LIMITER_ERRORS._value.get() - errors_before == 1
