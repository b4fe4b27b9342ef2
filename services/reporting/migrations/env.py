"""Alembic environment of the reporting service (its own schema and history)."""

from services.reporting.adapters.tables import metadata
from shared.migrations import run_migrations_in_env

run_migrations_in_env(metadata)
