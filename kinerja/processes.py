"""Starting, watching and stopping the embedded servers' processes (PostgreSQL, Redis, the broker)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

READY_TIMEOUT_SECONDS = 30.0

T = TypeVar("T")


def free_port() -> int:
    """A TCP port nobody listens on right now (for test runs beside a running platform)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on the port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def exit_on_sigterm() -> None:
    """End this program on SIGTERM as on Ctrl-C, by an exception, so that its ``finally`` blocks stop
    the servers it started.

    They run in sessions of their own (``spawn``), which a signal to this program's group does not
    reach, and by default SIGTERM ends a Python program at once: a benchmark or campaign stopped by
    ``timeout`` or ``kill`` left its PostgreSQL, Redis and Kafka running, each holding memory and
    the cores of whatever ran next.
    """
    signal.signal(signal.SIGTERM, _exit_by_signal)


def _exit_by_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # the shell's status for a program ended by that signal


def spawn(argv: list[str], log_path: Path, *, user: str | None = None) -> subprocess.Popen[bytes]:
    """Start a server with its output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=user,
            # Own session: a Ctrl-C reaches the supervisor, which stops servers after the services.
            start_new_session=True,
        )


def wait_for_port(
    port: int,
    process: subprocess.Popen[bytes],
    what: str,
    log_path: Path,
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Wait until the process listens on the port; fail early if it exits."""
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not listen on port {port} within {timeout}s; see {log_path}")
        time.sleep(0.1)


def terminate(
    process: subprocess.Popen[bytes] | None, *, stop_signal: int = signal.SIGINT, timeout: float = 15.0
) -> None:
    """Ask the process to stop cleanly, and kill it if it has not after ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, even code called inside an event loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()
