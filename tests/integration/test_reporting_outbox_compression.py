"""Reporting's outbox values are compressed by lz4 where the server has it (migration 0016), and
stored out of line uncompressed elsewhere (0011): pglz cost the intake more than it saved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings
from tests.integration.service_migrations import service_migration

pytestmark = pytest.mark.integration

_MIGRATION = "2026_12_05_0016_outbox_values_lz4.py"

_VALUE_COLUMN = text(
    "SELECT attstorage::text, attcompression::text FROM pg_attribute "
    "WHERE attrelid = 'reporting.outbox'::regclass AND attname = 'value'"
)
_HAS_LZ4 = text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")


async def test_the_outbox_values_storage_follows_the_servers_lz4(start_service: Any) -> None:
    await start_service("reporting")
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            has_lz4 = await connection.scalar(_HAS_LZ4)
            storage, compression = (await connection.execute(_VALUE_COLUMN)).one()
    finally:
        await engine.dispose()
    # "x": compressed, then out of line; "e": out of line as they are. "l": lz4; "": the default.
    assert (storage, compression) == (("x", "l") if has_lz4 else ("e", ""))


class _Operations:
    """Alembic's ``op`` as the migration uses it, on a server that has lz4 or not."""

    def __init__(self, has_lz4: bool) -> None:
        self.has_lz4 = has_lz4
        self.executed: list[str] = []

    def get_bind(self) -> _Operations:
        return self

    def scalar(self, statement: Any) -> bool:
        assert "default_toast_compression" in str(statement)
        return self.has_lz4

    def execute(self, statement: str) -> None:
        self.executed.append(statement)


@pytest.mark.parametrize("has_lz4", [True, False])
def test_the_migration_asks_for_lz4_only_where_the_server_has_it(
    has_lz4: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests' server lacks lz4 (the embedded wheel), so the branch a deployment takes is shown here."""
    migration = service_migration("reporting", _MIGRATION)
    operations = _Operations(has_lz4)
    monkeypatch.setattr(migration, "op", operations)
    migration.upgrade()
    if has_lz4:
        assert operations.executed == [
            "ALTER TABLE outbox ALTER COLUMN value SET STORAGE EXTENDED, "
            "ALTER COLUMN value SET COMPRESSION lz4"
        ]
    else:
        assert operations.executed == []
