"""A service's migration loaded as a module, for a test that checks what it does with its own values
(a migration is a file under ``versions/``, not a package module)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from shared.migrations import load_migration

SERVICES = Path(__file__).parents[2] / "services"


def service_migration(service: str, file_name: str) -> ModuleType:
    """The migration ``services/<service>/migrations/versions/<file_name>``, loaded."""
    return load_migration(SERVICES / service / "migrations" / "versions" / file_name)


def scoring_migration(file_name: str) -> ModuleType:
    """Scoring's migration ``versions/<file_name>``, loaded."""
    return service_migration("scoring", file_name)
