"""What the benchmarks share: their own infrastructure and service processes, and figure printing.

Infrastructure is embedded (PostgreSQL, Redis and the broker on free ports, durability off, in a temporary
directory) unless ``KINERJA_DATABASE_URL``, ``KINERJA_KAFKA_BOOTSTRAP_SERVERS`` and
``KINERJA_REDIS_URL`` point at servers. Services run as separate processes, as in production, each
with only the components a benchmark needs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Collection, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from kinerja import infra
from kinerja.platform import ServiceProcesses
from kinerja.processes import exit_on_sigterm
from shared.auth import ensure_dev_signing_key
from shared.contracts import TOPICS
from shared.messaging.kafka import ensure_topics
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL_VARIABLES = ("KINERJA_DATABASE_URL", "KINERJA_KAFKA_BOOTSTRAP_SERVERS", "KINERJA_REDIS_URL")


class BenchServices(ServiceProcesses):
    """Service processes with a chosen set of components each, optionally under cProfile."""

    def __init__(
        self,
        endpoints: infra.Endpoints,
        data_dir: Path,
        components: dict[str, str],
        profile: set[str] | None = None,
    ) -> None:
        super().__init__(endpoints, data_dir, {name: infra.free_port() for name in components})
        self.components = components
        self.profile = profile or set()

    def profile_path(self, name: str) -> Path:
        """Where a profiled service writes its cProfile statistics when it stops."""
        return self.data_dir / f"{name}.pstats"

    def start(self, name: str) -> None:
        """Start one service with its components (API, consumer, relay)."""
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        profiler = ["-m", "cProfile", "-o", str(self.profile_path(name))] if name in self.profile else []
        environment = self.environment(name) | {"KINERJA_LOG_LEVEL": "WARNING"}
        with log_path.open("ab") as log_file:
            self.processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    *profiler,
                    "-m",
                    "kinerja.cli",
                    "serve",
                    name,
                    "--components",
                    self.components[name],
                ],
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=ROOT,
            )

    def start_all(self) -> None:
        """Start every chosen service."""
        for name in self.components:
            self.start(name)

    def wait_alive(self, timeout: float = 90.0) -> None:
        """Wait until every service answers /healthz (readiness needs the relay, which some lack)."""
        deadline = time.monotonic() + timeout
        pending = {name for name, parts in self.components.items() if "api" in parts}
        while pending:
            for name in list(pending):
                if self.processes[name].poll() is not None:
                    log_tail = (self.data_dir / "logs" / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited; the end of its log:\n{log_tail}")
                url = f"http://127.0.0.1:{self.ports[name]}/healthz"
                with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not alive within {timeout:.0f}s: {', '.join(sorted(pending))}")
            time.sleep(0.25)

    def url(self, name: str) -> str:
        """The base URL of a service's API."""
        return f"http://127.0.0.1:{self.ports[name]}"


@dataclass
class BenchPlatform:
    """Infrastructure (embedded or external) and a data directory with a development signing key."""

    data_dir: Path
    endpoints: infra.Endpoints
    embedded: infra.EmbeddedInfrastructure | None = None
    services: list[BenchServices] = field(default_factory=list)

    @property
    def settings(self) -> ServiceSettings:
        """Settings pointing at this platform (for minting tokens, engines, clients)."""
        return ServiceSettings(
            data_dir=self.data_dir,
            database_url=self.endpoints.database_url,
            kafka_bootstrap_servers=self.endpoints.kafka_bootstrap_servers,
            redis_url=self.endpoints.redis_url,
        )

    @property
    def admin_database_url(self) -> str:
        """A database URL that may read every service's schema (for measuring, never for serving)."""
        return getattr(self.endpoints, "database_admin_url", None) or self.endpoints.database_url

    def start_services(self, components: dict[str, str], profile: set[str] | None = None) -> BenchServices:
        """Start service processes (``{"reporting": "api,consumer"}``) and wait until they answer."""
        services = BenchServices(self.endpoints, self.data_dir, components, profile)
        self.services.append(services)
        services.start_all()
        services.wait_alive()
        return services


#: How much of the end of each process's log a failed run shows.
LOG_TAIL_CHARS = 2500


def write_log_tails(data_dir: Path) -> None:
    """The end of every process's log under ``data_dir``, on stderr: why a run failed."""
    for log_path in sorted((data_dir / "logs").glob("*.log")):
        tail = log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        sys.stderr.write(f"--- end of {log_path.name} ---\n{tail}\n")


