"""Alembic environment of the planning service (its own schema and history)."""

from services.planning.adapters.tables import metadata
from shared.migrations import run_migrations_in_env

run_migrations_in_env(metadata)
