"""Each service's /metrics on real infrastructure: Prometheus' conventions, series that exist from the
start (panels show 0, not "No data"), consumer lag, and business counts by region."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.feedback.service_layer.deadlines import count_open_complaints
from shared.contracts import Envelope, dead_letter_topic
from shared.contracts.planning import RegionRegistered
from shared.messaging.consumer import DeadLetterReason, EventConsumer
from shared.messaging.kafka import ensure_topics, make_consumer, make_producer
from shared.settings import ServiceSettings
from tests.conftest import new_region_id, wait_until
from tests.integration.test_feedback_complaints import _file, _set_due
from tests.integration.test_feedback_surveys import seed_region
from tests.integration.test_reporting_support import activity, seed_team, submit
from tests.prometheus_tools import promtool

pytestmark = pytest.mark.integration


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float | None:
    found: float | None = REGISTRY.get_sample_value(name, labels)
    return found


@pytest.mark.parametrize("name", ["planning", "reporting", "scoring", "feedback"])
async def test_metrics_follow_prometheus_conventions_and_exist_from_the_start(start_service, name):
    service = await start_service(name, consumer=True, relay=True)
    response = await service.client.get("/metrics")
    assert response.status_code == 200
    checked = promtool("check", "metrics", stdin=response.text)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    exposed = samples(response.text)
    names = {sample_name for sample_name, _ in exposed}
    assert {"kinerja_build_info", "kinerja_ready", "kinerja_dependency_up"} <= names
    assert {
        "kinerja_db_pool_connections",
        "kinerja_db_pool_max_connections",
        "kinerja_db_pool_waiting",
    } <= names
    # Present for each dependency (their values follow the checks, tested in tests/unit/shared; on a
    # loaded machine a check may pass its 2 s deadline, so the value itself is not asserted here).
    assert value("kinerja_dependency_up", dependency="database") is not None
    assert value("kinerja_dependency_up", dependency="redis") is not None
    assert (value("kinerja_db_pool_max_connections") or 0) >= service.context.settings.database_pool_size
    handlers = service.definition.handlers(service.context) if service.definition.handlers else {}
    for topic in {cls.topic for cls in handlers}:
        for reason in DeadLetterReason:
            assert value("kinerja_events_dead_lettered_total", topic=topic, reason=reason.value) is not None
        assert value("kinerja_events_failed_total", topic=topic) is not None
        assert value("kinerja_events_duplicate_total", topic=topic) is not None
    if name == "feedback":
        for action in ("survey", "complaint", "tracking", "reopen", "services"):
            assert (
                value("kinerja_feedback_rate_limited_total", action=action, dimension="address") is not None
            )
        assert value("kinerja_feedback_deadline_scans_total", outcome="failed") is not None


async def test_consumer_lag_grows_while_a_handler_is_stuck_and_returns_to_zero(start_service):
    scoring = await start_service("scoring")
    bootstrap = ServiceSettings().kafka_bootstrap_servers
    group = f"test-lag-{uuid.uuid4().hex[:8]}"
    release = asyncio.Event()

    async def stuck(scope: Any, event: Any, envelope: Any) -> None:
        await release.wait()

    region = new_region_id()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(3):
            envelope = Envelope.wrap(RegionRegistered(region_id=region, name=f"Kota {n}"), producer="test")
            await producer.send_and_wait(
                "planning.region.v1",
                value=orjson.dumps(envelope.model_dump(mode="json")),
                key=region.encode(),
            )
    finally:
        await producer.stop()

    # The topic holds other tests' events too, poison ones among them: this group's dead letters
    # need their topic (Kafka, like production, creates none on a producer's first send).
    await ensure_topics(bootstrap, {dead_letter_topic(group): 1})
    consumer = make_consumer(bootstrap, group_id=group, topics=["planning.region.v1"], max_records=500)
    dlq = make_producer(bootstrap, client_id=group)
    await consumer.start()
    await dlq.start()
    runner = EventConsumer(
        consumer=consumer,
        dead_letter_producer=dlq,
        group_id=group,
        session_factory=scoring.context.session_factory,
        processed_events=scoring.context.tables.processed_events,
        outbox=scoring.context.outbox,
        handlers={RegionRegistered: stuck},
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:

        def lag() -> tuple[float, float]:
            """The group's lag as a scrape shows it: events summed, seconds of the worst partition."""
            ours = [
                (name, number)
                for (name, labels), number in samples(generate_latest(REGISTRY).decode()).items()
                if ("group", group) in labels
            ]
            messages = sum(number for name, number in ours if name == "kinerja_consumer_lag_messages")
            seconds = max(
                (number for name, number in ours if name == "kinerja_consumer_lag_seconds"), default=0
            )
            return messages, seconds

        async def stuck_and_lagging() -> tuple[float, float] | None:
            messages, seconds = lag()
            return (messages, seconds) if messages >= 1 and seconds > 0 else None

        _, first_seconds = await wait_until(stuck_and_lagging, timeout=60, interval=0.2)
        await asyncio.sleep(1.1)
        messages, later_seconds = lag()
        assert messages >= 1
        assert later_seconds >= first_seconds + 1  # a stalled consumer's lag keeps growing

        release.set()

        async def caught_up() -> bool:
            messages, seconds = lag()
            return messages == 0 and seconds == 0

        await wait_until(caught_up, timeout=60, interval=0.2)
    finally:
        release.set()
        stop.set()
        await asyncio.wait_for(task, timeout=20)
        await consumer.stop()
        await dlq.stop()


async def test_activities_surveys_and_complaints_are_counted_by_region(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    assert (await submit(reporting, team.members[0], activity(team.members[0]))).status_code == 201
    assert value("kinerja_reporting_activities_total", region=team.region, outcome="accepted") == 1

    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    late = await _file(feedback, region, unit)
    await _file(feedback, region, unit)
    assert value("kinerja_feedback_complaints_filed_total", region=region) == 2
    await _set_due(feedback, region, late, datetime.now(UTC) - timedelta(minutes=1))
    await count_open_complaints(feedback.context, datetime.now(UTC), set())
    assert value("kinerja_feedback_complaints_open", region=region) == 2
    assert value("kinerja_feedback_complaints_past_deadline", region=region) == 1
