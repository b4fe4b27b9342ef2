"""``kinerja up`` stops everything and exits non-zero, naming the component, when one it started dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kinerja import infra
from kinerja.services import PROCESS_NAMES

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


@pytest.mark.parametrize("victim", ["scoring", "broker"])
def test_a_component_that_dies_stops_the_platform_with_a_non_zero_exit_naming_it(
    tmp_path: Path, infrastructure: Any, victim: str
) -> None:
    if not isinstance(infrastructure, infra.EmbeddedInfrastructure):
        pytest.skip("`kinerja up` starts its own servers only in the embedded mode")
    # Servers, services and data of its own, on free ports (a `make up` may be running beside).
    environment = dict(os.environ) | {
        "KINERJA_DATA_DIR": str(tmp_path / "data"),
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
    state_path = tmp_path / "data" / "state.json"
    try:
        deadline = time.monotonic() + STARTED_WITHIN_SECONDS
        while not state_path.exists():
            assert platform.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.5)
        state = json.loads(state_path.read_text())
        pids = state["pids"] | state["service_pids"]
        os.kill(pids[victim], signal.SIGKILL)
        returncode = platform.wait(timeout=EXITED_WITHIN_SECONDS)
    finally:
        if platform.poll() is None:
            platform.send_signal(signal.SIGINT)
            platform.wait(timeout=EXITED_WITHIN_SECONDS)
    said = output.read_text()
    assert returncode != 0, said
    assert f"{victim} stopped unexpectedly" in said
    assert "SIGKILL" in said
    # Everything else it started was stopped: no service, server or JVM is left behind.
    left = [name for name, pid in pids.items() if alive(pid)]
    assert left == [], said
