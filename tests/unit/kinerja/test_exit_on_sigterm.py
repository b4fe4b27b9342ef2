"""A program stopped by SIGTERM stops the servers it started (``kinerja.processes.exit_on_sigterm``).

The servers run in sessions of their own, so only the program's ``finally`` blocks stop them: by
default SIGTERM ended the program at once and left them running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

#: A program that starts a long-lived process as a server is started, then waits (in an event loop
#: with "asyncio", as the soak does), stopping its server in ``finally``.
PROGRAM = """
import asyncio, sys, time
from pathlib import Path
from kinerja.processes import exit_on_sigterm, spawn, terminate

exit_on_sigterm()
server = spawn([sys.executable, "-c", "import time; time.sleep(300)"], Path(sys.argv[1]))
try:
    print(server.pid, flush=True)  # inside the try: a SIGTERM right after it still reaches finally
    if sys.argv[2] == "asyncio":
        asyncio.run(asyncio.sleep(300))
    else:
        time.sleep(300)
finally:
    terminate(server, timeout=5)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("waits_in", ["sleep", "asyncio"])
def test_sigterm_stops_the_servers_the_program_started(tmp_path: Path, waits_in: str) -> None:
    program = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, str(tmp_path / "server.log"), waits_in],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert program.stdout is not None
    server_pid = int(program.stdout.readline())
    try:
        program.send_signal(signal.SIGTERM)
        assert program.wait(timeout=20) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 5
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(server_pid), "the server outlived the program stopped by SIGTERM"
    finally:
        if _alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
        program.kill()
