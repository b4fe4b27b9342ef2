"""``kinerja replay``'s worker processes: all started with the pool, before any job needs one."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from kinerja.replay.workers import worker_pool


def test_every_worker_process_starts_with_the_pool() -> None:
    before = {process.pid for process in multiprocessing.active_children()}
    pool = worker_pool("scoring", 2)
    assert pool is not None
    try:
        # No job was given yet: a pool alone would start its processes one job at a time.
        started = {process.pid for process in multiprocessing.active_children()} - before
        assert len(started) == 2
    finally:
        pool.shutdown()


#: What a worker process imports (the fork server's preload) and builds (``_prepare``), then lists
#: the web stack's and the migrations' packages among its modules.
_WORKER_IMPORTS = """
import sys
from kinerja.replay.workers import _prepare
from kinerja.services import bootstrap_module
bootstrap_module("scoring")
_prepare("scoring")
packages = {name.partition(".")[0] for name in sys.modules}
print(sorted(packages & {"fastapi", "starlette", "uvicorn", "alembic"}))
"""


def test_a_worker_imports_no_web_stack_nor_migrations() -> None:
    """A worker applies events and refreshes views: FastAPI, the routes' models and alembic were
    about half of what the fork server imported before the workers could start."""
    listed = subprocess.run(
        [sys.executable, "-c", _WORKER_IMPORTS], capture_output=True, text=True, check=True, timeout=120
    )
    assert listed.stdout.strip() == "[]"


#: What the fork server does before it forks a worker: import its preload, in order; then what the
#: collector still tracks (walks at each full collection) and what it no longer does.
_FORK_SERVER_IMPORTS = """
import gc
from kinerja.replay.workers import fork_server_preload
for name in fork_server_preload("scoring"):
    __import__(name)
print(len(gc.get_objects()), gc.get_freeze_count())
"""


def test_a_worker_is_forked_with_the_fork_servers_imports_frozen() -> None:
    """Each worker settled the collector over the fork server's imports itself (~115,000 objects
    walked and written to, ~9,400 pages copied a worker) while the first phase waited for it."""
    listed = subprocess.run(
        [sys.executable, "-c", _FORK_SERVER_IMPORTS], capture_output=True, text=True, check=True, timeout=120
    )
    tracked, frozen = map(int, listed.stdout.split())
    assert frozen > 50_000
    assert tracked < frozen / 20


#: The fork server's preload without its last module, then the collector's full collections while
#: that one is imported.
_PRELOAD_COLLECTIONS = """
import gc
from kinerja.replay.workers import fork_server_preload
*imports, last = fork_server_preload("scoring")
for name in imports:
    __import__(name)
before = gc.get_stats()[2]["collections"]
__import__(last)
print(gc.get_stats()[2]["collections"] - before, gc.get_freeze_count())
"""


def test_the_fork_server_freezes_its_imports_without_walking_them() -> None:
    """A full collection there walked ~115,000 objects to free ~26: ~80 ms of CPU on the critical
    path (the replay waits for the fork server before its first job)."""
    listed = subprocess.run(
        [sys.executable, "-c", _PRELOAD_COLLECTIONS], capture_output=True, text=True, check=True, timeout=120
    )
    collections, frozen = map(int, listed.stdout.split())
    assert collections == 0
    assert frozen > 50_000


def test_one_worker_is_this_process() -> None:
    assert worker_pool("scoring", 1) is None


def _signals_seen() -> tuple[object, int]:
    """In a worker: its Ctrl-C handler, and the fd signals were written to before (now none)."""
    return signal.getsignal(signal.SIGINT), signal.set_wakeup_fd(-1)


def test_a_worker_handles_signals_as_a_new_process() -> None:
    """A worker must not inherit this process's event loop's signal handling: its Ctrl-C
    handler (the loop's, which never runs there) and the loop's pipe signals are written to."""
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    handler = signal.signal(signal.SIGINT, lambda *_: None)
    wakeup = signal.set_wakeup_fd(writer.fileno())
    try:
        pool = worker_pool("scoring", 2)
        assert pool is not None
        try:
            assert pool.submit(_signals_seen).result(timeout=60) == (signal.default_int_handler, -1)
        finally:
            pool.shutdown()
    finally:
        signal.set_wakeup_fd(wakeup)
        signal.signal(signal.SIGINT, handler)
        reader.close()
        writer.close()


#: A lock some thread of the replay's process holds while the workers start.
_HELD = threading.Lock()


def _lock_taken() -> bool:
    """In a worker: whether it can take the lock (a forked one inherits it held, and waits)."""
    taken = _HELD.acquire(timeout=5)
    if taken:
        _HELD.release()
    return taken


def test_a_lock_another_thread_holds_does_not_hold_a_worker() -> None:
    """The replay's process may have threads when it starts its workers (asyncio's executor, the
    broker clients): a worker forked while one of them held a lock would wait for it forever."""
    release = threading.Event()

    def hold() -> None:
        with _HELD:
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        while not _HELD.locked():
            time.sleep(0.01)
        pool = worker_pool("scoring", 2)
        assert pool is not None
        try:
            assert pool.submit(_lock_taken).result(timeout=60)
        finally:
            pool.shutdown()
    finally:
        release.set()
        holder.join()


def test_a_worker_reads_the_environment_as_this_process_has_it_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork server lives as long as this process: a later replay's workers, forked from it, must
    still read the settings this process has then."""
    for value in ("first", "second"):
        monkeypatch.setenv("KINERJA_REPLAY_TEST_VALUE", value)
        pool = worker_pool("scoring", 2)
        assert pool is not None
        try:
            assert pool.submit(os.getenv, "KINERJA_REPLAY_TEST_VALUE").result(timeout=60) == value
        finally:
            pool.shutdown()
