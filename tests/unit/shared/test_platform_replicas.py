"""`kinerja up --replicas N`: N processes of each service on its one port; the web process stays one."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kinerja import infra
from kinerja.cli import build_parser
from kinerja.platform import ServiceProcesses
from kinerja.processes import port_open
from kinerja.services import DEFAULT_PORTS

ENDPOINTS = infra.Endpoints(
    mode=infra.Mode.EXTERNAL,
    database_url="postgresql+asyncpg://x@127.0.0.1/x",
    kafka_bootstrap_servers="127.0.0.1:9092",
    redis_url="redis://127.0.0.1:6379/0",
)


def test_each_service_runs_its_replicas_on_its_own_port_and_the_web_process_once(tmp_path: Path) -> None:
    processes = ServiceProcesses(ENDPOINTS, tmp_path, ports=dict(DEFAULT_PORTS), replicas=3)
    assert processes.process_names("scoring") == ["scoring", "scoring.2", "scoring.3"]
    assert processes.process_names("web") == ["web"]
    assert processes.environment("scoring.3")["KINERJA_HTTP_PORT"] == str(DEFAULT_PORTS["scoring"])


def test_each_port_is_bound_once_for_all_the_processes_of_its_service(tmp_path: Path) -> None:
    processes = ServiceProcesses(ENDPOINTS, tmp_path, ports={"planning": infra.free_port()}, replicas=2)
    try:
        listening = processes.listening_socket("planning")
        assert listening.getsockname()[1] == processes.ports["planning"]
        assert processes.listening_socket("planning") is listening
    finally:
        processes.stop_all()
    assert listening.fileno() == -1  # closed with the processes


def test_up_takes_a_count_of_replicas_of_at_least_one() -> None:
    assert build_parser().parse_args(["up", "--replicas", "2"]).replicas == 2
    assert build_parser().parse_args(["up"]).replicas == 1
    with pytest.raises(SystemExit):
        build_parser().parse_args(["up", "--replicas", "0"])


def test_a_port_taken_meanwhile_starts_no_process_and_leaves_none_behind(tmp_path: Path) -> None:
    """Found in CI: a port chosen for a service was taken before the service bound it; the services
    started before it kept running beside every later test (their consumer groups, their rows)."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        ports = {"planning": infra.free_port(), "reporting": taken.getsockname()[1]}
        processes = ServiceProcesses(ENDPOINTS, tmp_path, ports=ports)
        with pytest.raises(OSError, match="in use"):
            processes.start_all()
        assert processes.processes == {}
        assert port_open(ports["planning"]) is False  # its socket closed again
    finally:
        taken.close()
