"""The soak names PostgreSQL's processes that ``pg_stat_activity`` did not list by their titles:
what came and went at a window's end (a step in the server's memory) is told apart; and it counts
each process's private memory outside the main shared segment."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psutil

from bench._soak_postgres import NEW_CLIENT, kind_of_title, private_outside_segment, title_kind


def test_autovacuum_and_parallel_workers_are_told_by_their_title() -> None:
    assert title_kind("postgres: autovacuum worker kinerja") == "autovacuum worker"
    assert title_kind("postgres: parallel worker for PID 4242") == "parallel worker"
    assert title_kind("postgres: kinerja_service kinerja 127.0.0.1(51234) idle") is None
    assert title_kind("postgres: checkpointer") is None
    assert title_kind("postgres: autovacuum launcher") is None


def test_a_process_started_since_the_activity_view_was_read_is_named_by_its_title() -> None:
    assert kind_of_title("postgres: kinerja_service kinerja 127.0.0.1(51234) idle") == NEW_CLIENT
    assert kind_of_title("postgres: kinerja_service kinerja 127.0.0.1(51234) authentication") == NEW_CLIENT
    assert kind_of_title("postgres: autovacuum worker kinerja") == "autovacuum worker"
    assert kind_of_title("postgres: logger") == "other"


def _mapping(head: str, private_clean: int, private_dirty: int) -> str:
    return (
        f"{head}\nSize:               64 kB\nRss:                 {private_clean + private_dirty} kB\n"
        f"Shared_Clean:          4 kB\nPrivate_Clean:       {private_clean} kB\n"
        f"Private_Dirty:       {private_dirty} kB\nPrivate_Hugetlb:       7 kB\nVmFlags: rd wr mr mw me\n"
    )


def test_the_main_segment_is_left_out_of_a_process_private_memory_and_sized() -> None:
    smaps = (
        _mapping("7f0000000000-7f0040000000 rw-s 00000000 00:01 1042    /dev/zero (deleted)", 8, 4)
        + _mapping("55d000000000-55d000100000 rw-p 00000000 00:00 0       [heap]", 100, 20)
        + _mapping("7f0050000000-7f0050010000 rw-p 00000000 00:01 7       /dev/zero", 3, 0)
        + _mapping("7f0060000000-7f0060010000 rw-s 00000000 00:19 9       /dev/shm/PostgreSQL.1", 0, 16)
        + _mapping("7f0070000000-7f0070010000 r-xp 00000000 fe:00 5       /usr/lib/libc.so.6", 2, 0)
    )
    private, segment = private_outside_segment(smaps.encode())
    assert segment == 0x40000000
    assert private == (120 + 3 + 16 + 2) * 1024


def test_a_process_private_memory_is_what_psutil_counts() -> None:
    with subprocess.Popen(["sleep", "30"]) as idle:
        try:
            process = psutil.Process(idle.pid)
            # Until the loader has mapped and relocated sleep's libraries its memory still moves
            # (on a loaded machine for a while): compare once two of psutil's readings agree.
            deadline = time.monotonic() + 10
            while True:
                before = _psutil_private(process)
                private, segment = private_outside_segment(Path(f"/proc/{idle.pid}/smaps").read_bytes())
                if _psutil_private(process) == before or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        finally:
            idle.kill()
    assert (private, segment) == (before, 0)


def _psutil_private(process: psutil.Process) -> int:
    return sum(m.private_clean + m.private_dirty for m in process.memory_maps(grouped=False))
