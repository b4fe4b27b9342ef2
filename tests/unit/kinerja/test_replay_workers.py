"""``kinerja replay``'s worker processes: all started with the pool, before any job needs one."""

from __future__ import annotations

import multiprocessing
import signal
import socket

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


def test_one_worker_is_this_process() -> None:
    assert worker_pool("scoring", 1) is None


def _signals_seen() -> tuple[object, int]:
    """In a worker: its Ctrl-C handler, and the fd signals were written to before (now none)."""
    return signal.getsignal(signal.SIGINT), signal.set_wakeup_fd(-1)


def test_a_worker_handles_signals_as_a_new_process() -> None:
    """A forked worker must not inherit this process's event loop's signal handling: its Ctrl-C
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
