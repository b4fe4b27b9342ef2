"""The replay backlog's type, checked by mypy from the service definition down to each handler.

Not a pytest module: ``make typecheck`` (mypy --strict, whose ``warn_unused_ignores`` fails on an
ignore that silences nothing) checks it. Each ``type: ignore`` marks a mismatch mypy must refuse: a
consumer runner or a service given a replay backlog its handlers do not take. Were the backlog typed
``object`` or ``Any`` again anywhere between them, the ignore would silence nothing and mypy fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.context import ServiceContext
from shared.contracts import EnvelopeHead, Event
from shared.contracts.planning import RegionRegistered
from shared.db import ServiceTables
from shared.messaging.consumer import EventConsumer, Handler
from shared.messaging.scope import HandlerScope
from shared.outbox import OutboxWriter
from shared.service_definition import ServiceDefinition
from shared.settings import ServiceSettings


class Tallies:
    """A replay's store of view work, as a service's handlers record in it."""

    owners = 0

    def count(self, region_id: str) -> None:
        del region_id

    def merge(self, other: Self) -> None:
        del other

    def split(self, owners_per_piece: int) -> Sequence[Self]:
        del owners_per_piece
        return [self]

    async def finish(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        del session_factory


class OtherTallies(Tallies):
    """A store of the same shape that the handlers below do not take (invariance keeps them apart)."""


async def on_region_registered(scope: HandlerScope[Tallies], event: Any, envelope: EnvelopeHead) -> None:
    # What a handler finds is typed: no isinstance or cast to use the replay's store.
    if (backlog := scope.replay_backlog) is not None:
        backlog.count(envelope.region_id)


def handlers(_: ServiceContext) -> Mapping[type[Event], Handler[Tallies]]:
    return {RegionRegistered: on_region_registered}


def runners(
    consumer: AIOKafkaConsumer,
    producer: AIOKafkaProducer,
    session_factory: async_sessionmaker[AsyncSession],
    processed: Table,
    outbox: OutboxWriter,
    context: ServiceContext,
) -> None:
    """A runner given the backlog its handlers take is accepted; another one is refused."""
    accepted: EventConsumer[Tallies] = EventConsumer(
        consumer=consumer,
        dead_letter_producer=producer,
        group_id="scoring",
        session_factory=session_factory,
        processed_events=processed,
        outbox=outbox,
        handlers=handlers(context),
        replay_backlog=Tallies(),
    )
    refused: EventConsumer[Tallies] = EventConsumer(
        consumer=consumer,
        dead_letter_producer=producer,
        group_id="scoring",
        session_factory=session_factory,
        processed_events=processed,
        outbox=outbox,
        handlers=handlers(context),
        replay_backlog=["not the handlers' backlog"],  # type: ignore[arg-type]
    )
    del accepted, refused


def definitions(settings: ServiceSettings, tables: ServiceTables) -> None:
    """A service whose replay builds a store its handlers take is accepted; another one is refused."""
    accepted: ServiceDefinition[Tallies] = ServiceDefinition(
        settings=settings,
        tables=tables,
        migrations_dir=Path(),
        title="t",
        description="d",
        routers=list,
        handlers=handlers,
        replay_views=Tallies,
    )
    refused: ServiceDefinition[OtherTallies] = ServiceDefinition(
        settings=settings,
        tables=tables,
        migrations_dir=Path(),
        title="t",
        description="d",
        routers=list,
        handlers=handlers,  # type: ignore[arg-type]
        replay_views=OtherTallies,
    )
    del accepted, refused
