"""Alembic environment of the scoring service (its own schema and history)."""

from services.scoring.adapters.tables import metadata
from shared.migrations import run_migrations_in_env

run_migrations_in_env(metadata)
