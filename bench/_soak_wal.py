"""What PostgreSQL wrote and read in each window of the soak: WAL, checkpoints, evictions, autovacuum.

A checkpoint makes the first change of every page after it write the whole page to the WAL (a
full-page image); the WAL buffers filling makes a backend write WAL itself before it may go on; a
backend that needs a buffer and finds only dirty ones writes one out first, and a page evicted is
read again from the kernel when it is next needed; autovacuum works beside the services. Each
window's counters, beside its latencies, say which of them came with a spike. The checkpoints' own
lines from the server's log say when each began and ended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

#: One row of cumulative counters (PostgreSQL 18's views).
_COUNTERS = text(
    "SELECT w.wal_bytes, w.wal_fpi, w.wal_buffers_full, c.num_timed, c.num_requested, c.num_done, "
    "c.buffers_written, "
    "(SELECT coalesce(sum(writes), 0) FROM pg_stat_io WHERE object = 'relation' AND context = 'normal' "
    "AND backend_type NOT IN ('checkpointer', 'background writer')), "
    "(SELECT coalesce(sum(writes), 0) FROM pg_stat_io WHERE object = 'relation' AND context <> 'normal'), "
    "(SELECT coalesce(sum(evictions), 0) FROM pg_stat_io WHERE object = 'relation' AND context = 'normal'), "
    "(SELECT coalesce(sum(reads), 0) FROM pg_stat_io WHERE object = 'relation'), "
    "(SELECT coalesce(sum(writes), 0) FROM pg_stat_io WHERE backend_type = 'background writer'), "
    "(SELECT coalesce(sum(fsyncs), 0) FROM pg_stat_io WHERE object = 'wal'), "
    "(SELECT sum(autovacuum_count) FROM pg_stat_user_tables), "
    "(SELECT sum(autoanalyze_count) FROM pg_stat_user_tables), "
    "(SELECT sum(total_autovacuum_time + total_autoanalyze_time) FROM pg_stat_user_tables) "
    "FROM pg_stat_wal w, pg_stat_checkpointer c"
)


@dataclass(frozen=True)
class ServerCounters:
    """PostgreSQL's cumulative counters at one moment; their difference is a window's figures."""

    wal_bytes: int = 0
    #: Full-page images written to the WAL.
    fpi: int = 0
    #: Times a backend found the WAL buffers full and wrote WAL itself.
    wal_buffers_full: int = 0
    checkpoints_timed: int = 0
    checkpoints_requested: int = 0
    checkpoints_done: int = 0
    checkpoint_buffers: int = 0
    #: Dirty pages the services' backends and autovacuum wrote to free a shared buffer for another.
    backend_writes: int = 0
    #: Dirty pages written to reuse a bulk operation's small ring of buffers (vacuum's, a bulk read's
    #: or write's): the operation's own churn, whatever the size of the shared buffers.
    ring_writes: int = 0
    #: Shared buffers given to another page (clean or dirty): the buffer cache too small for what
    #: is read and written.
    evictions: int = 0
    #: Pages read into shared buffers from the kernel (its page cache, or the disk).
    reads: int = 0
    bgwriter_writes: int = 0
    wal_fsyncs: int = 0
    vacuums: int = 0
    analyzes: int = 0
    upkeep_ms: float = 0.0

    def since(self, before: ServerCounters) -> ServerCounters:
        """What happened between ``before`` and this reading."""
        return ServerCounters(
            **{f.name: getattr(self, f.name) - getattr(before, f.name) for f in fields(ServerCounters)}
        )


async def server_counters(engine: AsyncEngine) -> ServerCounters:
    """The counters now (``pg_stat_wal``, ``pg_stat_checkpointer``, ``pg_stat_io``, autovacuum's)."""
    async with engine.connect() as connection:
        row = (await connection.execute(_COUNTERS)).one()
    *counts, upkeep_ms = (0 if value is None else value for value in row)
    counters = [f.name for f in fields(ServerCounters)][: len(counts)]  # all but upkeep_ms
    return ServerCounters(
        **{name: int(count) for name, count in zip(counters, counts, strict=True)},
        upkeep_ms=float(upkeep_ms),
    )


def render_server(windows: list[tuple[int, int, ServerCounters]]) -> list[str]:
    """Each window's WAL, checkpoints, writes and autovacuum (``(number, activities, figures)``)."""
    if not windows:
        return []
    lines = [
        "",
        "PostgreSQL's writes and reads per window (full-page images: a page's first change after a "
        "checkpoint began; buffers full: a backend wrote WAL itself; evictions: shared buffers given to "
        "another page; evicted dirty: of them, dirty pages the services' backends and autovacuum wrote "
        "out first; ring writes: vacuum's and bulk operations' own small rings; reads: pages read from "
        "the kernel; checkpoints begun by time+request / done):",
        f"{'win':>3} {'WAL MB':>7} {'KB/activity':>11} {'full pages':>10} {'buffers full':>12} "
        f"{'WAL fsyncs':>10} {'checkpoints':>11} {'ckpt pages':>10} {'bgwriter':>8} {'evictions':>9} "
        f"{'evicted dirty':>13} {'ring writes':>11} {'reads':>8} {'vacuums':>7} {'analyzes':>8} "
        f"{'autovacuum s':>12}",
    ]
    for number, activities, s in windows:
        begun = f"{s.checkpoints_timed}+{s.checkpoints_requested}/{s.checkpoints_done}"
        lines.append(
            f"{number:>3} {s.wal_bytes / 2**20:>7,.0f} {s.wal_bytes / 1024 / max(activities, 1):>11.2f} "
            f"{s.fpi:>10,} {s.wal_buffers_full:>12,} {s.wal_fsyncs:>10,} {begun:>11} "
            f"{s.checkpoint_buffers:>10,} {s.bgwriter_writes:>8,} {s.evictions:>9,} {s.backend_writes:>13,} "
            f"{s.ring_writes:>11,} {s.reads:>8,} {s.vacuums:>7,} {s.analyzes:>8,} {s.upkeep_ms / 1000:>12.1f}"
        )
    return lines


#: A checkpoint's lines in the server's log (``log_checkpoints`` is on by default): its start and why,
#: and its end with what it wrote and how long it took.
_CHECKPOINT_LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+)"
    r".*?LOG:\s+(?P<what>checkpoint (?:starting|complete).*)$"
)


def checkpoint_lines(log_path: Path, stream_started: datetime) -> list[str]:
    """The server log's checkpoint lines, each with its second from the stream's start."""
    if not log_path.exists():
        return []
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        match = _CHECKPOINT_LINE.match(line)
        if match is None:
            continue
        moment, zone = match["at"].rsplit(" ", 1)
        at = datetime.strptime(moment, "%Y-%m-%d %H:%M:%S.%f")
        # The server logs in its ``log_timezone``: the machine's zone, which ``initdb`` found.
        at = at.replace(tzinfo=UTC) if zone in ("UTC", "GMT") else at.astimezone()
        offset = (at - stream_started).total_seconds()
        found.append(f"  {offset:>+7.0f} s  {match['what'][:150]}")
    return ["", "checkpoints in PostgreSQL's log, from the stream's start:", *found] if found else []
