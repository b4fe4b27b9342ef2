"""The production compose file agrees with the code it deploys (no Docker needed).

``docker-compose.yml`` is checked against a vendored subset of the Compose Specification schema,
then against the project itself: the services it runs exist, every ``KINERJA_*`` variable it sets
is a settings field, ports match the settings' defaults, start-up waits on health checks, secrets
are never hard-coded, and Prometheus and Grafana watch what the services actually export.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from prometheus_client import REGISTRY

from shared.settings import Environment, ServiceSettings

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


# --- the Compose specification -------------------------------------------------------------------


def test_the_vendored_compose_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    assert "subset" in schema["description"].lower()


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose()), key=lambda error: list(error.path)
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors
    )


@pytest.mark.parametrize(
    ("mistake", "definition"),
    [
        ("a misspelt key", {"image": "kinerja", "healtcheck": {"test": ["CMD", "true"]}}),
        ("an unknown condition", {"image": "kinerja", "depends_on": {"kafka": {"condition": "started"}}}),
        ("a condition-less dependency", {"image": "kinerja", "depends_on": {"kafka": {}}}),
        ("a malformed duration", {"image": "kinerja", "healthcheck": {"interval": "ten seconds"}}),
    ],
)
def test_the_schema_rejects_a_service_with(mistake: str, definition: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert not jsonschema.Draft7Validator(schema).is_valid({"services": {"broken": definition}}), mistake


# --- the services --------------------------------------------------------------------------------


def test_every_application_service_in_the_compose_file_is_a_directory_under_services() -> None:
    served = {
        name: definition["command"]
        for name, definition in services().items()
        if definition.get("command", [None])[0] == "serve"
    }
    assert served, "no container runs `kinerja serve`"
    for name, command in served.items():
        assert name in PROCESS_NAMES, f"{name} runs `serve` but is not one of {PROCESS_NAMES}"
        assert command[1] == name, f"container {name} serves {command[1]}"
        assert (ROOT / "services" / name).is_dir(), f"services/{name} does not exist"


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_every_service_directory_is_deployed_by_the_compose_file(name: str) -> None:
    assert (ROOT / "services" / name / "settings.py").is_file()
    definition = service(name)
    assert definition.get("command", [])[:2] == ["serve", name]
    assert definition.get("build", {}).get("dockerfile") == DOCKERFILE
    assert (ROOT / DOCKERFILE).is_file()


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_every_kinerja_variable_set_for_a_service_is_a_field_of_its_settings(name: str) -> None:
    fields = {f"KINERJA_{field.upper()}" for field in settings_class(name).model_fields}
    variables = {key for key in environment(service(name)) if key.startswith("KINERJA_")}
    assert variables, f"{name} sets no KINERJA_* variable"
    assert variables <= fields, f"{name} sets variables its settings ignore: {sorted(variables - fields)}"


def test_no_container_sets_a_kinerja_variable_the_settings_do_not_know() -> None:
    fields = {
        f"KINERJA_{field.upper()}" for name in PROCESS_NAMES for field in settings_class(name).model_fields
    }
    for name, definition in services().items():
        if name in SERVICE_NAMES:
            continue  # checked against the service's own settings class above
        unknown = {key for key in environment(definition) if key.startswith("KINERJA_")} - fields
        assert not unknown, f"{name} sets unknown settings: {sorted(unknown)}"


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_each_service_publishes_and_listens_on_its_default_port(name: str) -> None:
    port = default_http_port(name)
    definition = service(name)
    assert environment(definition).get("KINERJA_HTTP_PORT") == str(port)
    # Inside its container the service must listen beyond loopback, or no port reaches it.
    assert environment(definition).get("KINERJA_HTTP_HOST") == "0.0.0.0"  # noqa: S104
    assert published_ports(definition) == [(port, port)]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_starts_in_production_with_the_compose_environment(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in environment(service(name)).items():
        monkeypatch.setenv(key, interpolate(value, REQUIRED_VARIABLE_EXAMPLES))
    settings = settings_class(name)()
    assert settings.environment is Environment.PRODUCTION
    assert settings.service_name == name
    assert settings.http_port == default_http_port(name)
    assert settings.jwt_jwks_url == REQUIRED_VARIABLE_EXAMPLES["KINERJA_JWT_JWKS_URL"]
    assert settings.database_url.startswith("postgresql+asyncpg://kinerja_service:")
    assert settings.database_url.endswith("@postgres:5432/kinerja")
    assert settings.migration_database_url.startswith("postgresql+asyncpg://kinerja:")
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.redis_url == "redis://redis:6379/0"


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_each_service_health_check_asks_its_own_port_for_healthz(name: str) -> None:
    test = service(name)["healthcheck"]["test"]
    command = " ".join(test) if isinstance(test, list) else test
    assert f"127.0.0.1:{default_http_port(name)}/healthz" in command


# --- start-up order and health -------------------------------------------------------------------


def test_every_dependency_exists_and_is_waited_for_until_healthy_or_completed() -> None:
    for name, definition in services().items():
        for target, options in dict_depends_on(definition).items():
            assert target in services(), f"{name} depends on undefined service {target}"
            assert options.get("condition") in WAITING_CONDITIONS, (
                f"{name} -> {target} must use condition service_healthy or service_completed_successfully"
            )
            expected = "service_completed_successfully" if target in one_shot_jobs() else "service_healthy"
            assert options["condition"] == expected, f"{name} -> {target} should wait for {expected}"


def test_every_long_running_container_has_a_health_check() -> None:
    for name in set(services()) - one_shot_jobs():
        healthcheck = services()[name].get("healthcheck") or {}
        assert healthcheck.get("test"), f"{name} has no health check"
        assert not healthcheck.get("disable"), f"{name} disables its health check"


def test_one_shot_jobs_run_once_and_never_restart() -> None:
    assert one_shot_jobs() == {"topics", "evidence-bucket"}
    for name in one_shot_jobs():
        assert services()[name].get("restart", "no") == "no", f"{name} is a job; it must not restart"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_waits_for_its_infrastructure_and_the_topics(name: str) -> None:
    depends_on = dict_depends_on(service(name))
    assert {"postgres", "redis", "kafka", "topics"} <= set(depends_on)


def test_the_topics_job_creates_the_topics_on_the_broker_the_services_use_once_kafka_is_healthy() -> None:
    job = service("topics")
    assert job["command"] == ["topics", "--bootstrap", "kafka:9092"]
    assert dict_depends_on(job)["kafka"]["condition"] == "service_healthy"
    assert "kafka" in services()
    for name in SERVICE_NAMES:
        assert environment(service(name))["KINERJA_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_kafka_runs_as_a_single_kraft_node_advertising_the_address_services_use() -> None:
    kafka = environment(service("kafka"))
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "PLAINTEXT://kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{kafka['KAFKA_NODE_ID']}@kafka:9093"


# --- secrets and interpolation -------------------------------------------------------------------


def test_every_interpolated_variable_has_a_default_or_fails_with_a_message() -> None:
    for text in all_strings(compose()):
        escaped = text.replace("$$", "")
        bare = BARE_VARIABLE.findall(escaped)
        assert not bare, f"use ${{NAME:-default}} or ${{NAME:?message}}, not ${bare[0]}: {text}"
        for match in INTERPOLATION.finditer(escaped):
            assert match["op"], f"${{{match['name']}}} has neither a default nor a failure message"
            if match["op"].endswith("?"):
                assert match["arg"].strip(), f"${{{match['name']}}} fails without saying what to set"


def test_secrets_come_from_the_environment_and_are_required() -> None:
    for name, definition in services().items():
        for key, value in environment(definition).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN")):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", value), f"{name}: {key} is hard-coded"
    for name in SERVICE_NAMES:
        for key, variable in (
            ("KINERJA_DATABASE_URL", "KINERJA_SERVICE_DB_PASSWORD"),
            ("KINERJA_DATABASE_ADMIN_URL", "POSTGRES_PASSWORD"),
        ):
            url = environment(service(name))[key]
            password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
            assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]+\}}", password), (
                f"{name} hard-codes {key}'s password"
            )


def test_the_env_example_names_every_required_variable() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    required = {
        match["name"]
        for text in all_strings(compose())
        for match in INTERPOLATION.finditer(text)
        if match["op"] in (":?", "?")
    }
    assert required == set(REQUIRED_VARIABLE_EXAMPLES)
    for name in required:
        assert re.search(rf"^{name}=", example, re.MULTILINE), f".env.example does not mention {name}"


def test_every_bind_mounted_host_path_exists_in_the_repository() -> None:
    for name, definition in services().items():
        for volume in definition.get("volumes", []):
            source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


# --- observability -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_prometheus_scrapes_every_service_on_its_port(name: str) -> None:
    assert f"{name}:{default_http_port(name)}" in prometheus_targets().get("/metrics", set())


def test_prometheus_and_grafana_are_published_on_their_usual_ports() -> None:
    assert (9090, 9090) in published_ports(service("prometheus"))
    assert (3000, 3000) in published_ports(service("grafana"))
    mounts = " ".join(str(volume) for volume in service("prometheus").get("volumes", []))
    assert "deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml" in mounts


def test_the_dashboards_query_only_metrics_the_services_export() -> None:
    exported = exported_metric_names()
    found = dashboards()
    assert found, "no dashboard under deploy/grafana/dashboards"
    for file_name, dashboard in found.items():
        used = {
            name
            for expression in dashboard_expressions(dashboard)
            for name in re.findall(r"\bkinerja_[a-z0-9_]+", expression)
        }
        assert used, f"{file_name} queries no kinerja metric"
        assert used <= exported, f"{file_name} queries unknown metrics: {sorted(used - exported)}"


def test_the_dashboard_shows_http_outbox_and_event_metrics() -> None:
    expressions = "\n".join(
        expression for dashboard in dashboards().values() for expression in dashboard_expressions(dashboard)
    )
    for required in (
        "kinerja_http_requests_total",
        "histogram_quantile(0.99, sum by (job, route, le) (rate(kinerja_http_request_duration_seconds_bucket",
        "kinerja_outbox_backlog",
        "kinerja_events_consumed_total",
        "kinerja_events_dead_lettered_total",
        "histogram_quantile(0.99, sum by (job, topic, le) (rate(kinerja_event_to_effect_seconds_bucket",
        "kinerja_consumer_lag_seconds",
        "kinerja_consumer_lag_messages",
        "kinerja_db_pool_waiting",
        "kinerja_dependency_up",
        'kinerja_reporting_activities_total{region=~"$region", outcome="accepted"}',
        "kinerja_feedback_complaints_past_deadline",
    ):
        assert required in expressions, f"no dashboard panel queries {required}"


def test_the_dashboards_use_the_provisioned_prometheus_datasource() -> None:
    provisioned = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text(encoding="utf-8")
    )
    uids = {source["uid"] for source in provisioned["datasources"] if source["type"] == "prometheus"}
    for file_name, dashboard in dashboards().items():
        stack = list(dashboard.get("panels", []))
        while stack:
            panel = stack.pop()
            stack.extend(panel.get("panels", []))
            for holder in [panel, *panel.get("targets", [])]:
                if "datasource" in holder:
                    assert holder["datasource"]["uid"] in uids, f"{file_name}: {panel.get('title')}"
