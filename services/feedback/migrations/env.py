"""Alembic environment of the feedback service (its own schema and history)."""

from services.feedback.adapters.tables import metadata
from shared.migrations import run_migrations_in_env

run_migrations_in_env(metadata)
