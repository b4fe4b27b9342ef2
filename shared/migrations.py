"""Alembic glue shared by the four services: one schema and one migration history per service."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Collection, Iterable
from pathlib import Path
from types import ModuleType

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from shared.db import ALL_REGIONS_SETTING, REGION_SETTING
from shared.settings import ServiceSettings


def alembic_config(settings: ServiceSettings, migrations_dir: Path) -> Config:
    """An Alembic configuration for one service, carrying its settings to ``env.py``."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.set_main_option("path_separator", "os")
    config.attributes["settings"] = settings
    return config


def load_migration(path: Path) -> ModuleType:
    """The migration file at ``path`` loaded as a module of its own (``versions/`` is not a package:
    Alembic loads each file by its path), for a migration that restores or edits an earlier one's
    statements, and for a test of one. Named ``<service>_migration_<file name>``."""
    spec = importlib.util.spec_from_file_location(f"{path.parents[2].name}_migration_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade_to_head(settings: ServiceSettings, migrations_dir: Path) -> None:
    """Apply the service's pending migrations (only the new ones: Alembic tracks what ran)."""
    command.upgrade(alembic_config(settings, migrations_dir), "head")


async def upgrade_to_head_async(settings: ServiceSettings, migrations_dir: Path) -> None:
    """Run migrations from async code (``env.py`` starts its own event loop, so use a thread)."""
    await asyncio.to_thread(upgrade_to_head, settings, migrations_dir)


#: How often a process waiting for another's migrations asks for the lock again.
MIGRATION_LOCK_POLL_SECONDS = 0.2


async def _take_migration_lock(connection: AsyncConnection, schema: str) -> None:
    """The schema's migration lock (a session's advisory lock), asked for until it is free.

    Asked again and again rather than waited for in one statement: a statement that waits holds a
    snapshot, and a migration building an index ``CONCURRENTLY`` (reporting's 0017) waits for
    every older snapshot to end, so the waiting process and the migrating one would each wait for
    the other (``deadlock detected`` when two replicas started together, e2e test_replicas).
    Between asks this connection holds no snapshot.
    """
    lock = text("SELECT pg_try_advisory_lock(hashtext(:schema))")
    while not await connection.scalar(lock, {"schema": schema}):
        await connection.rollback()
        await asyncio.sleep(MIGRATION_LOCK_POLL_SECONDS)


def run_migrations_in_env(target_metadata: MetaData) -> None:
    """Body of every service's ``env.py``: lock, create the schema, migrate inside it."""
    settings: ServiceSettings = context.config.attributes["settings"]
    schema = settings.database_schema

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=False,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(settings.migration_database_url)
        try:
            async with engine.connect() as connection:
                # Several processes of one service may start together; one migrates, the others wait.
                await _take_migration_lock(connection, schema)
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.execute(text(f'SET search_path TO "{schema}"'))
                await connection.commit()
                await connection.run_sync(migrate)
                await connection.commit()
                await secure_schema(connection, schema, service_role(settings))
                await tune_runtime_tables(connection, schema)
                await connection.commit()
                await connection.execute(
                    text("SELECT pg_advisory_unlock(hashtext(:schema))"), {"schema": schema}
                )
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


#: Tables that hold no region's data and so carry no region policy (checked by a test).
REGION_FREE_TABLES = frozenset({"alembic_version", "processed_events"})

REGION_POLICY = "region_isolation"

# A row is visible and writable only in a transaction restricted to its region; system work (the relay,
# schedulers, replay) lifts that explicitly. An unset setting compares as NULL: missing region fails closed.
_REGION_PREDICATE = (
    f"region_id = current_setting('{REGION_SETTING}', true) "
    f"OR current_setting('{ALL_REGIONS_SETTING}', true) = 'on'"
)


def service_role(settings: ServiceSettings) -> str | None:
    """The login role the service runs as, when it differs from the owner that migrates."""
    service_user = make_url(settings.database_url).username
    owner = make_url(settings.migration_database_url).username
    return service_user if service_user and service_user != owner else None


#: Analyzes of the outbox and the inbox seldom: at least 100,000 changed rows apart, and a tenth of
#: the table once it is larger. Their statements find rows by key and by the outbox's index of
#: unpublished rows, a plan no statistics change; at 5,000 rows the outbox was analyzed every 10 s
#: (autovacuum's round) at 1,000 activities/s, each analyze also invalidating every connection's
#: cached plans of it (``bench.soak``: 6.3 µs an activity, the inboxes 3.2 and 4.3).
RARE_ANALYZE = "autovacuum_analyze_scale_factor = 0.1, autovacuum_analyze_threshold = 100000"
#: Autovacuum by row count, not by share of the table, for tables used as queues: every published
#: row leaves a dead entry in the index of unpublished rows that the relay's claim scans, until a
#: vacuum removes it; by default a vacuum waits until a fifth of the whole outbox is dead.
QUEUE_TABLE_STORAGE = (
    "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, "
    f"autovacuum_vacuum_cost_delay = 0, {RARE_ANALYZE}"
)


#: The statistics target of the columns queries read in the tables that grow by every event or
#: action (the runtime's outbox, inbox and audit trail; reporting's activities, scoring's
#: contributions and summaries, feedback's activities). ANALYZE samples 300 rows per unit of the
#: largest target among a table's columns; these tables are read by key, by index or by region in
#: id order, which a 3,000-row sample plans as well as the default 30,000: an ANALYZE of a
#: 180,000-row outbox costs 20 ms of CPU instead of 250 ms, and autovacuum runs one every minute while
#: the tables grow (sessions 11 and 12 in bench/README.md).
LIGHT_STATISTICS = 10


def light_statistics(columns: Iterable[str], read_by_queries: Collection[str]) -> str:
    """``ALTER TABLE`` clauses giving the columns queries filter, join or sort by a small sample's
    target and every other column none (0: nothing summarizes them), in one statement's worth, so the
    table's lock is taken once. A column that is neither would bring the default sample back."""
    return ", ".join(
        f'ALTER COLUMN "{column}" SET STATISTICS {LIGHT_STATISTICS if column in read_by_queries else 0}'
        for column in columns
    )


def analyze_lightly(table: str, read_by_queries: Collection[str]) -> None:
    """In a migration: ``table`` (of the service's schema) sampled lightly (``light_statistics``)."""
    op.execute(f"ALTER TABLE {table} " + light_statistics(_columns_of(table), read_by_queries))


def analyze_by_default(table: str) -> None:
    """In a migration's downgrade: every column of ``table`` back at the server's default target."""
    op.execute(
        f"ALTER TABLE {table} "
        + ", ".join(f'ALTER COLUMN "{column}" SET STATISTICS -1' for column in _columns_of(table))
    )


#: A table's columns, in order (none when there is no such table).
_COLUMNS = text(
    "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:table) "
    "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
)


def _columns_of(table: str) -> list[str]:
    return list(op.get_bind().execute(_COLUMNS, {"table": table}).scalars())


async def tune_runtime_tables(connection: AsyncConnection, schema: str) -> None:
    """Vacuum the outbox often, and sample the runtime's tables lightly (run after every migration,
    like ``secure_schema``)."""
    for name, storage in (
        ("outbox", QUEUE_TABLE_STORAGE),
        ("processed_events", RARE_ANALYZE),
        ("audit_log", None),
    ):
        table = f'"{schema}".{name}'
        columns = list((await connection.execute(_COLUMNS, {"table": table})).scalars())
        # Every column of the runtime's tables is read by key or index.
        changes = light_statistics(columns, read_by_queries=columns)
        if changes:  # one statement: the table's lock is taken once
            await connection.execute(
                text(f"ALTER TABLE {table} " + (f"SET ({storage}), " if storage else "") + changes)
            )


async def secure_schema(connection: AsyncConnection, schema: str, role: str | None) -> None:
    """Row-level security on every region table, and only the privileges the service needs.

    Run after every migration, so a table added later is covered without anyone remembering to.
    Policies are forced, so even the owner is bound; the service's role owns nothing and gets
    data privileges only, and ANALYZE's; the audit trail is append-only for it.
    """
    region_tables = (
        await connection.execute(
            text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = :schema AND column_name = 'region_id' "
                "AND table_name IN (SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = :schema AND table_type = 'BASE TABLE')"
            ),
            {"schema": schema},
        )
    ).scalars()
    # A table secured already with this very predicate is left alone: ALTER TABLE and CREATE
    # POLICY take its exclusive lock, and another process of the service starting while its twins
    # serve (a rolling restart, `--replicas`) waited behind their requests and deadlocked with them.
    secured = set(
        (
            await connection.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = :policy "
                    "WHERE n.nspname = :schema AND c.relrowsecurity AND c.relforcerowsecurity "
                    "AND obj_description(p.oid, 'pg_policy') = :predicate"
                ),
                {"schema": schema, "policy": REGION_POLICY, "predicate": _REGION_PREDICATE},
            )
        ).scalars()
    )
    for table in region_tables:
        if table in secured:
            continue
        qualified = f'"{schema}"."{table}"'
        await connection.execute(text(f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY"))
        await connection.execute(text(f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY"))
        await connection.execute(text(f"DROP POLICY IF EXISTS {REGION_POLICY} ON {qualified}"))
        await connection.execute(
            text(
                f"CREATE POLICY {REGION_POLICY} ON {qualified} "
                f"USING ({_REGION_PREDICATE}) WITH CHECK ({_REGION_PREDICATE})"
            )
        )
        # The predicate the policy was made with, so the next start knows it is current.
        quoted_predicate = "'" + _REGION_PREDICATE.replace("'", "''") + "'"
        await connection.execute(
            text(f"COMMENT ON POLICY {REGION_POLICY} ON {qualified} IS {quoted_predicate}")
        )
    if role is None:
        return
    quoted_role = '"' + role.replace('"', '""') + '"'
    # MAINTAIN (PostgreSQL 17 on): ANALYZE of the tables an import has just filled (``analyze_import``);
    # an older server's ANALYZE by a role that does not own the table warns and skips it.
    maintain = await connection.scalar(text("SELECT current_setting('server_version_num')::int >= 170000"))
    data_privileges = "SELECT, INSERT, UPDATE, DELETE" + (", MAINTAIN" if maintain else "")
    for statement in (
        f'GRANT USAGE ON SCHEMA "{schema}" TO {quoted_role}',
        f'GRANT {data_privileges} ON ALL TABLES IN SCHEMA "{schema}" TO {quoted_role}',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {quoted_role}',
        f'REVOKE ALL ON "{schema}".alembic_version FROM {quoted_role}',
        f'REVOKE UPDATE, DELETE, TRUNCATE ON "{schema}".audit_log FROM {quoted_role}',
    ):
        await connection.execute(text(statement))


def create_messaging_tables() -> None:
    """Create the outbox, processed-events and audit tables (called from each service's first migration)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition_key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("client_address", sa.String(64)),
        sa.Column("correlation_id", sa.String(64)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


#: The outbox's unique index of event ids: nothing looks an outbox row up by its event id (the
#: relay claims by ``id``; consumers de-duplicate by event id in their own ``processed_events``),
#: and a fresh ``uuid4`` per row needs no check. Writing it cost a random B-tree insert for every
#: row written and again for every row marked sent (the mark is not a HOT update).
OUTBOX_EVENT_ID_UNIQUE = "uq_outbox_event_id"


def drop_outbox_event_id_index() -> None:
    """Drop the outbox's unique index of event ids (inside a migration)."""
    op.drop_constraint(OUTBOX_EVENT_ID_UNIQUE, "outbox", type_="unique")


def restore_outbox_event_id_index() -> None:
    """The downgrade of ``drop_outbox_event_id_index``."""
    op.create_unique_constraint(OUTBOX_EVENT_ID_UNIQUE, "outbox", ["event_id"])


def rebuild_index_concurrently(table: str, index: str, columns: str, storage: str = "") -> None:
    """In a migration: ``index`` of ``table`` rebuilt on ``columns`` (with the storage parameters
    ``storage``, if any) while the table stays open to reads and writes.

    Built beside the old one (``CONCURRENTLY``, outside a transaction) under a building name, then
    the old one dropped the same way and the new one given its name. A build that failed half-way
    leaves an invalid index under the building name: running the migration again drops it first.
    """
    building = f"{index}_building"
    with_storage = f" WITH ({storage})" if storage else ""
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {building}")
        op.execute(f"CREATE INDEX CONCURRENTLY {building} ON {table} ({columns}){with_storage}")
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")
        op.execute(f"ALTER INDEX {building} RENAME TO {index}")


def rekey_concurrently(table: str, key: str, columns: str) -> None:
    """In a migration: ``table``'s primary key ``key`` made anew on ``columns`` while the table stays
    open to reads and writes.

    The new unique index is built beside the key (``CONCURRENTLY``, outside a transaction) under a
    building name, then, in one short transaction, the old key is dropped and the new index made the
    key under its name (``ACCESS EXCLUSIVE`` for an instant: a catalog change, no rebuild; no
    ``FOREIGN KEY`` may refer to the key). A build that failed half-way leaves an invalid index under
    the building name: running the migration again drops it first.
    """
    building = f"{key}_building"
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {building}")
        op.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {building} ON {table} ({columns})")
    op.execute(
        f"ALTER TABLE {table} DROP CONSTRAINT {key}, ADD CONSTRAINT {key} PRIMARY KEY USING INDEX {building}"
    )


def key_by_region(table: str, columns: tuple[str, ...]) -> None:
    """Make ``(region_id, *columns)`` a table's primary key (inside a migration).

    Ids a client chooses (an employee's, an activity's) are unique per region only: a key of the id
    alone refused another region's use of it, telling that region the id exists elsewhere.
    """
    op.execute(
        f"""
        DO $$
        DECLARE key_name text;
        BEGIN
            SELECT conname INTO key_name FROM pg_constraint
            WHERE conrelid = '{table}'::regclass AND contype = 'p';
            EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', key_name);
        END $$
        """
    )
    op.create_primary_key(f"pk_{table}", table, ["region_id", *columns])
