"""Outboxes of the relay tests' own: a table in a schema of its own, filled, dropped afterwards,
and a relay on it as a service builds one (the session factory on the table's owner)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import MetaData, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from shared.db import outbox_table
from shared.messaging.relay import OutboxRelay


@contextlib.asynccontextmanager
async def scratch_outbox(
    owner_engine: AsyncEngine, name: str, topic: str, rows: Iterable[tuple[str, bytes]]
) -> AsyncIterator[Table]:
    """An outbox table in a schema of its own holding ``rows`` (partition key, value) for ``topic``
    in their order; the schema is dropped afterwards."""
    schema = f"relay_{name}_{uuid.uuid4().hex[:8]}"
    outbox = outbox_table(MetaData(schema=schema))
    async with owner_engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await connection.run_sync(outbox.metadata.create_all)
        await connection.execute(
            insert(outbox),
            [
                {
                    "event_id": uuid.uuid4(),
                    "topic": topic,
                    "partition_key": key,
                    "event_type": "RelayProbe",
                    "region_id": f"r-{name}",
                    "value": value,
                }
                for key, value in rows
            ],
        )
    try:
        yield outbox
    finally:
        async with owner_engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def relay_on(
    owner_engine: AsyncEngine, outbox: Table, producer: AIOKafkaProducer, bootstrap: str, **options: Any
) -> OutboxRelay:
    """A relay of ``outbox`` through ``producer``, as the table's owner; ``options`` as
    ``OutboxRelay`` takes them (batch size, claim bytes)."""
    return OutboxRelay(
        session_factory=async_sessionmaker(owner_engine),
        outbox=outbox,
        producer=producer,
        bootstrap_servers=bootstrap,
        **options,
    )
