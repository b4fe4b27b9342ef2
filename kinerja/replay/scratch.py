"""The scratch schema a replay rebuilds into: made afresh, given the kept tables, swapped in on demand."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db import create_engine, create_session_factory, see_all_regions
from shared.service_definition import ServiceDefinition


def scratch_definition(live: ServiceDefinition[Any]) -> ServiceDefinition[Any]:
    """The same service, pointed at its scratch schema."""
    settings = live.settings.model_copy(update={"schema_override": f"{live.settings.service_name}_rebuild"})
    return dataclasses.replace(live, settings=settings)


async def fresh_schema(scratch: ServiceDefinition[Any], live_schema: str) -> list[str]:
    """The scratch schema dropped and migrated anew, with what no topic holds copied from the live one,
    and without the indexes built after applying (``replay_indexes_after``): their definitions."""
    settings = scratch.settings
    admin = create_async_engine(settings.migration_database_url)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE'))
    finally:
        await admin.dispose()
    # Imported here, in the replay's process only: the worker processes import this module too, and
    # the migrations' tool (alembic, its templates and highlighter) was a tenth of their imports.
    from shared.migrations import upgrade_to_head_async

    await upgrade_to_head_async(settings, scratch.migrations_dir)
    await copy_kept_tables(scratch, live_schema)
    return await _drop_indexes_built_after(scratch)


async def _drop_indexes_built_after(scratch: ServiceDefinition[Any]) -> list[str]:
    """Drop the scratch schema's ``replay_indexes_after``; their definitions as the migrations made
    them (``pg_indexes``: the same name, columns, method and options when built again)."""
    if not scratch.replay_indexes_after:
        return []
    schema = scratch.settings.database_schema
    engine = create_async_engine(scratch.settings.migration_database_url)
    try:
        async with engine.begin() as connection:
            rows = await connection.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = :s AND indexname = ANY(:names)"
                ),
                {"s": schema, "names": list(scratch.replay_indexes_after)},
            )
            found: dict[str, str] = dict(rows.tuples().all())
            missing = set(scratch.replay_indexes_after) - set(found)
            if missing:  # renamed by a migration: the service's definition must name it anew
                raise LookupError(f"no index {sorted(missing)} in {schema}")
            for name in found:
                await connection.execute(text(f'DROP INDEX "{schema}"."{name}"'))
    finally:
        await engine.dispose()
    return list(found.values())


async def build_indexes(scratch: ServiceDefinition[Any], definitions: list[str]) -> None:
    """Build the indexes ``fresh_schema`` left out, now that the events are applied."""
    if not definitions:
        return
    engine = create_async_engine(scratch.settings.migration_database_url)
    try:
        async with engine.begin() as connection:
            for definition in definitions:
                await connection.execute(text(definition))
    finally:
        await engine.dispose()


async def copy_kept_tables(scratch: ServiceDefinition[Any], live_schema: str) -> None:
    """Bring over what no topic holds (the API's decisions and configuration), ids and all."""
    if not scratch.replay_keeps:
        return
    target = scratch.settings.database_schema
    engine = create_async_engine(scratch.settings.migration_database_url)
    try:
        async with engine.begin() as connection:
            await see_all_regions(connection)
            for table in scratch.replay_keeps:
                await connection.execute(
                    text(
                        f'INSERT INTO "{target}"."{table}" OVERRIDING SYSTEM VALUE '
                        f'SELECT * FROM "{live_schema}"."{table}"'
                    )
                )
                identities = (
                    await connection.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
                            "AND table_name = :t AND is_identity = 'YES'"
                        ),
                        {"s": target, "t": table},
                    )
                ).scalars()
                for column in identities:
                    # The copied ids are taken: new rows continue after them.
                    await connection.execute(
                        text(
                            f'SELECT setval(pg_get_serial_sequence(\'"{target}"."{table}"\', :c), '
                            f'(SELECT coalesce(max("{column}"), 0) + 1 FROM "{target}"."{table}"), false)'
                        ),
                        {"c": column},
                    )
    finally:
        await engine.dispose()


async def mark_outbox_published(scratch: ServiceDefinition[Any]) -> None:
    """Events the handlers emitted while rebuilding were published long ago by the live views."""
    engine = create_engine(scratch.settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await see_all_regions(session)
            await session.execute(scratch.tables.outbox.update().values(published_at=datetime.now(UTC)))
    finally:
        await engine.dispose()


async def swap(engine: AsyncEngine, live_schema: str, rebuilt_schema: str) -> str:
    """Make the rebuild live in one transaction; the old views stay under a dated name."""
    kept = f"{live_schema}_before_{datetime.now(UTC):%Y%m%d%H%M%S}"
    async with engine.begin() as connection:
        await connection.execute(text(f'ALTER SCHEMA "{live_schema}" RENAME TO "{kept}"'))
        await connection.execute(text(f'ALTER SCHEMA "{rebuilt_schema}" RENAME TO "{live_schema}"'))
    return kept
