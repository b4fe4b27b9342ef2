"""The four services and the web process by name, for the command line and the tests."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

from shared.service_definition import ServiceDefinition

SERVICE_NAMES = ("planning", "reporting", "scoring", "feedback")
#: The web process owns no data: it runs beside the services and calls their public APIs.
WEB = "web"
PROCESS_NAMES = (*SERVICE_NAMES, WEB)
DEFAULT_PORTS = {"planning": 8001, "reporting": 8002, "scoring": 8003, "feedback": 8004, WEB: 8000}


def up_ports() -> dict[str, int]:
    """The ports ``kinerja up`` serves on: the defaults, each overridden by ``KINERJA_UP_<NAME>_PORT``."""
    return {
        name: int(os.environ.get(f"KINERJA_UP_{name.upper()}_PORT", port))
        for name, port in DEFAULT_PORTS.items()
    }


def web_environment(ports: dict[str, int]) -> dict[str, str]:
    """Where the web process finds the services, and the public address feedback's QR codes lead to.

    ``KINERJA_WEB_PUBLIC_URL`` is read by the web process and by feedback (the survey form's address
    in a ticket's QR code); an operator's own value wins.
    """
    environment = {
        f"KINERJA_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}"
        for name in SERVICE_NAMES
        if name in ports
    }
    environment["KINERJA_WEB_PUBLIC_URL"] = os.environ.get(
        "KINERJA_WEB_PUBLIC_URL", f"http://127.0.0.1:{ports[WEB]}"
    )
    return environment


def forwarding_environment(name: str, ports: dict[str, int]) -> dict[str, str]:
    """Feedback counts a citizen's rate limits by the address the web process forwards for them, so
    beside a web process it believes 127.0.0.1 as a proxy. No other service does: on one host that
    lets any local process name any client, and their audit trails keep the socket peer."""
    if name == "feedback" and WEB in ports:
        return {"KINERJA_TRUSTED_PROXY_ADDRESSES": '["127.0.0.1"]'}
    return {}


def bootstrap_module(name: str) -> ModuleType:
    """The bootstrap module of a service."""
    if name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}.bootstrap")


def definition(name: str) -> ServiceDefinition[Any]:
    """Build a service's definition from the current environment."""
    built: ServiceDefinition[Any] = bootstrap_module(name).build()
    return built
