"""``kinerja backup`` and ``kinerja restore`` on the real PostgreSQL and broker: a round trip into an
empty database gives every table back as it was, the service runs on it, and consumers rewind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja.backup import BackupError, backup, restore
from kinerja.postgres import (
    DATABASE_NAME,
    SERVICE_ROLE,
    SERVICE_ROLE_PASSWORD,
    remove_relocated_cluster,
    start_postgres,
)
from kinerja.processes import free_port
from shared.settings import ServiceSettings
from tests.conftest import new_region_id
from tests.integration.test_reporting_support import activity, seed_team, submit

pytestmark = pytest.mark.integration


@pytest.fixture
async def empty_database(infrastructure) -> AsyncIterator[str]:
    """A new, empty database on the same server (its admin URL), dropped afterwards."""
    admin_url = ServiceSettings().migration_database_url
    name = f"kinerja_restore_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await engine.dispose()


#: A table's rows as one digest, in the order of their text.
DIGEST = "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"


async def table_digests(url: str, tables: list[str]) -> dict[str, str]:
    """Each table's content as one digest (rows ordered by their text), region policies opened."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("SELECT set_config('app.all_regions', 'on', true)"))
            return {table: await connection.scalar(text(DIGEST.format(table=table))) for table in tables}
    finally:
        await engine.dispose()


async def committed(bootstrap: str, group: str, partition: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        offset: int | None = await consumer.committed(partition)
        return offset
    finally:
        await consumer.stop()


async def commit(bootstrap: str, group: str, partition: TopicPartition, offset: int) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.commit({partition: offset})
    finally:
        await consumer.stop()


async def test_a_backup_restored_into_an_empty_database_is_the_same_state(
    start_service, make_token, empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = ServiceSettings()
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    body = activity(team.members[0])
    assert (await submit(reporting, team.members[0], body)).status_code == 201
    group, partition = f"test-backup-{uuid.uuid4().hex[:8]}", TopicPartition("reporting.activity.v1", 0)
    await commit(settings.kafka_bootstrap_servers, group, partition, 0)

    manifest = await backup(
        settings.migration_database_url,
        tmp_path / "backup",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        groups=[group],
    )
    assert set(manifest.schemas) == {"planning", "reporting", "scoring", "feedback"}
    assert manifest.row_counts["reporting.activities"] >= 1
    assert manifest.consumer_offsets == {group: {"reporting.activity.v1:0": 0}}
    # The group moves on after the backup; the restore takes it back.
    await commit(settings.kafka_bootstrap_servers, group, partition, 1)

    restored = await restore(
        tmp_path / "backup",
        empty_database,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        reset_offsets=True,
    )
    assert restored.row_counts == manifest.row_counts
    tables = [f'"{name.split(".")[0]}"."{name.split(".")[1]}"' for name in manifest.row_counts]
    assert await table_digests(empty_database, tables) == await table_digests(
        settings.migration_database_url, tables
    )
    assert await committed(settings.kafka_bootstrap_servers, group, partition) == 0

    # A second restore into the same database is refused instead of mixing two states.
    with pytest.raises(BackupError, match="already has"):
        await restore(tmp_path / "backup", empty_database)

    # The service runs on the restored database, as its own role, and finds the activity.
    service_url = make_url(empty_database).set(username=SERVICE_ROLE, password=SERVICE_ROLE_PASSWORD)
    monkeypatch.setenv("KINERJA_DATABASE_URL", service_url.render_as_string(hide_password=False))
    monkeypatch.setenv("KINERJA_DATABASE_ADMIN_URL", empty_database)
    on_restored = await start_service("reporting")
    member = team.members[0]
    found = await on_restored.client.get(
        f"/v1/activities/{body['activity_id']}", headers={"Authorization": f"Bearer {member.token}"}
    )
    assert found.status_code == 200, found.text
    assert found.json()["description"] == body["description"]


def test_the_command_line_backs_up_and_refuses_to_restore_over_live_schemas(infrastructure, tmp_path: Path):
    """``kinerja backup`` and ``kinerja restore`` against the configured servers, as an operator runs them."""
    command = [sys.executable, "-m", "kinerja.cli"]
    environment = dict(os.environ)  # the fixture's KINERJA_* servers: the external mode
    backed_up = subprocess.run(
        [*command, "backup", "--output", str(tmp_path / "b")], env=environment, capture_output=True, text=True
    )
    assert backed_up.returncode == 0, backed_up.stderr
    assert json.loads(backed_up.stdout)["schemas"] == ["planning", "reporting", "scoring", "feedback"]
    assert (tmp_path / "b" / "kinerja.dump").stat().st_size > 0
    refused = subprocess.run(
        [*command, "restore", str(tmp_path / "b")], env=environment, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "the database already has" in refused.stderr
    assert "reporting" in refused.stderr


#: The system's PostgreSQL servers (Debian's packages), newest last: built with lz4, which the
#: embedded one is not.
SYSTEM_SERVERS = sorted(
    Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda path: int(path.parts[-3])
)


@pytest.fixture
def lz4_server(tmp_path: Path) -> Iterator[str]:
    """A throwaway cluster of the system's PostgreSQL (its admin URL), stopped afterwards."""
    if not SYSTEM_SERVERS:
        pytest.skip("no system PostgreSQL server (apt-get install postgresql) to back up from")
    pgdata, port = tmp_path / "system-postgres", free_port()
    process = start_postgres(
        pgdata,
        tmp_path / "system-postgres.log",
        port=port,
        durable=False,
        server_bin=SYSTEM_SERVERS[-1].parent,
    )
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE_NAME}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        remove_relocated_cluster(pgdata)


async def scalar(url: str, statement: str) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(statement))
    finally:
        await engine.dispose()


#: The compression method set on reporting's outbox values ('l' for lz4; NULL: the default).
OUTBOX_COMPRESSION = (
    "SELECT nullif(attcompression::text, '') FROM pg_attribute "
    "WHERE attrelid = 'reporting.outbox'::regclass AND attname = 'value'"
)
HAS_LZ4 = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"


async def test_a_backup_with_lz4_columns_restores_into_a_server_without_lz4(
    lz4_server: str, empty_database: str, tmp_path: Path
):
    """Production's server (built with lz4) compresses the outbox by lz4 (reporting's migration
    0016); a restore into one without it (the embedded one of ``make up``) takes its default."""
    engine = create_async_engine(lz4_server)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE SCHEMA reporting"))
            await connection.execute(
                text("CREATE TABLE reporting.outbox (id bigint PRIMARY KEY, value bytea COMPRESSION lz4)")
            )
            await connection.execute(
                text("INSERT INTO reporting.outbox SELECT 1, convert_to(repeat('envelope ', 5000), 'UTF8')")
            )
    finally:
        await engine.dispose()
    assert await scalar(lz4_server, OUTBOX_COMPRESSION) == "l"
    manifest = await backup(lz4_server, tmp_path / "backup", bootstrap_servers=None, schemas=["reporting"])

    assert manifest.column_compression == {"reporting.outbox.value": "lz4"}

    restored = await restore(tmp_path / "backup", empty_database)

    assert restored.row_counts == manifest.row_counts == {"reporting.outbox": 1}
    kept = "l" if await scalar(empty_database, HAS_LZ4) else None
    assert await scalar(empty_database, OUTBOX_COMPRESSION) == kept
