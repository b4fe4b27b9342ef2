"""One journey through the real broker: other services' events reach the scorecard via the consumer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts import Envelope, Event
from shared.contracts.reporting import ActivityRejected, ActivityVerified
from shared.settings import ServiceSettings
from tests.conftest import auth, event_deadline, wait_until
from tests.integration.scoring_events import Region, employee, plan, reported

pytestmark = pytest.mark.integration


async def test_events_from_the_topics_build_the_scorecard_whatever_their_order(start_service, make_token):
    scoring = await start_service("scoring", consumer=True)
    region = Region(scoring)
    r = region.id
    when = datetime(2026, 2, 10, 3, tzinfo=UTC)
    stream: list[Event] = [
        employee(r, "boss", None),
        employee(r, "ani", "boss"),
        plan(r, "ani", "boss"),
        # The verification is published before the report it verifies.
        ActivityVerified(region_id=r, activity_id="a1", employee_id="ani", verifier_id="boss"),
        reported(r, "ani", "a1", "docs", 60, occurred_at=when),
        reported(r, "ani", "a2", "docs", 25, occurred_at=when),
        ActivityRejected(
            region_id=r, activity_id="a2", employee_id="ani", verifier_id="boss", note="Tanpa bukti"
        ),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=ServiceSettings().kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for event in stream:
            envelope = Envelope.wrap(event, producer="test")
            await producer.send_and_wait(
                event.topic,
                value=orjson.dumps(envelope.model_dump(mode="json")),
                key=event.partition_key().encode(),
            )
    finally:
        await producer.stop()

    token = auth(make_token("employee", region=r, employee="ani"))

    async def scored() -> Any:
        response = await scoring.client.get(
            "/v1/employees/ani/scorecard", params={"period": "2026-Q1"}, headers=token
        )
        if response.status_code != 200:
            return None
        docs = response.json()["indicators"][0]
        return docs if docs["rejected_count"] == 1 and docs["verified_count"] == 1 else None

    docs = await wait_until(scored, timeout=event_deadline(), interval=0.3)
    assert docs["realisation"] == "60.0000"
    assert docs["achievement"] == "0.6000"
    assert docs["verified_share"] == "1.0000"
    assert Decimal(docs["target"]) == 100
