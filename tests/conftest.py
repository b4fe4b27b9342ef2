"""Real infrastructure for the integration and end-to-end tests, from the one module that decides it.

The embedded default starts PostgreSQL, Redis and Apache Kafka (Tansu where Java or Maven is
missing, or with ``KINERJA_EMBEDDED_BROKER=tansu``) on free ports in a temporary directory;
where a Docker engine answers, testcontainers start Apache Kafka, PostgreSQL and Redis; with
``KINERJA_DATABASE_URL``, ``KINERJA_KAFKA_BOOTSTRAP_SERVERS`` and ``KINERJA_REDIS_URL`` set the
tests use those servers and start nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kinerja import infra
from kinerja.services import definition
from shared.auth import Role, ensure_dev_signing_key, mint_dev_token
from shared.context import ServiceContext
from shared.contracts import Envelope, Event
from shared.db import restrict_to_region
from shared.messaging.consumer import Handler
from shared.messaging.kafka import ensure_topics
from shared.messaging.scope import Backlog, Batch
from shared.migrations import upgrade_to_head_async
from shared.outbox import OutboxWriter, envelopes_of
from shared.runtime import build_app
from shared.service_definition import Component
from shared.settings import BrokerKind, ServiceSettings
from shared.wiring import build_context

# Property tests check behaviour, not speed (speed is bench/'s): no example has a deadline, and a
# slow generator is no failure, since CI's machine may be loaded.
settings.register_profile(
    "kinerja", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile("kinerja")

#: The collector's thresholds before any test ran.
_COLLECTOR_THRESHOLDS = gc.get_threshold()


@pytest.fixture(autouse=True)
def collector_thresholds_restored() -> Iterator[None]:
    """Each test finds Python's collector thresholds: a service started in-process settles its
    collector (``shared.runtime.GC_THRESHOLDS``, a young collection every 100,000 allocations) for
    the whole pytest process, which once made a later test depend on the suite's order."""
    yield
    gc.set_threshold(*_COLLECTOR_THRESHOLDS)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data directory (development signing key, logs) for this test session."""
    path = tmp_path_factory.mktemp("kinerja")
    os.environ["KINERJA_DATA_DIR"] = str(path)
    ensure_dev_signing_key(path / "dev-jwt" / "private.pem")
    return path


@pytest.fixture(scope="session")
def infrastructure(data_dir: Path) -> Iterator[infra.EmbeddedInfrastructure | None]:
    """Start (or find) PostgreSQL, Redis and the broker; point ``KINERJA_*`` at them."""
    mode = infra.choose_mode()
    if mode is infra.Mode.EXTERNAL:
        yield None
        return
    if mode is infra.Mode.CONTAINERS:
        with infra.containers() as endpoints:
            os.environ.update(endpoints.environment())
            asyncio.run(ensure_topics(endpoints.kafka_bootstrap_servers))
            yield None
        return
    embedded = infra.EmbeddedInfrastructure(data_dir / "infra", infra.EmbeddedPorts.random(), durable=False)
    endpoints = embedded.start()
    os.environ.update(endpoints.environment())
    asyncio.run(ensure_topics(endpoints.kafka_bootstrap_servers))
    try:
        yield embedded
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def make_token(data_dir: Path) -> Callable[..., str]:
    """Mint development tokens: ``make_token("rater", region="medan", employee="e1")``."""
    settings = ServiceSettings(data_dir=data_dir)

    def mint(roles: str, *, region: str | None = None, employee: str | None = None, **extra: Any) -> str:
        return mint_dev_token(
            settings,
            subject=extra.get("subject") or employee or roles,
            roles=[Role(r) for r in roles.split(",")],
            region_id=region,
            employee_id=employee,
        )

    return mint


def auth(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


async def apply_event(
    handler: Handler[Backlog], session: AsyncSession, outbox: OutboxWriter, event: Event, envelope: Envelope
) -> None:
    """Apply one event through a service's handler in the session's transaction, with the scope and
    the end-of-batch work the live consumer runner would give it (a batch of one, no replay backlog)."""
    batch: Batch[Backlog] = Batch(session, outbox=outbox)
    await handler(batch.scope(envelope), event, envelope)
    await batch.finish()


def settings_endpoints(mode: infra.Mode = infra.Mode.EMBEDDED) -> infra.Endpoints:
    """The infrastructure the session's settings point at (its ``KINERJA_*`` variables), for the
    service processes a test starts on it."""
    settings = ServiceSettings()
    return infra.Endpoints(
        mode=mode,
        database_url=settings.database_url,
        database_admin_url=settings.database_admin_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        redis_url=settings.redis_url,
        broker=settings.kafka_broker,
    )


@contextlib.asynccontextmanager
async def region_outbox(service: RunningService, region: str) -> AsyncIterator[tuple[AsyncSession, Table]]:
    """A transaction restricted to the region, and the service's outbox table.

    The outbox is region-isolated: read unrestricted, it shows no rows at all.
    """
    context = service.context
    assert context is not None
    async with context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        yield session, context.tables.outbox


async def outbox_payloads(service: RunningService, region: str, event_type: str) -> list[dict[str, Any]]:
    """Payloads of the service's outbox rows of one type and region, oldest first (no broker needed)."""
    async with region_outbox(service, region) as (session, outbox):
        rows = await session.scalars(
            select(outbox.c.value)
            .where(outbox.c.region_id == region, outbox.c.event_type == event_type)
            .order_by(outbox.c.id)
        )
        return [orjson.loads(envelope)["payload"] for value in rows for envelope in envelopes_of(value)]