@contextlib.contextmanager
def bench_platform() -> Iterator[BenchPlatform]:
    """Start (or find) the infrastructure for one benchmark run, and stop all it started (on SIGTERM too)."""
    exit_on_sigterm()
    data_dir = Path(tempfile.mkdtemp(prefix="kinerja-bench-"))
    os.environ["KINERJA_DATA_DIR"] = str(data_dir)
    ensure_dev_signing_key(data_dir / "dev-jwt" / "private.pem")
    embedded: infra.EmbeddedInfrastructure | None = None
    if all(os.environ.get(name) for name in EXTERNAL_VARIABLES):
        endpoints = infra.external_endpoints()
    else:
        embedded = infra.EmbeddedInfrastructure(
            data_dir / "infra", infra.EmbeddedPorts.random(), durable=False
        )
        endpoints = embedded.start()
    platform = BenchPlatform(data_dir=data_dir, endpoints=endpoints, embedded=embedded)
    try:
        asyncio.run(ensure_topics(endpoints.kafka_bootstrap_servers))
        os.environ.update(endpoints.environment())
        yield platform
    except BaseException:
        write_log_tails(data_dir)
        raise
    finally:
        for services in reversed(platform.services):
            services.stop_all()
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def machine_line() -> str:
    """When and where the figures were measured."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average {load:.2f} "
        f"(other work on the machine makes the figures indicative)"
    )


def figure(name: str, value: float, unit: str, *, target: str = "", baseline: float | None = None) -> str:
    """One printed figure with its target and, when measured, the ratio to the baseline."""
    line = f"{name:<48} {value:>10,.1f} {unit:<12}"
    if target:
        line += f" target {target:<10}"
    if baseline:
        line += f" baseline {baseline:>10,.1f}  ratio {value / baseline:.3f}"
    return line


def process_ids(platform: BenchPlatform, services: BenchServices | None = None) -> dict[str, int]:
    """This process, the infrastructure's servers and a set of services, by name."""
    pids = {"bench client": os.getpid()}
    if services is not None:
        pids |= {name: process.pid for name, process in services.processes.items()}
    if platform.embedded is not None:
        pids |= {name: process.pid for name, process in platform.embedded.processes.items()}
        broker = platform.embedded.broker
        if broker.process is not None:  # the broker's work for the measured clients counts too
            pids[f"broker ({broker.kind.value})"] = broker.process.pid
    return pids


_STARTED = time.monotonic()


def stage(message: str) -> None:
    """Say what the benchmark is doing now (stderr, so the figures on stdout stay clean)."""
    sys.stderr.write(f"[{time.monotonic() - _STARTED:6.1f}s] {message}\n")
    sys.stderr.flush()


def parse_sized_options(
    parser: argparse.ArgumentParser,
    sizes: Mapping[str, tuple[Any, Any]],
    argv: Sequence[str] | None = None,
) -> argparse.Namespace:
    """The command line under every bench's one ``--quick`` rule: an option given explicitly wins;
    ``--quick`` sets only the sizes not given (their full size without it).

    ``sizes`` maps each sized option (its ``dest``, added with no default so that None means "not
    given") to its (full, ``--quick``) values; ``--help`` lists them with the rule.
    """
    for name in sizes:
        if parser.get_default(name) is not None:
            raise ValueError(f"{name} has a default of its own: --quick could not tell it was not given")

    def shown(value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"

    rows = "\n".join(
        f"  --{name.replace('_', '-'):<14} {shown(full):>12} {shown(quick):>12}"
        for name, (full, quick) in sizes.items()
    )
    rule = "Sizes (full, --quick): an option given explicitly wins; --quick sets only the sizes not given."
    rule += "\n" + rows
    parser.epilog = f"{parser.epilog}\n\n{rule}" if parser.epilog else rule
    args = parser.parse_args(argv)
    for name, (full, quick) in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def run_on_platform(run: Callable[[Any, BenchPlatform], Coroutine[Any, Any, None]], args: Any) -> None:
    """Run a benchmark's ``run(args, platform)`` on uvloop (when installed) with its own platform."""
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    with bench_platform() as platform:
        asyncio.run(run(args, platform))


def start_baseline(module: str, *arguments: str) -> tuple[subprocess.Popen[bytes], str]:
    """A benchmark's baseline server (``python -m module PORT *arguments``, one worker) on a free
    port, once it answers /healthz; its process and base URL."""
    port = infra.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, str(port), *arguments],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1),
        ):
            return process, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the bare baseline API did not start")


async def bare_consume(bootstrap: str, topics: Collection[str], count: int, *, batch_size: int) -> float:
    """Seconds a bare aiokafka loop takes to read and decode ``count`` messages of the topics from
    their start: what a consumer's figures are compared with."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=batch_size
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in sorted(topics) for p in range(TOPICS[topic])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen, started = 0, time.perf_counter()
        while seen < count:
            for records in (await consumer.getmany(timeout_ms=200, max_records=batch_size)).values():
                for record in records:
                    orjson.loads(record.value or b"")
                seen += len(records)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
