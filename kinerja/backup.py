"""``kinerja backup`` and ``kinerja restore``: every service's schema with PostgreSQL's own tools.

A backup is a directory holding ``kinerja.dump`` (``pg_dump``'s custom format, the four service
schemas taken from ONE snapshot, so events and the views they fed agree across services) and
``manifest.json`` (when, which schemas, each table's row count in that snapshot, and the consumer
groups' committed offsets read just before it, and the compression method set on each column that
has one: the dump leaves it out, since a server built without lz4 refuses a dump that sets it).

``restore`` loads a backup into a database without those schemas (a new or emptied one) in one
transaction, grants the service role what the dump cannot carry (connecting to the database),
sets the columns' compression methods again where the server has them,
checks every table's row count against the manifest, and with ``--reset-offsets`` moves each
consumer group back to the offsets of the manifest: the consumers then re-read what came after the
backup, skip what the snapshot already holds (their processed-event rows) and apply the rest. When
the topics no longer hold that far back, the restored views are the state of the backup; when they
hold the whole history, ``kinerja replay <service> --swap`` rebuilds a service's views from them.

Restoring needs a role that bypasses row-level security (the owner in compose is a superuser):
PostgreSQL refuses COPY into a table whose policies apply to the restoring role.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from kinerja.postgres import SERVICE_ROLE, postgres_tool
from kinerja.services import SERVICE_NAMES
from shared.db import ALL_REGIONS_SETTING, see_all_regions
from shared.messaging.kafka import CONSUMER_GROUPS, all_topics

ARCHIVE = "kinerja.dump"
MANIFEST = "manifest.json"
#: Whether the server was built with lz4 (its TOAST compression methods are pglz, and lz4 if so).
_HAS_LZ4 = text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")


#: The TOAST compression methods PostgreSQL knows; a manifest records one of them for a column.
COMPRESSION_METHODS = ("lz4", "pglz")
#: "schema.table.column" of unquoted identifiers, as the services' migrations name them.
_COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")


class BackupError(RuntimeError):
    """A backup or restore that cannot go on, with what to do about it."""


@dataclass
class Manifest:
    """What a backup holds, written beside the archive."""

    created_at: str
    schemas: list[str]
    #: "schema.table" -> rows in the backup's snapshot.
    row_counts: dict[str, int]
    #: consumer group -> "topic:partition" -> committed offset, read before the snapshot.
    consumer_offsets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: "schema.table.column" -> its TOAST compression method, where one was set ("lz4", "pglz").
    column_compression: dict[str, str] = field(default_factory=dict)

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """The manifest beside an archive; one whose compression entries cannot be set is refused."""
        manifest = cls(**json.loads((directory / MANIFEST).read_text()))
        for name, method in manifest.column_compression.items():
            # Both go into an ALTER TABLE after the restore: refuse them before any data is loaded.
            if method not in COMPRESSION_METHODS:
                raise BackupError(
                    f"the manifest names an unknown compression method {method!r} for {name}; "
                    f"expected one of {', '.join(COMPRESSION_METHODS)}"
                )
            if not _COLUMN_NAME.fullmatch(name):
                raise BackupError(f"the manifest's compression entry {name!r} is not schema.table.column")
        return manifest


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://``) as libpq's tools take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def tool_environment() -> dict[str, str]:
    """The environment of pg_dump and pg_restore: region policies opened for this session only."""
    return dict(os.environ, PGOPTIONS=f"-c {ALL_REGIONS_SETTING}=on")


async def row_counts(connection: AsyncConnection, schemas: Sequence[str]) -> dict[str, int]:
    """Rows of every table of the schemas, as the connection's transaction sees them."""
    await see_all_regions(connection)
    tables = (
        await connection.execute(
            text(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:schemas) "
                "ORDER BY schemaname, tablename"
            ),
            {"schemas": list(schemas)},
        )
    ).all()
    counts: dict[str, int] = {}
    for schema, table in tables:
        counted = await connection.scalar(text(f'SELECT count(*) FROM "{schema}"."{table}"'))
        counts[f"{schema}.{table}"] = int(counted or 0)
    return counts


async def column_compression(connection: AsyncConnection, schemas: Sequence[str]) -> dict[str, str]:
    """The compression method set on each column of the schemas' tables that has one."""
    columns = await connection.execute(
        text(
            "SELECT n.nspname, c.relname, a.attname, "
            "CASE a.attcompression WHEN 'l' THEN 'lz4' ELSE 'pglz' END "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY(:schemas) AND c.relkind = 'r' AND a.attcompression <> '' "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2, 3"
        ),
        {"schemas": list(schemas)},
    )
    return {f"{schema}.{table}.{column}": method for schema, table, column, method in columns}


async def set_column_compression(connection: AsyncConnection, methods: dict[str, str]) -> None:
    """Set each column's compression method again, where this server has it (lz4 it may not)."""
    has_lz4 = await connection.scalar(_HAS_LZ4)
    for name, method in methods.items():
        if method == "lz4" and not has_lz4:
            continue  # the server's default, as on a server that never had lz4 (migration 0016)
        schema, table, column = name.split(".", 2)
        await connection.execute(
            text(f'ALTER TABLE "{schema}"."{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}')
        )


def _group_client(bootstrap_servers: str, group: str) -> AIOKafkaConsumer:
    """A client of a consumer group that reads and commits its offsets without joining it."""
    return AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)


