"""The soak's per-window diagnosis: the checkpoints from PostgreSQL's log, placed on the stream's
clock, and each process's garbage collector pauses from its histogram."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

from bench._soak_wal import ServerCounters, checkpoint_lines, render_server
from bench._soak_watch import Cumulative, GcPauses


def test_checkpoints_are_read_from_the_log_with_their_second_in_the_stream(tmp_path: Path) -> None:
    log = tmp_path / "postgres.log"
    log.write_text(
        "2026-12-04 03:20:01.250 UTC [812] LOG:  database system is ready to accept connections\n"
        "2026-12-04 03:25:31.500 UTC [815] LOG:  checkpoint starting: wal\n"
        "2026-12-04 03:27:02.000 UTC [815] LOG:  checkpoint complete: wrote 4003 buffers (24.4%); "
        "write=80.1 s, sync=0.2 s, total=90.5 s\n"
    )
    lines = checkpoint_lines(log, datetime(2026, 12, 4, 3, 21, 0, tzinfo=UTC))
    assert lines[2:] == [
        "     +272 s  checkpoint starting: wal",
        "     +362 s  checkpoint complete: wrote 4003 buffers (24.4%); "
        "write=80.1 s, sync=0.2 s, total=90.5 s",
    ]
    assert checkpoint_lines(tmp_path / "absent.log", datetime.now(UTC)) == []


def test_a_window_of_server_counters_is_their_difference() -> None:
    before = ServerCounters(wal_bytes=1000, fpi=3, checkpoints_requested=1, upkeep_ms=10.0)
    after = ServerCounters(wal_bytes=5000, fpi=10, checkpoints_requested=2, upkeep_ms=12.5)
    window = after.since(before)
    assert (window.wal_bytes, window.fpi, window.checkpoints_requested, window.upkeep_ms) == (4000, 7, 1, 2.5)


def _pauses(counts: dict[float, float], total: float) -> Cumulative:
    return Cumulative(buckets=counts, total=total)


def test_gc_pauses_of_a_window_count_each_generation_and_bound_the_longest() -> None:
    before = {
        "0": _pauses({0.001: 10, 0.01: 10, 0.1: 10, math.inf: 10}, 0.005),
        "2": _pauses({0.001: 0, 0.01: 0, 0.1: 1, math.inf: 1}, 0.05),
    }
    after = {
        "0": _pauses({0.001: 30, 0.01: 31, 0.1: 31, math.inf: 31}, 0.020),
        "1": _pauses({0.001: 0, 0.01: 2, 0.1: 2, math.inf: 2}, 0.008),
        "2": _pauses({0.001: 0, 0.01: 0, 0.1: 2, math.inf: 2}, 0.12),
    }
    window = GcPauses.between(before, after)
    assert (window.middle, window.full) == (2, 1)
    assert math.isclose(window.paused_ms, 15 + 8 + 70)
    assert window.longest_ms == 100  # the full collection's bucket
    assert GcPauses.between(after, after) == GcPauses(0.0, 0, 0, 0.0)


def test_a_window_tells_evictions_from_bulk_rings_and_reads() -> None:
    window = ServerCounters(evictions=900, backend_writes=400, ring_writes=70, reads=1200)
    header, row = render_server([(4, 1000, window)])[2:]

    def under(label: str) -> str:  # the right-aligned figure under a column's label
        return row[: header.index(label) + len(label)].split()[-1]

    assert [under(label) for label in ("evictions", "evicted dirty", "ring writes", "reads")] == [
        "900",
        "400",
        "70",
        "1,200",
    ]
