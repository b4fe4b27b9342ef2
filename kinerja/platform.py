"""``kinerja up``: infrastructure, topics, the four services, the web process and demo data, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kinerja import infra
from kinerja.services import (
    DEFAULT_PORTS,
    PROCESS_NAMES,
    WEB,
    forwarding_environment,
    up_ports,
    web_environment,
)
from shared.serving import ACCEPTING_CONNECTIONS, listening_socket

HEALTHY_WITHIN_SECONDS = 60.0


class ServiceProcesses:
    """The service processes (API, consumer and relay share each process here) and the web one.

    Each port is bound here, once, and every process of its service inherits that listening socket
    (``KINERJA_HTTP_SOCKET_FD``), as uvicorn's and gunicorn's workers do: connections wait in one
    queue for whichever process accepts next, so a process may stop or be replaced without a
    connection being refused or reset. With ``replicas`` above 1 each of the four services runs
    that many processes, all in its consumer group too (the broker shares the partitions); the web
    process holds no state and stays one. The first process of a service is named after it
    (``scoring``), the others ``scoring.2``, ...
    """

    def __init__(
        self,
        endpoints: infra.Endpoints,
        data_dir: Path,
        ports: dict[str, int] | None = None,
        *,
        replicas: int = 1,
    ) -> None:
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        self.endpoints = endpoints
        self.data_dir = data_dir
        self.ports = ports or DEFAULT_PORTS
        self.replicas = replicas
        #: Services started by start_all: the web process joins when a port is given for it.
        self.names = tuple(name for name in PROCESS_NAMES if name in self.ports)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        #: Where each process's log stood when it was started (its own start-up line comes after).
        self._log_offsets: dict[str, int] = {}
        #: Each service's listening socket, held for as long as its processes may run.
        self._sockets: dict[str, socket.socket] = {}

    def process_names(self, name: str) -> list[str]:
        """The processes of one service: ``scoring``, then ``scoring.2``, ... up to the replicas."""
        count = 1 if name == WEB else self.replicas
        return [name, *(f"{name}.{index}" for index in range(2, count + 1))]

    def environment(self, name: str) -> dict[str, str]:
        """The environment of one service process (``name`` may be a replica's, ``scoring.2``)."""
        service = service_of(name)
        return (
            dict(os.environ)
            | self.endpoints.environment()
            | (web_environment(self.ports) if "web" in self.ports else {})
            | forwarding_environment(service, self.ports)
            | {"KINERJA_HTTP_PORT": str(self.ports[service]), "KINERJA_DATA_DIR": str(self.data_dir)}
        )

    def log_path(self, name: str) -> Path:
        """The log of one process."""
        return self.data_dir / "logs" / f"{name}.log"

    def listening_socket(self, service: str) -> socket.socket:
        """The service's listening socket, bound on first use and kept until ``stop_all``."""
        if service not in self._sockets:
            host = os.environ.get("KINERJA_HTTP_HOST", "127.0.0.1")
            self._sockets[service] = listening_socket(host, self.ports[service])
        return self._sockets[service]

    def start(self, name: str) -> None:
        """Start one process of a service (``scoring``, or a replica such as ``scoring.2``)."""
        log_path = self.log_path(name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        listening = self.listening_socket(service_of(name)).fileno()
        with log_path.open("ab") as log_file:
            self._log_offsets[name] = log_file.tell()
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "kinerja.cli", "serve", service_of(name)],
                env=self.environment(name) | {"KINERJA_HTTP_SOCKET_FD": str(listening)},
                pass_fds=(listening,),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def restart(self, name: str, timeout: float = HEALTHY_WITHIN_SECONDS) -> None:
        """Replace one process: the new one starts on the same listening socket, and the old one is
        stopped (SIGTERM) only once the new one accepts, so the port is never left unserved."""
        old = self.processes[name]
        self.start(name)
        try:
            self._wait_accepting(name, timeout)
        except Exception:
            self.stop(name, kill=True)
            self.processes[name] = old
            raise
        _stop_process(old, kill=False)

    def start_all(self) -> None:
        """Start every service (and the web process when it has a port); if one cannot start, the
        ones started are stopped before the error is raised (a caller's cleanup may never run)."""
        try:
            # Every listening socket is bound before any process starts: a starting process opens
            # connections whose ephemeral ports could take a port chosen a moment before.
            for name in self.names:
                self.listening_socket(name)
            for name in self.names:
                for process_name in self.process_names(name):
                    self.start(process_name)
        except BaseException:
            self.stop_all()
            raise

    def wait_healthy(self, timeout: float = HEALTHY_WITHIN_SECONDS) -> None:
        """Wait until every process is ready: its port answers /readyz with 200 and, where several
        processes share the port, the process itself logged that it started serving."""
        deadline = time.monotonic() + timeout
        pending = set(self.processes)
        while pending:
            for name in list(pending):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_path(name)}")
                if _ready(self.ports[service_of(name)]) and self._started_serving(name):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready within {timeout:.0f}s: {', '.join(sorted(pending))}")
            time.sleep(0.25)

    def _started_serving(self, name: str) -> bool:
        """Whether this very process has started (a ready port may be another replica's answer)."""
        if self.replicas == 1 or service_of(name) == WEB:
            return True
        return self._accepting(name)

    def _accepting(self, name: str) -> bool:
        """Whether the process's log says it accepts connections (since it was started)."""
        with self.log_path(name).open("rb") as log_file:
            log_file.seek(self._log_offsets.get(name, 0))
            return ACCEPTING_CONNECTIONS.encode() in log_file.read()

    def _wait_accepting(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self.processes[name]
        while not self._accepting(name):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_path(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not accept connections within {timeout:.0f}s")
            time.sleep(0.1)

    def stop(self, name: str, *, kill: bool = False) -> None:
        """Stop one service (SIGTERM, or SIGKILL to simulate a crash)."""
        process = self.processes.pop(name, None)
        if process is not None:
            _stop_process(process, kill=kill)

    def exited(self) -> tuple[str, int] | None:
        """A process that has ended, with its exit status (None: all running)."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_all(self) -> None:
        """Stop every service, then close the listening sockets (a later start binds them again).

        All are asked at once: each may take seconds to drain its connections.
        """
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name in list(self.processes):
            self.stop(name)
        for listening in self._sockets.values():
            listening.close()
        self._sockets.clear()


def _stop_process(process: subprocess.Popen[bytes], *, kill: bool) -> None:
    """Stop a process (SIGTERM, or SIGKILL to simulate a crash), killing it if it takes too long."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def service_of(process_name: str) -> str:
    """The service a process belongs to: ``scoring.2`` -> ``scoring``."""
    return process_name.split(".", 1)[0]


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(json.loads(response.read()).get("ready"))
    except Exception:
        return False


def _describe(status: int) -> str:
    """An exit status as a person reads it: ``exit code 3`` or ``killed by SIGKILL``."""
    return f"killed by {signal.Signals(-status).name}" if status < 0 else f"exit code {status}"


def run_platform(*, demo: bool, data_dir: Path, replicas: int = 1) -> int:
    """Run everything until Ctrl-C (each service in ``replicas`` processes); returns the exit code."""
    from shared.auth import ensure_dev_signing_key
    from shared.messaging.kafka import ensure_topics

    started = time.monotonic()
    mode = infra.choose_mode()
    if mode is infra.Mode.CONTAINERS:
        # `make up` runs the embedded default; containers are for the test fixtures and compose.
        mode = infra.Mode.EMBEDDED
    embedded: infra.EmbeddedInfrastructure | None = None
    if mode is infra.Mode.EXTERNAL:
        endpoints = infra.external_endpoints()
    else:
        embedded = infra.EmbeddedInfrastructure(data_dir)
        endpoints = embedded.start()
    ensure_dev_signing_key(data_dir / "dev-jwt" / "private.pem")
    services = ServiceProcesses(endpoints, data_dir, up_ports(), replicas=replicas)
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        created = asyncio.run(ensure_topics(endpoints.kafka_bootstrap_servers))
        print(
            f"infrastructure: {endpoints.mode.value}, broker: {endpoints.broker.value}; "
            f"topics created: {len(created)}"
        )
        services.start_all()
        services.wait_healthy()
        infra.write_state(
            data_dir,
            endpoints,
            {"ports": services.ports, "service_pids": {n: p.pid for n, p in services.processes.items()}},
        )
        print(
            f"the four services ({replicas} process(es) each) and the web process ready in "
            f"{time.monotonic() - started:.1f}s"
        )
        if demo:
            from kinerja.demo import load_demo

            print(load_demo(data_dir=data_dir, ports=services.ports).summary)
        for name in services.names:
            port = services.ports[name]
            if name == "web":
                print(f"  {name:10} http://127.0.0.1:{port}/        (pages for citizens, staff and offices)")
            else:
                print(f"  {name:10} http://127.0.0.1:{port}/docs   http://127.0.0.1:{port}/metrics")
        print("Press Ctrl-C to stop everything.")
        while not stop_requested:
            # A component that dies takes the platform down, loudly: restarting it in silence hid
            # crashes, and a supervisor (or the developer) must see a non-zero exit.
            ended = services.exited() or (embedded.exited() if embedded is not None else None)
            if ended is not None:
                name, status = ended
                print(
                    f"kinerja up: {name} stopped unexpectedly ({_describe(status)}); see "
                    f"{data_dir / 'logs' / f'{name}.log'}. Stopping everything.",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("stopping services...")
        services.stop_all()
        if embedded is not None:
            embedded.stop()
        with contextlib.suppress(FileNotFoundError):
            (data_dir / "state.json").unlink()
        print("stopped.")
