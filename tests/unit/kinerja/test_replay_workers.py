"""``kinerja replay``'s worker processes: all started with the pool, before any job needs one."""

from __future__ import annotations

import multiprocessing

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