async def region_published(service: RunningService, region: str) -> bool:
    """Whether the service's relay has published every outbox row of the region."""
    async with region_outbox(service, region) as (session, outbox):
        waiting = await session.scalar(
            select(func.count()).where(outbox.c.region_id == region, outbox.c.published_at.is_(None))
        )
    return waiting == 0


async def waits_on_advisory_lock(session_factory: async_sessionmaker[AsyncSession]) -> bool:
    """Whether a transaction of this database waits for an advisory lock another one holds."""
    async with session_factory() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND wait_event = 'advisory' AND datname = current_database()"
            )
        )
        return bool(waiting)


def new_region_id() -> str:
    """A region id no other test uses, so tests share one database without interfering."""
    return f"r-{uuid.uuid4().hex[:10]}"


class RunningService:
    """A service running in this event loop: its API through ASGI, its consumer and relay as tasks."""

    def __init__(self, name: str, components: set[Component]) -> None:
        self.name = name
        self.components = components
        self.definition = definition(name)
        self.context: ServiceContext | None = None
        self.client: httpx.AsyncClient | None = None
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> RunningService:
        """Migrate, then start the chosen components."""
        from shared.messaging.consumer import EventConsumer
        from shared.messaging.kafka import make_consumer, make_producer
        from shared.messaging.relay import OutboxRelay

        definition = self.definition
        settings = definition.settings
        await upgrade_to_head_async(settings, definition.migrations_dir)
        self.context = context = build_context(definition)
        if definition.on_startup is not None:
            await definition.on_startup(context)
        self.app = app = build_app(definition, context)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        if Component.RELAY in self.components:
            producer = make_producer(
                settings.kafka_bootstrap_servers,
                client_id=f"test-{self.name}-relay",
                idempotent=settings.kafka_idempotent_producer,
            )
            await producer.start()
            context.extras.setdefault("producers", {})["relay"] = producer
            relay = OutboxRelay(
                session_factory=context.session_factory,
                outbox=context.tables.outbox,
                producer=producer,
                bootstrap_servers=settings.kafka_bootstrap_servers,
            )
            self.tasks.append(asyncio.create_task(relay.run(self.stop)))
        if Component.CONSUMER in self.components and definition.handlers is not None:
            handlers = definition.handlers(context)
            dlq = make_producer(settings.kafka_bootstrap_servers, client_id=f"test-{self.name}-dlq")
            await dlq.start()
            consumer = make_consumer(
                settings.kafka_bootstrap_servers,
                group_id=settings.consumer_group,
                topics=sorted({cls.topic for cls in handlers}),
                max_records=settings.consumer_batch_size,
            )
            await consumer.start()
            context.extras["consumer_clients"] = (consumer, dlq)
            runner = EventConsumer(
                consumer=consumer,
                dead_letter_producer=dlq,
                group_id=settings.consumer_group,
                session_factory=context.session_factory,
                processed_events=context.tables.processed_events,
                outbox=context.outbox,
                handlers=handlers,
            )
            self.tasks.append(asyncio.create_task(runner.run(self.stop)))
        for background in definition.background:
            self.tasks.append(asyncio.create_task(background(context, self.stop)))
        return self

    async def close(self) -> None:
        """Stop the components and release connections."""
        self.stop.set()
        assert self.context is not None
        await self.context.run_stop_hooks()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for client in self.context.extras.get("consumer_clients", ()):
            with contextlib.suppress(Exception):
                await client.stop()
        for producer in self.context.extras.get("producers", {}).values():
            with contextlib.suppress(Exception):
                await producer.stop()
        if self.client is not None:
            await self.client.aclose()
        await self.context.redis.aclose()
        await self.context.engine.dispose()


@pytest.fixture
async def start_service(infrastructure: Any) -> AsyncIterator[Callable[..., Any]]:
    """Start a service in-process: ``svc = await start_service("planning", consumer=True)``."""
    running: list[RunningService] = []

    async def start(name: str, *, consumer: bool = False, relay: bool = False) -> RunningService:
        components = {Component.API}
        if consumer:
            components.add(Component.CONSUMER)
        if relay:
            components.add(Component.RELAY)
        service = await RunningService(name, components).start()
        running.append(service)
        return service

    yield start
    for service in reversed(running):
        await service.close()


def event_deadline() -> float:
    """How long a test waits for events that reach a consumer through a consumer-group join.

    Tansu takes 15-20 s per join, more under load; Apache Kafka joins in well under a second, and
    the rest is margin for the events themselves on a loaded 2-core machine.
    """
    return 60.0 if ServiceSettings().kafka_broker is BrokerKind.TANSU else 30.0


async def wait_until(predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll an async predicate until it returns something truthy (a deadline, never a fixed sleep)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last result: {result!r})")
        await asyncio.sleep(interval)
