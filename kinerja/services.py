"""The four services by name, for the command line and the tests."""

from __future__ import annotations

import importlib
from types import ModuleType

from shared.runtime import ServiceDefinition

SERVICE_NAMES = ("planning", "reporting", "scoring", "feedback")
DEFAULT_PORTS = {"planning": 8001, "reporting": 8002, "scoring": 8003, "feedback": 8004}


def bootstrap_module(name: str) -> ModuleType:
    """The bootstrap module of a service."""
    if name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}.bootstrap")


def definition(name: str) -> ServiceDefinition:
    """Build a service's definition from the current environment."""
    built: ServiceDefinition = bootstrap_module(name).build()
    return built
