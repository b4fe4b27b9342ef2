"""Database base: one schema per service, an engine bound to it, and the tables of the messaging runtime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import QueuePool

from shared.db_pool import MAX_OVERFLOW, FairPool, watch_pool
from shared.settings import ServiceSettings

#: What a connection the database dropped (a restart, a failover) raises on its next use when it is
#: used on the driver itself, not through SQLAlchemy (which notices these and invalidates); the
#: driver's internal state error too (seen when the termination notice arrived while idle).
CONNECTION_LOST = (
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
)


#: Constraint names that Alembic can find again: explicit names make migrations reviewable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The PostgreSQL setting that row-level security policies read to restrict a transaction to a region.
REGION_SETTING = "app.region_id"

#: Set only by system components that must see every region (schedulers, replay), never from a request.
ALL_REGIONS_SETTING = "app.all_regions"

#: Built once, so every transaction reuses the compiled statements (executed with ``region_id``).
SET_REGION = select(func.set_config(REGION_SETTING, bindparam("region_id", type_=String), True))
SEE_ALL_REGIONS = select(func.set_config(ALL_REGIONS_SETTING, "on", True))


def make_metadata() -> MetaData:
    """A MetaData with the project's naming convention (tables live in the search-path schema)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def outbox_table(metadata: MetaData) -> Table:
    """The transactional outbox: events written in the same transaction as the state change."""
    table = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        # Not indexed: nothing looks a row up by it (shared.migrations.OUTBOX_EVENT_ID_UNIQUE).
        Column("event_id", Uuid, nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition_key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("region_id", String(64), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
    )
    # The relay only ever scans unpublished rows; a partial index keeps that scan small.
    Index("ix_outbox_unpublished", table.c.id, postgresql_where=text("published_at IS NULL"))
    return table


def processed_events_table(metadata: MetaData) -> Table:
    """One row per applied event: the unique key that turns a redelivery into a no-op."""
    return Table(
        "processed_events",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def audit_log_table(metadata: MetaData) -> Table:
    """Append-only audit trail of state-changing actions (who, what, when, from where, region)."""
    return Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("region_id", String(64), nullable=False, index=True),
        Column("actor", String(200), nullable=False),
        Column("action", String(200), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("detail", Text),
        Column("client_address", String(64)),
        Column("correlation_id", String(64)),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


@dataclass
class ServiceTables:
    """The messaging runtime's tables inside a service's own metadata."""

    metadata: MetaData
    #: The service's read model of regions (``region_id``, ``timezone``): the zone answers show times in.
    regions: Table
    outbox: Table = field(init=False)
    processed_events: Table = field(init=False)
    audit_log: Table = field(init=False)

    def __post_init__(self) -> None:
        self.outbox = outbox_table(self.metadata)
        self.processed_events = processed_events_table(self.metadata)
        self.audit_log = audit_log_table(self.metadata)


def _json_text(value: Any) -> str:
    # Non-string keys become strings, as the standard library's encoder makes them.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(
    settings: ServiceSettings, *, pool_size: int | None = None, side_connection: bool = False
) -> AsyncEngine:
    """An asyncpg engine whose connections see only this service's schema (its pool on /metrics).

    ``side_connection``: one connection and no overflow, off /metrics, for look-ups a request makes
    while it holds a connection of the service's pool (``shared.region_zones``).
    """
    engine = create_async_engine(
        settings.database_url,
        pool_size=1 if side_connection else pool_size or settings.database_pool_size,
        max_overflow=0 if side_connection else MAX_OVERFLOW,
        pool_timeout=settings.database_pool_timeout_seconds,
        # Callers served in the order they asked for a connection (``shared.db_pool.FairQueue``).
        poolclass=FairPool,
        # No ping before each checkout: with asyncpg it costs three round trips (BEGIN, ping,
        # ROLLBACK), more than a typical request's own statements. A connection broken by a
        # database restart fails its next use once and is then replaced (the API answers 503 with
        # Retry-After; consumers and the relay retry); recycling bounds a connection's age.
        pool_pre_ping=False,
        pool_recycle=1800,
        # The connection returned last is the one handed out next. First in, first out, a consumer
        # taking one connection a batch went round all ten, and each server process kept its own
        # caches and its own high-water mark of the batches' freed memory (glibc keeps a process's
        # freed heap): scoring's backends grew 95 -> 144 MB in a 10-minute soak. The connections
        # a burst opened stay idle and as small as they were.
        pool_use_lifo=True,
        # JSON columns written and read by orjson: the standard library's encoder showed in the
        # consumer's profile (every summary row carries its indicator outcomes and reasons).
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
        connect_args={
            "server_settings": {
                "search_path": settings.database_schema,
                "application_name": settings.service_name,
            }
        },
    )
    if not side_connection:
        watch_pool(engine)
    return engine


async def open_pool(engine: AsyncEngine) -> None:
    """Open every connection of the engine's pool now, at start, rather than as load first needs
    them: the service's PostgreSQL processes are then as many from the start as they will be."""
    size = engine.sync_engine.pool.size() if isinstance(engine.sync_engine.pool, QueuePool) else 1
    held = [await engine.connect() for _ in range(size)]
    for connection in held:
        await connection.close()


@contextlib.asynccontextmanager
async def sessions_of_their_own(settings: ServiceSettings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on one connection of their own, closed on leaving: for work done one transaction at
    a time beside the service's pool (a consumer's batches). The connection opens with the first
    session, not here: a database away then fails that transaction, which its caller retries, where
    failing here would end the consumer and its process.

    On the pool, a batch took the connection returned last, and a caller beside the consumer now and
    then (the relay, a /metrics scrape's outbox count, the dated moves pass every 5 minutes) put
    another on top: each connection a batch ever landed on kept its statements' plans and the
    batches' freed heap (7-11 MB each in scoring against 1-2 for the others), and one first landed
    on minutes into a run stepped PostgreSQL's memory up (the soak: +6.6 MB in its 5th minute).
    """
    engine = create_engine(settings, pool_size=1)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (views return them)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def see_all_regions(session: AsyncSession | AsyncConnection) -> None:
    """Lift the region restriction for this transaction only (system work such as deadline scans)."""
    await session.execute(SEE_ALL_REGIONS)


async def restrict_to_region(session: AsyncSession | AsyncConnection, region_id: str) -> None:
    """Restrict this transaction to one region (row-level security reads the setting)."""
    await session.execute(SET_REGION, {"region_id": region_id})


#: A write of at least this many of a region's rows at once is an import (see ``analyze_import``).
IMPORT_SIZE = 100


async def analyze_import(session: AsyncSession, rows: int, tables: Iterable[str]) -> None:
    """ANALYZE ``tables`` in this transaction when ``rows`` of one region were just written to them.

    An import (a region's organisation file, and the thousands of events it raises) fills tables
    with rows of a region their statistics do not know, estimated at a row or two. A look-up by
    region and key then costs as little by an index led by the region alone as by the primary key,
    and the planner took the former: each key filtered the region's rows; a join of the region's
    rows became a nested loop (EXPLAIN ANALYZE as the service role, session 28: planning's list of
    3,000 employees 18.9 s, 38 ms analyzed). Autovacuum analyzes a table once a tenth of it changed
    and its round comes: soon for a first region, maybe never for a new region of a large
    deployment. The writer's own statements after this are planned on the new statistics, the
    other connections' once it commits. The service's role needs the tables' MAINTAIN privilege
    (``secure_schema``); ANALYZE reads every row whatever the region policy.

    ANALYZE keeps each table's lock until the commit, and two writers analyzing the same tables in
    opposite orders (replicas of a consumer) deadlocked. ``SKIP_LOCKED`` (PostgreSQL 12 on) skips a
    table another transaction is analyzing (or autovacuum is working on), with a warning in the
    server's log: this never waits, and the other's statistics, as fresh, serve once it commits. In
    the transaction still, not after it, so that the writer's own next statements are planned on
    them (scoring's batch refreshes its summaries from the read models it has just analyzed).
    """
    if rows >= IMPORT_SIZE:
        await session.execute(text(f"ANALYZE (SKIP_LOCKED) {', '.join(tables)}"))


async def in_each_region(session: AsyncSession, region_ids: Iterable[str]) -> AsyncIterator[str]:
    """Each region in turn, the transaction restricted to it while the caller works in it, then to
    the region it was restricted to before (a batch's deferred work over its events' regions)."""
    restricted_to = await session.scalar(select(func.current_setting(REGION_SETTING, True)))
    current = restricted_to
    for region_id in region_ids:
        if region_id != current:
            await restrict_to_region(session, region_id)
            current = region_id
        yield region_id
    if restricted_to and current != restricted_to:
        await restrict_to_region(session, restricted_to)


def restrict_each_transaction(session: AsyncSession, region_id: str) -> None:
    """Restrict every transaction ``session`` begins to one region, as it begins.

    Nothing reaches the database before the first statement, so a request refused before its use
    case runs (a bad body, a wrong content type) never touches it; and a transaction begun after a
    commit is restricted as the first was.
    """

    def restrict(_session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
        connection.execute(SET_REGION, {"region_id": region_id})

    event.listen(session.sync_session, "after_begin", restrict)
