"""Runs a service: wait for its dependencies, migrate, then serve its API, consumer and relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Collection
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.audit_api import router as audit_router
from shared.context import ServiceContext
from shared.dates import DateWindow, configure_date_window
from shared.db import open_pool, sessions_of_their_own
from shared.http import ReadinessCheck, create_app
from shared.messaging.consumer import EventConsumer, FetchWaits, TopUp
from shared.messaging.kafka import ensure_topics, make_consumer, make_producer
from shared.messaging.relay import OutboxRelay
from shared.migrations import upgrade_to_head_async
from shared.observability import configure_logging
from shared.route_roles import document_roles
from shared.service_definition import Component, ServiceDefinition
from shared.serving import GracefulServer, inherited_sockets, server_config
from shared.wiring import build_context, settle_garbage_collector

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 60.0
#: How long a stopping process may take to drain its API, relay and consumer before they are cancelled
#: (well within the 20 s ``kinerja up`` waits before SIGKILL).
STOP_TIMEOUT_SECONDS = 12.0


class ComponentCrashed(RuntimeError):
    """A component of the process ended on its own: the process ends with a failure status, so
    whatever supervises it (``kinerja up``, compose, Kubernetes) sees a crash, not a clean stop."""


async def wait_for_database(engine: AsyncEngine) -> None:
    """Retry until PostgreSQL answers, so start-up order does not matter."""
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT_SECONDS
    while True:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def start_with_retry(client: AIOKafkaProducer | AIOKafkaConsumer, stop: asyncio.Event) -> bool:
    """Start a Kafka client, retrying while the broker is away; False if stopped first."""
    delay = 0.2
    while not stop.is_set():
        try:
            await client.start()
            return True
        except Exception as exc:
            log.warning("broker not reachable yet", extra={"fields": {"error": repr(exc)[:200]}})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 5.0)
    return False


async def refuse_unfenced_role(context: ServiceContext) -> None:
    """Row-level security binds nobody who is a superuser or may bypass it: refuse that in production."""
    async with context.engine.connect() as connection:
        unfenced = (
            await connection.execute(
                text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).scalar_one()
    if not unfenced:
        return
    message = (
        "the service's database role bypasses row-level security; "
        "set KINERJA_DATABASE_URL to a role that owns nothing (see README, Configuration)"
    )
    if context.settings.environment == "production":
        raise RuntimeError(message)
    log.warning(message)


def build_app(
    definition: ServiceDefinition[Any],
    context: ServiceContext,
    components: Collection[Component] = tuple(Component),
) -> FastAPI:
    """The service's HTTP API bound to a context; without the API component, only probes and metrics.

    A consumer or relay process scaled on its own still answers /healthz, /readyz and /metrics (its
    lag and relay metrics live there); readiness asks the broker only where the process uses it.
    """
    producer_state: dict[str, AIOKafkaProducer] = context.extras.setdefault("producers", {})

    async def database_ready() -> str | None:
        async with context.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return None

    async def redis_ready() -> str | None:
        await context.redis.ping()
        return None

    async def broker_ready() -> str | None:
        # The relay's producer or the consumer's dead-letter producer, whichever has met the broker.
        for producer in producer_state.values():
            node = producer.client.get_random_node()
            if node is not None:
                return None if await producer.client.ready(node) else "broker unreachable"
        return "no broker client in this process"

    checks: dict[str, ReadinessCheck] = {"database": database_ready, "redis": redis_ready}
    if {Component.RELAY, Component.CONSUMER} & set(components):
        checks["broker"] = broker_ready
    routers = [*definition.routers(), audit_router]
    app = create_app(
        title=definition.title,
        description=definition.description,
        routers=routers if Component.API in components else [],
        readiness_checks=checks,
        max_body_bytes=definition.max_body_bytes,
    )
    settings = definition.settings
    configure_date_window(DateWindow(settings.earliest_date, settings.latest_date_years_ahead))
    # The routers' own routes: the application reads its operations from them.
    document_roles([route for router in routers for route in router.routes])
    app.state.context = context
    app.state.token_verifier = context.token_verifier
    return app


async def run_service(definition: ServiceDefinition[Any], components: set[Component]) -> None:
    """Run the chosen components of a service until SIGINT or SIGTERM.

    Raises ``ComponentCrashed`` (after stopping the others) when a component ends on its own.
    """
    settings = definition.settings
    configure_logging(service=settings.service_name, level=settings.log_level, json=settings.log_json)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    context = build_context(definition)
    await wait_for_database(context.engine)
    await open_pool(context.engine)
    await upgrade_to_head_async(settings, definition.migrations_dir)
    await refuse_unfenced_role(context)
    if definition.on_startup is not None:
        await definition.on_startup(context)

    tasks: list[asyncio.Task[Any]] = []
    producer = make_producer(
        settings.kafka_bootstrap_servers,
        client_id=f"{settings.consumer_group}-relay",
        idempotent=settings.kafka_idempotent_producer,
    )
    producers = context.extras.setdefault("producers", {})
    if Component.RELAY in components:
        producers["relay"] = producer

    #: Set once the API has answered its last request: the relay publishes until then.
    api_stopped = asyncio.Event()

    async def run_relay() -> None:
        if not await start_with_retry(producer, stop):
            return
        relay = OutboxRelay(
            session_factory=context.session_factory,
            outbox=context.tables.outbox,
            producer=producer,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_interval_seconds,
        )
        await relay.run(api_stopped)
        # The events of the last requests leave with this process (if this fails, the rows stay
        # for the next relay); stopping the producer then flushes what is in flight.
        with contextlib.suppress(Exception):
            while await relay.publish_batch():
                pass

    async def run_consumer() -> None:
        assert definition.handlers is not None
        handlers = definition.handlers(context)
        dlq_producer = make_producer(
            settings.kafka_bootstrap_servers, client_id=f"{settings.consumer_group}-dlq"
        )
        if not await start_with_retry(dlq_producer, stop):
            return
        producers["dead_letters"] = dlq_producer
        with contextlib.suppress(Exception):
            await ensure_topics(settings.kafka_bootstrap_servers)
        topics = {cls.topic for cls in handlers}
        fetch_waits = FetchWaits.of(settings)
        consumer = make_consumer(
            settings.kafka_bootstrap_servers,
            group_id=settings.consumer_group,
            topics=sorted(topics),
            max_records=settings.consumer_batch_size,
            fetch_max_wait_ms=fetch_waits.busy_ms,
            fetch_min_bytes=settings.consumer_fetch_min_bytes,
        )
        if not await start_with_retry(consumer, stop):
            await dlq_producer.stop()
            return
        try:
            # The batches on a connection of their own, not the pool's (``sessions_of_their_own``).
            async with sessions_of_their_own(settings) as batch_sessions:
                runner = EventConsumer(
                    consumer=consumer,
                    dead_letter_producer=dlq_producer,
                    group_id=settings.consumer_group,
                    session_factory=batch_sessions,
                    processed_events=context.tables.processed_events,
                    outbox=context.outbox,
                    handlers=handlers,
                    batch_size=settings.consumer_batch_size,
                    top_up=TopUp.within(settings.consumer_gather_ms),
                    fetch_waits=fetch_waits,
                )
                await runner.run(stop)
        finally:
            await consumer.stop()
            await dlq_producer.stop()

    # Every process serves HTTP: the API, or (a consumer or relay on its own) probes and metrics.
    app = build_app(definition, context, components)
    config = server_config(app, settings)
    # Its own signal handlers stay off: the service's stop event governs every component.
    server = GracefulServer(config, handle_signals=False)
    http = asyncio.create_task(server.serve(sockets=inherited_sockets(settings.http_socket_fd)), name="http")
    tasks.append(http)
    if Component.RELAY in components:
        tasks.append(asyncio.create_task(run_relay(), name="relay"))
    if Component.CONSUMER in components and definition.handlers is not None:
        tasks.append(asyncio.create_task(run_consumer(), name="consumer"))
    for background in definition.background:
        tasks.append(asyncio.create_task(background(context, stop), name="background"))
    settle_garbage_collector()
    log.info(
        "service started", extra={"fields": {"components": sorted(components), "port": settings.http_port}}
    )

    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    # A component that ended before anyone asked the process to stop crashed, with or without an error.
    crashed = sorted(task.get_name() for task in done if task is not stopper and not stop.is_set())
    for task in done:
        if task is not stopper and task.exception() is not None:
            log.error(
                "component crashed",
                exc_info=task.exception(),
                extra={"fields": {"component": task.get_name()}},
            )
    # Consumers and background work stop now; the API stops accepting, answers what it took, and
    # then the relay sends what those requests wrote (within one budget: then they are cancelled).
    stop.set()
    await context.run_stop_hooks()
    server.should_exit = True
    deadline = loop.time() + STOP_TIMEOUT_SECONDS
    await asyncio.wait([http], timeout=STOP_TIMEOUT_SECONDS)
    api_stopped.set()
    await asyncio.wait(tasks, timeout=max(deadline - loop.time(), 0.1))
    for task in tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        await producer.stop()
    await context.redis.aclose()
    await context.engine.dispose()
    if crashed:
        raise ComponentCrashed(f"{', '.join(crashed)} ended on its own")
    log.info("service stopped")
