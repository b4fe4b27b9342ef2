"""Alembic glue shared by the four services: one schema and one migration history per service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings


def alembic_config(settings: ServiceSettings, migrations_dir: Path) -> Config:
    """An Alembic configuration for one service, carrying its settings to ``env.py``."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.set_main_option("path_separator", "os")
    config.attributes["settings"] = settings
    return config


def upgrade_to_head(settings: ServiceSettings, migrations_dir: Path) -> None:
    """Apply the service's pending migrations (only the new ones: Alembic tracks what ran)."""
    command.upgrade(alembic_config(settings, migrations_dir), "head")


async def upgrade_to_head_async(settings: ServiceSettings, migrations_dir: Path) -> None:
    """Run migrations from async code (``env.py`` starts its own event loop, so use a thread)."""
    await asyncio.to_thread(upgrade_to_head, settings, migrations_dir)


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
        engine = create_async_engine(settings.database_url)
        try:
            async with engine.connect() as connection:
                # Several processes of one service may start together; one migrates, the others wait.
                await connection.execute(
                    text("SELECT pg_advisory_lock(hashtext(:schema))"), {"schema": schema}
                )
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.execute(text(f'SET search_path TO "{schema}"'))
                await connection.commit()
                await connection.run_sync(migrate)
                await connection.commit()
                await connection.execute(
                    text("SELECT pg_advisory_unlock(hashtext(:schema))"), {"schema": schema}
                )
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


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
