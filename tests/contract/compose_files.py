"""What the compose contract tests read: the compose file, Prometheus's targets, Grafana's dashboards.

Paths, the processes the compose file must run, example values for its required variables, and
readers that return each file's parts as plain data (cached: the files do not change during a run).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
DOCKERFILE = "deploy/Dockerfile"

#: The application services: each has a directory with a settings module under ``services/``.
SERVICE_NAMES = ("planning", "reporting", "scoring", "feedback")
#: ... and the web process, which owns no database and no topics (it calls the services' APIs).
WEB = "web"
PROCESS_NAMES = (*SERVICE_NAMES, WEB)
WAITING_CONDITIONS = {"service_healthy", "service_completed_successfully"}

#: Values for the variables a deployment must supply (``${NAME:?message}`` in the compose file).
REQUIRED_VARIABLE_EXAMPLES = {
    "POSTGRES_PASSWORD": "0123456789abcdef",
    "KINERJA_SERVICE_DB_PASSWORD": "fedcba9876543210",
    "KINERJA_JWT_JWKS_URL": "https://sso.example.test/realms/kinerja/protocol/openid-connect/certs",
    "KINERJA_JWT_ISSUER": "https://sso.example.test/realms/kinerja",
    "GRAFANA_ADMIN_PASSWORD": "grafana-secret",
    "MINIO_ROOT_PASSWORD": "minio-secret-0123",
    "KINERJA_DOMAIN": "kinerja.example.test",
    "KINERJA_WEB_SECRET_KEY": "0123456789abcdef0123456789abcdef0123456789abcdef",
    "KINERJA_OIDC_PROVIDERS": '{"wanggar": {"issuer": "https://sso.example.test/w", "client_id": "web"}}',
}

#: ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``${NAME:?message}``, ``${NAME?message}``.
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
BARE_VARIABLE = re.compile(r"(?<!\$)\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


# --- reading the files ---------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    """The compose file as Compose reads it (anchors and ``<<`` merge keys resolved)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def services() -> dict[str, dict[str, Any]]:
    """Every container definition of the compose file, by name."""
    defined: dict[str, dict[str, Any]] = compose()["services"]
    return defined


def service(name: str) -> dict[str, Any]:
    """One container definition; fails the test clearly when the compose file lacks it."""
    if name not in services():
        pytest.fail(f"docker-compose.yml defines no service {name!r}")
    return services()[name]


def environment(definition: dict[str, Any]) -> dict[str, str]:
    """A container's environment as a mapping, whichever of the two spellings the file uses."""
    raw = definition.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.partition("=") for item in raw)
        return {key: value for key, _, value in pairs}
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def published_ports(definition: dict[str, Any]) -> list[tuple[int | None, int]]:
    """(published, container) port pairs, from the short (``"8001:8001"``) or the long syntax."""
    pairs: list[tuple[int | None, int]] = []
    for port in definition.get("ports", []):
        if isinstance(port, dict):
            published = port.get("published")
            pairs.append((int(published) if published is not None else None, int(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")
        published_part = parts[-2] if len(parts) >= 2 else None
        pairs.append((int(published_part) if published_part else None, int(parts[-1])))
    return pairs


def one_shot_jobs() -> set[str]:
    """Containers meant to run to completion: those others wait on with service_completed_successfully."""
    return {
        target
        for definition in services().values()
        for target, options in dict_depends_on(definition).items()
        if options.get("condition") == "service_completed_successfully"
    }


def dict_depends_on(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``depends_on`` in its long form (the short list form carries no condition)."""
    raw = definition.get("depends_on") or {}
    if isinstance(raw, list):
        return {target: {} for target in raw}
    return {target: dict(options or {}) for target, options in raw.items()}


def settings_class(name: str) -> type[ServiceSettings]:
    """The settings class declared in ``services/<name>/settings.py``."""
    module = importlib.import_module(f"services.{name}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"services/{name}/settings.py should declare one settings class: {classes}"
    return classes[0]


def default_http_port(name: str) -> int:
    """The service's default port according to its settings class."""
    default = settings_class(name).model_fields["http_port"].default
    assert isinstance(default, int)
    return default


def all_strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a loaded YAML document (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from all_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_strings(item)


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's variable interpolation, enough for this file: defaults and required values."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = variables.get(name)
        if op in (":?", "?"):
            if value is None or (op == ":?" and value == ""):
                pytest.fail(f"{name} is required ({arg}); add an example to REQUIRED_VARIABLE_EXAMPLES")
            return value
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        return value or ""

    return INTERPOLATION.sub(substitute, text.replace("$$", "\0")).replace("\0", "$")


def prometheus_targets() -> dict[str, set[str]]:
    """Scrape targets of prometheus.yml by metrics path."""
    config = yaml.safe_load(PROMETHEUS_FILE.read_text(encoding="utf-8"))
    targets: dict[str, set[str]] = {}
    for job in config.get("scrape_configs", []):
        path = job.get("metrics_path", "/metrics")
        for static in job.get("static_configs", []):
            targets.setdefault(path, set()).update(static.get("targets", []))
    return targets


def exported_metric_names() -> set[str]:
    """The sample names the services export: every metric registered once their modules are loaded."""
    for name in SERVICE_NAMES:
        importlib.import_module(f"services.{name}.bootstrap")
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "gauge": ("",),
        "info": ("_info",),
    }
    return {
        family.name + suffix for family in REGISTRY.collect() for suffix in suffixes.get(family.type, ("",))
    }


def dashboards() -> dict[str, dict[str, Any]]:
    """Every provisioned Grafana dashboard, by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
    }


def dashboard_expressions(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard's panels (rows included)."""
    expressions: list[str] = []
    stack = list(dashboard.get("panels", []))
    while stack:
        panel = stack.pop()
        stack.extend(panel.get("panels", []))
        expressions.extend(target["expr"] for target in panel.get("targets", []) if "expr" in target)
    return expressions
