"""``kinerja up``: infrastructure, topics, the four services, the web process and demo data, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kinerja import infra
from kinerja.services import DEFAULT_PORTS, PROCESS_NAMES, forwarding_environment, up_ports, web_environment

HEALTHY_WITHIN_SECONDS = 60.0


class ServiceProcesses:
    """The four service processes (API, consumer and relay share one process each here) and the web one."""

    def __init__(
        self, endpoints: infra.Endpoints, data_dir: Path, ports: dict[str, int] | None = None
    ) -> None:
        self.endpoints = endpoints
        self.data_dir = data_dir
        self.ports = ports or DEFAULT_PORTS
        #: Processes started by start_all: the web process joins when a port is given for it.
        self.names = tuple(name for name in PROCESS_NAMES if name in self.ports)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def environment(self, name: str) -> dict[str, str]:
        """The environment of one service process."""
        return (
            dict(os.environ)
            | self.endpoints.environment()
            | (web_environment(self.ports) if "web" in self.ports else {})
            | forwarding_environment(name, self.ports)
            | {"KINERJA_HTTP_PORT": str(self.ports[name]), "KINERJA_DATA_DIR": str(self.data_dir)}
        )

    def start(self, name: str) -> None:
        """Start one service."""
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log_file:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "kinerja.cli", "serve", name],
                env=self.environment(name),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def start_all(self) -> None:
        """Start every service (and the web process when it has a port)."""
        for name in self.names:
            self.start(name)

    def wait_healthy(self, timeout: float = HEALTHY_WITHIN_SECONDS) -> None:
        """Wait until every service answers /readyz with 200."""
        deadline = time.monotonic() + timeout
        pending = set(self.processes)
        while pending:
            for name in list(pending):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; see {self.data_dir}/logs/{name}.log"
                    )
                if _ready(self.ports[name]):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready within {timeout:.0f}s: {', '.join(sorted(pending))}")
            time.sleep(0.25)

    def stop(self, name: str, *, kill: bool = False) -> None:
        """Stop one service (SIGTERM, or SIGKILL to simulate a crash)."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def exited(self) -> tuple[str, int] | None:
        """A process that has ended, with its exit status (None: all running)."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_all(self) -> None:
        """Stop every service."""
        for name in list(self.processes):
            self.stop(name)


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(json.loads(response.read()).get("ready"))
    except Exception:
        return False


def _describe(status: int) -> str:
    """An exit status as a person reads it: ``exit code 3`` or ``killed by SIGKILL``."""
    return f"killed by {signal.Signals(-status).name}" if status < 0 else f"exit code {status}"


def run_platform(*, demo: bool, data_dir: Path) -> int:
    """Run everything until Ctrl-C; returns the exit code."""
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
    services = ServiceProcesses(endpoints, data_dir, up_ports())
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
        print(f"the four services and the web process ready in {time.monotonic() - started:.1f}s")
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
