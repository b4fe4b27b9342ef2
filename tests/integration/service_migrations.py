"""A service's migration loaded as a module, for a test that checks what it does with its own values
(a migration is a file under ``versions/``, not a package module)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SERVICES = Path(__file__).parents[2] / "services"


def service_migration(service: str, file_name: str) -> ModuleType:
    """The migration ``services/<service>/migrations/versions/<file_name>``, loaded."""
    path = SERVICES / service / "migrations" / "versions" / file_name
    spec = importlib.util.spec_from_file_location(f"{service}_migration_{file_name[:-3]}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scoring_migration(file_name: str) -> ModuleType:
    """Scoring's migration ``versions/<file_name>``, loaded."""
    return service_migration("scoring", file_name)
