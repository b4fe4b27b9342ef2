"""`kinerja up --replicas N`: N processes of each service on its one port; the web process stays one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinerja import infra
from kinerja.cli import build_parser
from kinerja.platform import ServiceProcesses
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
    replica = processes.environment("scoring.3")
    assert replica["KINERJA_HTTP_PORT"] == str(DEFAULT_PORTS["scoring"])
    assert replica["KINERJA_HTTP_REUSE_PORT"] == "true"
    assert "KINERJA_HTTP_REUSE_PORT" not in processes.environment("web")


def test_one_replica_listens_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KINERJA_HTTP_REUSE_PORT", raising=False)
    processes = ServiceProcesses(ENDPOINTS, tmp_path, ports=dict(DEFAULT_PORTS))
    assert processes.process_names("planning") == ["planning"]
    assert "KINERJA_HTTP_REUSE_PORT" not in processes.environment("planning")


def test_up_takes_a_count_of_replicas_of_at_least_one() -> None:
    assert build_parser().parse_args(["up", "--replicas", "2"]).replicas == 2
    assert build_parser().parse_args(["up"]).replicas == 1
    with pytest.raises(SystemExit):
        build_parser().parse_args(["up", "--replicas", "0"])
