"""The production compose file agrees with the code it deploys (no Docker needed).

``docker-compose.yml`` is checked against a vendored subset of the Compose Specification schema,
then against the project itself: the services it runs exist, every ``KINERJA_*`` variable it sets
is a settings field, ports match the settings' defaults, start-up waits on health checks, secrets
are never hard-coded. Prometheus and Grafana are checked in ``test_compose_observability.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from kinerja.postgres import (
    AUTOVACUUM_NAPTIME,
    CHECKPOINT_TIMEOUT,
    MAX_WAL_SIZE,
    SHARED_BUFFERS,
    WAL_INIT_ZERO,
)
from shared.settings import Environment
from tests.contract.compose_files import (
    BARE_VARIABLE,
    DOCKERFILE,
    INTERPOLATION,
    PROCESS_NAMES,
    REQUIRED_VARIABLE_EXAMPLES,
    ROOT,
    SCHEMA_FILE,
    SERVICE_NAMES,
    WAITING_CONDITIONS,
    all_strings,
    compose,
    default_http_port,
    dict_depends_on,
    environment,
    interpolate,
    one_shot_jobs,
    published_ports,
    service,
    services,
    settings_class,
)

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


def test_the_database_analyzes_checkpoints_and_caches_as_the_embedded_durable_one() -> None:
    # Tables the consumers fill from empty are planned as empty until their first analyze; at the
    # default WAL size checkpoints come back to back under load; the default shared buffers are
    # outgrown within minutes; a new WAL segment zero-filled held every commit (kinerja/postgres.py).
    assert service("postgres")["command"] == [
        "postgres",
        "-c",
        f"autovacuum_naptime={AUTOVACUUM_NAPTIME}",
        "-c",
        f"max_wal_size={MAX_WAL_SIZE}",
        "-c",
        f"checkpoint_timeout={CHECKPOINT_TIMEOUT}",
        "-c",
        f"shared_buffers={SHARED_BUFFERS}",
        "-c",
        f"wal_init_zero={WAL_INIT_ZERO}",
    ]


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
