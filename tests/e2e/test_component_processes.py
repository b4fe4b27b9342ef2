"""A consumer process scaled on its own (as a Kubernetes Deployment runs it) is probed and scraped."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kinerja import infra
from tests.conftest import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def consumer_only(infrastructure: Any, data_dir: Path) -> Iterator[str]:
    """``kinerja serve scoring --components consumer`` as a process; yields its base URL."""
    port = infra.free_port()
    log_path = data_dir / "logs" / "scoring-consumer.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kinerja.cli", "serve", "scoring", "--components", "consumer"],
            env=dict(os.environ, KINERJA_HTTP_PORT=str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_a_consumer_process_answers_probes_and_exports_its_lag(consumer_only: str):
    async with httpx.AsyncClient(base_url=consumer_only, timeout=5) as http:

        async def ready() -> bool:
            try:
                return (await http.get("/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(ready, timeout=90, interval=0.5)
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/v1/audit-log")).status_code == 404  # no API in this process

        async def lag_exported() -> bool:
            metrics = (await http.get("/metrics")).text
            return 'kinerja_consumer_lag_messages{group="kinerja-scoring"' in metrics

        await wait_until(lag_exported, timeout=90, interval=1)
