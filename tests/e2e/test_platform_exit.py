"""``kinerja up`` stops everything and exits non-zero, naming the component, when one it started dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja import infra
from kinerja.postgres import SERVICE_ROLE, remove_relocated_cluster
from kinerja.processes import run_coroutine
from kinerja.services import PROCESS_NAMES
from shared.auth import Role, mint_dev_token
from shared.settings import ServiceSettings
from tests.conftest import auth, new_region_id

pytestmark = pytest.mark.e2e

#: Infrastructure, topics and five processes on a loaded 2-core machine.
STARTED_WITHIN_SECONDS = 180
#: After a component died: notice it (0.5 s), stop the others cleanly (Kafka's shutdown included).
EXITED_WITHIN_SECONDS = 90


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: its parent (the killed platform's server) has not reaped it yet.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@dataclass
class RunningUp:
    """A `kinerja up` of the test's own, with what it recorded in its state file."""

    process: subprocess.Popen[bytes]
    output: Path
    data_dir: Path
    state: dict[str, Any]

    @property
    def pids(self) -> dict[str, int]:
        pids: dict[str, int] = self.state["pids"] | self.state["service_pids"]
        return pids

    def said(self) -> str:
        return self.output.read_text()


@pytest.fixture
def running_up(tmp_path: Path, infrastructure: Any) -> Iterator[RunningUp]:
    if not isinstance(infrastructure, infra.EmbeddedInfrastructure):
        pytest.skip("`kinerja up` starts its own servers only in the embedded mode")
    # Servers, services and data of its own, on free ports (a `make up` may be running beside).
    data_dir = tmp_path / "data"
    environment = dict(os.environ) | {
        "KINERJA_DATA_DIR": str(data_dir),
        "KINERJA_EMBEDDED_POSTGRES_PORT": str(infra.free_port()),
        "KINERJA_EMBEDDED_REDIS_PORT": str(infra.free_port()),
        "KINERJA_EMBEDDED_KAFKA_PORT": str(infra.free_port()),
        "KINERJA_EMBEDDED_KAFKA_CONTROLLER_PORT": str(infra.free_port()),
        **{f"KINERJA_UP_{name.upper()}_PORT": str(infra.free_port()) for name in PROCESS_NAMES},
    }
    for name in ("KINERJA_DATABASE_URL", "KINERJA_KAFKA_BOOTSTRAP_SERVERS", "KINERJA_REDIS_URL"):
        environment.pop(name, None)
    output = tmp_path / "up.log"
    with output.open("wb") as sink:
        platform = subprocess.Popen(
            [sys.executable, "-m", "kinerja.cli", "up", "--no-demo"],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state_path = data_dir / "state.json"
    try:
        deadline = time.monotonic() + STARTED_WITHIN_SECONDS
        while not state_path.exists():
            assert platform.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.5)
        yield RunningUp(platform, output, data_dir, json.loads(state_path.read_text()))
    finally:
        if platform.poll() is None:
            platform.send_signal(signal.SIGINT)
            platform.wait(timeout=EXITED_WITHIN_SECONDS)
        # `kinerja up` keeps its (durable) cluster; as root it lives outside tmp_path.
        remove_relocated_cluster(data_dir / "postgres")


def assert_stopped_everything(up: RunningUp) -> None:
    """Nothing it started is left behind: no service, server or JVM."""
    left = [name for name, pid in up.pids.items() if alive(pid)]
    assert left == [], up.said()


def test_a_component_that_dies_stops_the_platform_with_a_non_zero_exit_naming_it(
    running_up: RunningUp,
) -> None:
    """The broker is killed: a server `kinerja up` started. A service process that ends is the next
    test's (each case starts a platform of its own, ~40 s of the suite on two cores)."""
    os.kill(running_up.pids["broker"], signal.SIGKILL)
    returncode = running_up.process.wait(timeout=EXITED_WITHIN_SECONDS)
    said = running_up.said()
    assert returncode != 0, said
    assert "broker stopped unexpectedly (killed by SIGKILL)" in said
    assert_stopped_everything(running_up)


def test_a_part_crashing_inside_a_service_ends_its_process_with_a_failure_status(
    running_up: RunningUp,
) -> None:
    """Scoring's consumer fails for good (its role may no longer record processed events): the
    process ends with a failure status, and `kinerja up` says so instead of "exit code 0"."""

    async def forbid_recording_processed_events() -> None:
        engine = create_async_engine(running_up.state["database_admin_url"])
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text(f"REVOKE INSERT ON scoring.processed_events FROM {SERVICE_ROLE}")
                )
        finally:
            await engine.dispose()

    run_coroutine(forbid_recording_processed_events())
    settings = ServiceSettings(data_dir=running_up.data_dir)
    token = mint_dev_token(settings, subject="admin", roles=[Role.PLATFORM_ADMIN], region_id=None)
    planning = running_up.state["ports"]["planning"]
    # A new region is an event scoring's consumer must record.
    created = httpx.post(
        f"http://127.0.0.1:{planning}/v1/regions",
        json={"region_id": new_region_id(), "name": "Gagal"},
        headers=auth(token),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    returncode = running_up.process.wait(timeout=EXITED_WITHIN_SECONDS)
    said = running_up.said()
    assert returncode != 0, said
    assert "scoring stopped unexpectedly (exit code 1)" in said
    assert_stopped_everything(running_up)