async def committed_offsets(bootstrap_servers: str, groups: Sequence[str]) -> dict[str, dict[str, int]]:
    """Each consumer group's committed offsets by "topic:partition", over every platform topic."""
    partitions = [TopicPartition(topic, n) for topic, count in all_topics().items() for n in range(count)]
    offsets: dict[str, dict[str, int]] = {}
    for group in groups:
        consumer = _group_client(bootstrap_servers, group)
        await consumer.start()
        try:
            found = {partition: await consumer.committed(partition) for partition in partitions}
        finally:
            await consumer.stop()
        offsets[group] = {
            f"{tp.topic}:{tp.partition}": offset for tp, offset in found.items() if offset is not None
        }
    return offsets


async def backup(
    admin_url: str,
    output: Path,
    *,
    bootstrap_servers: str | None,
    schemas: Sequence[str] = SERVICE_NAMES,
    groups: Sequence[str] = CONSUMER_GROUPS,
) -> Manifest:
    """Dump the schemas from one snapshot into ``output`` (created; must not hold a backup)."""
    if (output / ARCHIVE).exists():
        raise BackupError(f"{output / ARCHIVE} exists; choose a new directory")
    output.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    # Offsets first: the snapshot then holds at least what they say is applied, so a consumer moved
    # back to them re-reads only events it will recognise or has not seen.
    offsets = await committed_offsets(bootstrap_servers, groups) if bootstrap_servers else {}
    engine = create_async_engine(admin_url, isolation_level="REPEATABLE READ")
    try:
        async with engine.connect() as connection, connection.begin():
            # The snapshot is exported so pg_dump sees exactly what the row counts are taken from.
            snapshot = await connection.scalar(text("SELECT pg_export_snapshot()"))
            counts = await row_counts(connection, schemas)
            compression = await column_compression(connection, schemas)
            command = [
                str(postgres_tool("pg_dump")),
                "--format=custom",
                # Set again by the restore where the server has the method: a server built without
                # lz4 (the embedded one) refuses a dump that sets it.
                "--no-toast-compression",
                f"--snapshot={snapshot}",
                "--enable-row-security",
                f"--file={output / ARCHIVE}",
                *(f"--schema={schema}" for schema in schemas),
                f"--dbname={libpq_url(admin_url)}",
            ]
            dumped = await asyncio.to_thread(
                subprocess.run, command, env=tool_environment(), capture_output=True, text=True, check=False
            )
            if dumped.returncode != 0:
                raise BackupError(f"pg_dump failed: {dumped.stderr.strip()}")
    finally:
        await engine.dispose()
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(),
        schemas=list(schemas),
        row_counts=counts,
        consumer_offsets=offsets,
        column_compression=compression,
    )
    manifest.write(output)
    return manifest


async def _bypasses_row_security(connection: AsyncConnection) -> bool:
    return bool(
        await connection.scalar(
            text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        )
    )


async def restore(
    source: Path, admin_url: str, *, bootstrap_servers: str | None = None, reset_offsets: bool = False
) -> Manifest:
    """Load a backup into a database without its schemas, check it, optionally rewind the consumers."""
    manifest = Manifest.read(source)
    engine = create_async_engine(admin_url)
    try:
        async with engine.connect() as connection:
            if not await _bypasses_row_security(connection):
                raise BackupError("restore as a superuser or a role with BYPASSRLS (the schemas' owner)")
            present = (
                await connection.execute(
                    text("SELECT nspname FROM pg_namespace WHERE nspname = ANY(:schemas)"),
                    {"schemas": manifest.schemas},
                )
            ).scalars()
            if existing := sorted(present):
                raise BackupError(
                    f"the database already has {', '.join(existing)}: restore into an empty one"
                )
        command = [
            str(postgres_tool("pg_restore")),
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={libpq_url(admin_url)}",
            str(source / ARCHIVE),
        ]
        restored = await asyncio.to_thread(
            subprocess.run, command, env=tool_environment(), capture_output=True, text=True, check=False
        )
        if restored.returncode != 0:
            raise BackupError(f"pg_restore failed: {restored.stderr.strip()}")
        async with engine.connect() as connection, connection.begin():
            # The database's own grant is not part of a schema dump.
            await connection.execute(
                text(
                    f"DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{SERVICE_ROLE}') THEN "
                    "EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), "
                    f"'{SERVICE_ROLE}'); END IF; END $$"
                )
            )
            await set_column_compression(connection, manifest.column_compression)
            counts = await row_counts(connection, manifest.schemas)
    finally:
        await engine.dispose()
    if counts != manifest.row_counts:
        differing = sorted(
            name
            for name in counts.keys() | manifest.row_counts.keys()
            if counts.get(name) != manifest.row_counts.get(name)
        )
        raise BackupError(f"restored row counts differ from the backup's: {', '.join(differing)}")
    if reset_offsets:
        if not bootstrap_servers:
            raise BackupError("--reset-offsets needs the broker")
        await rewind_consumers(bootstrap_servers, manifest.consumer_offsets)
    return manifest


def _topic_partition(key: str) -> TopicPartition:
    topic, partition = key.rsplit(":", 1)
    return TopicPartition(topic, int(partition))


async def rewind_consumers(bootstrap_servers: str, offsets: dict[str, dict[str, int]]) -> None:
    """Commit the backup's offsets for each group; refused by the broker while a group has members."""
    for group, positions in offsets.items():
        if not positions:
            continue
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions = {_topic_partition(key): offset for key, offset in positions.items()}
            consumer.assign(list(partitions))
            try:
                await consumer.commit(partitions)
            except Exception as exc:
                raise BackupError(f"could not move {group} back (stop its consumers first): {exc!r}") from exc
        finally:
            await consumer.stop()


def summary(manifest: Manifest) -> dict[str, Any]:
    """What to print after a backup or restore."""
    return {
        "created_at": manifest.created_at,
        "schemas": manifest.schemas,
        "tables": len(manifest.row_counts),
        "rows": sum(manifest.row_counts.values()),
        "consumer_groups": sorted(manifest.consumer_offsets),
    }
