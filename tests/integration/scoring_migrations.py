"""A scoring migration loaded as a module, for a test that checks what it does with its own values
(a migration is a file under ``versions/``, not a package module)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

VERSIONS = Path(__file__).parents[2] / "services/scoring/migrations/versions"


def scoring_migration(file_name: str) -> ModuleType:
    """The migration ``versions/<file_name>``, loaded."""
    spec = importlib.util.spec_from_file_location(f"scoring_migration_{file_name[:-3]}", VERSIONS / file_name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
