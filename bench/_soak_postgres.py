"""PostgreSQL's part of the soak, split: its processes by kind and its statements by cost.

The server's processes are named from ``pg_stat_activity``: a client connection by its
``application_name`` (each service's pool sets its name), the others by ``backend_type``
(``autovacuum worker``, ``checkpointer``, ``walwriter``...); the postmaster is ``postmaster``. Per
window, each kind's cores and private memory (outside the main shared segment) and how many
processes it had: what a step in PostgreSQL's memory came from, and whose statements its CPU went to.

Its statements come from ``pg_stat_statements`` (loaded by the soak's own server,
``IsolatedPlatform(track_statements=True)``), reset when the stream starts and read when it ends:
the statements that took the most time, per call and per activity.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

POSTMASTER = "postmaster"
#: CPU of processes that ended during the window (counted in the postmaster's children times).
ENDED = "ended processes"
#: How many statements the report lists.
TOP_STATEMENTS = 12


#: The start of the next mapping's lines in ``/proc/<pid>/smaps`` (its address range).
_NEXT_MAPPING = re.compile(rb"\n[0-9a-f]+-[0-9a-f]+ ")
#: A mapping's private pages (the patterns start with a literal, which ``re`` scans for quickly).
_PRIVATE_KB = re.compile(rb"\nPrivate_(?:Clean|Dirty): +(\d+)")
#: PostgreSQL's main shared memory segment is an anonymous shared mapping, shown as /dev/zero.
_MAIN_SEGMENT_PATHS = (b"/dev/zero", b"/dev/zero (deleted)")


def _kb(text: bytes) -> int:
    return sum(int(kb) for kb in _PRIVATE_KB.findall(text)) * 1024


def private_outside_segment(smaps: bytes) -> tuple[int, int]:
    """A process's private bytes outside PostgreSQL's main segment, and the segment's size, from its
    ``/proc/<pid>/smaps``.

    Read by searches over the file's bytes rather than by psutil's ``memory_maps`` (a Python loop
    over its every line: ~1.7 ms a process, ~70 ms for a soak's server, twice at each window's end
    in a thread of the load generator's process, whose event loop waited for it).
    """
    private, segment = _kb(smaps), 0
    found = smaps.find(b" /dev/zero")
    while found >= 0:
        line_start = smaps.rfind(b"\n", 0, found) + 1
        line_end = smaps.find(b"\n", found)
        head = smaps[line_start:found].split()
        if head[1][3:4] == b"s" and smaps[found + 1 : line_end].strip() in _MAIN_SEGMENT_PATHS:
            low, high = head[0].split(b"-")
            segment = max(segment, int(high, 16) - int(low, 16))
            following = _NEXT_MAPPING.search(smaps, line_end)
            private -= _kb(smaps[line_end : following.start() if following else len(smaps)])
        found = smaps.find(b" /dev/zero", line_end)
    return private, segment


#: Processes PostgreSQL starts for a while and ends: an autovacuum worker (one table's vacuum or
#: analyze) and a query's parallel workers, named by their titles (``pg_stat_activity`` may not
#: list them yet).
TRANSIENT_KINDS = ("autovacuum worker", "parallel worker")


def title_kind(title: str) -> str | None:
    """The transient kind of a server process by the title PostgreSQL gives it, if it is one."""
    title = title.removeprefix("postgres: ")
    return next((kind for kind in TRANSIENT_KINDS if title.startswith(kind)), None)


@dataclass
class MemorySplit:
    """PostgreSQL's main shared segment and each process's private memory outside it, in bytes."""

    segment: int
    private: dict[int, int]
    #: The processes among them of a transient kind, by pid.
    transient: dict[int, str]


def postgres_memory_split(server: psutil.Process) -> MemorySplit:
    """The server's memory, process by process."""
    split = MemorySplit(0, {}, {})
    for member in [server, *server.children(recursive=True)]:
        with contextlib.suppress(psutil.Error, OSError):
            own, segment = private_outside_segment(Path(f"/proc/{member.pid}/smaps").read_bytes())
            split.segment = max(split.segment, segment)
            split.private[member.pid] = own
            kind = title_kind(" ".join(member.cmdline()))
            if kind is not None:
                split.transient[member.pid] = kind
    return split


async def process_kinds(engine: AsyncEngine) -> dict[int, str]:
    """Each server process's kind: a client's application name, else its backend type."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT pid, CASE WHEN backend_type = 'client backend' "
                    "THEN coalesce(nullif(application_name, ''), 'unnamed client') "
                    "ELSE backend_type END FROM pg_stat_activity"
                )
            )
        ).all()
    return {int(pid): str(kind) for pid, kind in rows}


#: A client connection's title: user, database, address(port), then what it does.
_CLIENT_TITLE = re.compile(r"postgres: \S+ \S+ [0-9a-f.:\[\]]+\(\d+\)")
#: A client connection opened after ``pg_stat_activity`` was read (it has no name there yet).
NEW_CLIENT = "client not yet named"


def kind_of_title(title: str) -> str:
    """A process started after ``pg_stat_activity`` was read, by the title PostgreSQL gives it."""
    return title_kind(title) or (NEW_CLIENT if _CLIENT_TITLE.match(title) else "other")


def _kind_by_title(pid: int) -> str:
    with contextlib.suppress(psutil.Error):
        return kind_of_title(" ".join(psutil.Process(pid).cmdline()))
    return "other"


@dataclass
class ProcessKinds:
    """One window's figures per kind of PostgreSQL process."""

    cores: dict[str, float]
    private_mb: dict[str, float]
    processes: dict[str, int]
    #: The largest process of each kind, MB: one connection grown, or all of a pool's alike.
    largest_mb: dict[str, float] = field(default_factory=dict)


class PostgresProcesses:
    """CPU and private memory of the server's processes by kind, window after window."""

    def __init__(self, server_pid: int) -> None:
        self._server = psutil.Process(server_pid)
        self._cpu: dict[int, float] = {}
        self._ended_cpu = self._children_cpu()
        for member in self._members():
            self._cpu[member.pid] = self._cpu_of(member)

    def _members(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return [self._server, *self._server.children(recursive=True)]
        return []

    @staticmethod
    def _cpu_of(process: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            return float(times.user + times.system)
        return 0.0

    def _children_cpu(self) -> float:
        with contextlib.suppress(psutil.Error):
            times = self._server.cpu_times()
            return float(times.children_user + times.children_system)
        return 0.0

    def window(self, kinds: dict[int, str], seconds: float) -> ProcessKinds:
        """The window since the last call: cores, private MB and process count per kind."""
        kinds = kinds | {self._server.pid: POSTMASTER}
        cpu: dict[str, float] = {}
        now: dict[int, float] = {}
        for member in self._members():
            used = self._cpu_of(member)
            now[member.pid] = used
            kind = kinds.get(member.pid) or kinds.setdefault(member.pid, _kind_by_title(member.pid))
            cpu[kind] = cpu.get(kind, 0.0) + used - self._cpu.get(member.pid, 0.0)
        ended = self._children_cpu()
        cpu[ENDED] = ended - self._ended_cpu
        self._cpu, self._ended_cpu = now, ended
        split = postgres_memory_split(self._server)
        memory: dict[str, float] = {}
        largest: dict[str, float] = {}
        count: Counter[str] = Counter()
        for pid, size in split.private.items():
            kind = split.transient.get(pid) or kinds.get(pid) or _kind_by_title(pid)
            memory[kind] = memory.get(kind, 0.0) + size / 2**20
            largest[kind] = max(largest.get(kind, 0.0), size / 2**20)
            count[kind] += 1
        return ProcessKinds(
            cores={kind: used / seconds for kind, used in cpu.items()},
            private_mb=memory,
            processes=dict(count),
            largest_mb=largest,
        )


@dataclass
class Statement:
    """One statement's totals over the stream (``pg_stat_statements``)."""

    query: str
    calls: int
    total_ms: float
    rows: int
    wal_bytes: int
    #: ``pg_stat_statements``' id of the statement (its text in one schema, for one role).
    queryid: int = 0


async def reset_statements(engine: AsyncEngine) -> bool:
    """Start counting statements afresh; False when ``pg_stat_statements`` is not loaded."""
    async with engine.connect() as connection:
        loaded = await connection.scalar(
            text(
                "SELECT 'pg_stat_statements' = ANY(string_to_array("
                "current_setting('shared_preload_libraries'), ','))"
            )
        )
        if not loaded:
            return False
        await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        await connection.execute(text("SELECT pg_stat_statements_reset()"))
        await connection.commit()
    return True


async def sessions_so_far(engine: AsyncEngine) -> int:
    """Connections opened to the database since the server started (``pg_stat_database``)."""
    async with engine.connect() as connection:
        return int(
            await connection.scalar(
                text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            )
            or 0
        )


async def read_statements(engine: AsyncEngine) -> list[Statement]:
    """Every statement counted since the reset, the costliest first (the same text in several
    schemas is one entry per schema: each service runs the shared outbox's statements on its own)."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT query, calls, total_exec_time + total_plan_time, rows, wal_bytes, queryid "
                    "FROM pg_stat_statements ORDER BY 3 DESC"
                )
            )
        ).all()
    return [
        Statement(
            query=re.sub(r"\s+", " ", query).strip(),
            calls=int(calls),
            total_ms=float(total_ms),
            rows=int(rows_),
            wal_bytes=int(wal),
            queryid=int(queryid or 0),
        )
        for query, calls, total_ms, rows_, wal, queryid in rows
    ]


@dataclass
class TableUpkeep:
    """Autovacuum's and autoanalyze's runs on one table over the stream, and their time."""

    table: str
    vacuums: int
    vacuum_ms: float
    analyzes: int
    analyze_ms: float


_UPKEEP = text(
    "SELECT schemaname || '.' || relname, autovacuum_count, total_autovacuum_time, "
    "autoanalyze_count, total_autoanalyze_time FROM pg_stat_user_tables"
)


async def upkeep_totals(engine: AsyncEngine) -> dict[str, TableUpkeep]:
    """Each table's autovacuum and autoanalyze runs and time so far."""
    async with engine.connect() as connection:
        rows = (await connection.execute(_UPKEEP)).all()
    return {
        str(row[0]): TableUpkeep(str(row[0]), int(row[1]), float(row[2]), int(row[3]), float(row[4]))
        for row in rows
    }


def upkeep_between(before: dict[str, TableUpkeep], after: dict[str, TableUpkeep]) -> list[TableUpkeep]:
    """What autovacuum did to each table between two readings, the costliest first."""
    done = []
    for name, end in after.items():
        start = before.get(name, TableUpkeep(name, 0, 0.0, 0, 0.0))
        done.append(
            TableUpkeep(
                name,
                end.vacuums - start.vacuums,
                end.vacuum_ms - start.vacuum_ms,
                end.analyzes - start.analyzes,
                end.analyze_ms - start.analyze_ms,
            )
        )
    return sorted(
        (t for t in done if t.vacuums or t.analyzes), key=lambda t: t.vacuum_ms + t.analyze_ms, reverse=True
    )


def render_upkeep(tables: list[TableUpkeep], activities: int) -> list[str]:
    """Autovacuum's work by table over the stream: runs, and time per activity."""
    if not tables:
        return []
    per = max(activities, 1)
    lines = [
        "",
        "autovacuum over the stream, by table (time is the workers' own, waits included):",
        f"{'table':<36} {'vacuums':>8} {'µs/activity':>11} {'analyzes':>9} {'µs/activity':>11}",
    ]
    for t in tables[:TOP_STATEMENTS]:
        lines.append(
            f"{t.table[:35]:<36} {t.vacuums:>8,} {t.vacuum_ms * 1000 / per:>11,.1f} "
            f"{t.analyzes:>9,} {t.analyze_ms * 1000 / per:>11,.1f}"
        )
    return lines


def render_statements(statements: list[Statement], activities: int, sessions: int) -> list[str]:
    """The costliest statements: time per call and per activity, the rows and WAL they wrote; and
    how many connections the services opened meanwhile (each a new server process)."""
    if not statements:
        return []
    total_ms = sum(s.total_ms for s in statements)
    per = max(activities, 1)
    lines = [
        "",
        f"PostgreSQL's statements over the stream (pg_stat_statements; time is the statements' own, "
        f"waits included): {total_ms / 1000:,.1f} s in {sum(s.calls for s in statements):,} calls, "
        f"{total_ms * 1000 / per:,.0f} µs and {sum(s.wal_bytes for s in statements) / per:,.0f} WAL bytes "
        f"an activity; connections opened meanwhile: {sessions:,}; the costliest:",
        f"{'µs/activity':>11} {'share':>6} {'calls':>10} {'µs/call':>8} {'rows/call':>9} "
        f"{'WAL B/call':>10}  statement",
    ]
    for s in statements[:TOP_STATEMENTS]:
        calls = max(s.calls, 1)
        query = s.query if len(s.query) <= 110 else s.query[:107] + "..."
        lines.append(
            f"{s.total_ms * 1000 / per:>11,.1f} {s.total_ms / max(total_ms, 1e-9):>6.1%} {s.calls:>10,} "
            f"{s.total_ms * 1000 / calls:>8,.0f} {s.rows / calls:>9,.1f} "
            f"{s.wal_bytes / calls:>10,.0f}  {query}"
        )
    return lines


def render_kinds(windows: list[tuple[int, ProcessKinds]]) -> list[str]:
    """Each kind of PostgreSQL process a row, each window a column: cores used, then private memory
    (MB, and how many processes) at the window's end, then the largest process of each kind that
    had several (a pool's processes grown alike, or one of them)."""
    if not windows:
        return []
    cores: Counter[str] = Counter()
    for _, kinds in windows:
        cores.update(kinds.cores)
        cores.update(dict.fromkeys(kinds.private_mb, 0.0))
    names = [name for name, _ in cores.most_common()]
    header = f"{'kind':<28}" + "".join(f"{number:>11}" for number, _ in windows)
    lines = ["", "PostgreSQL's processes by kind (a client by its application name), cores used per window:"]
    lines.append(header)
    for name in names:
        lines.append(
            f"{name[:27]:<28}" + "".join(f"{kinds.cores.get(name, 0.0):>11.3f}" for _, kinds in windows)
        )
    lines += [
        "",
        "PostgreSQL's processes by kind, private memory at each window's end, MB (processes):",
        header,
    ]
    for name in names:
        cells = (
            f"{kinds.private_mb[name]:>6.1f} ({kinds.processes[name]:>2})"
            if name in kinds.private_mb
            else f"{'':>11}"
            for _, kinds in windows
        )
        lines.append(f"{name[:27]:<28}" + "".join(cells))
    pooled = [name for name in names if any(kinds.processes.get(name, 0) > 1 for _, kinds in windows)]
    lines += ["", "PostgreSQL's processes by kind, the largest one's private memory, MB:", header]
    for name in pooled:
        lines.append(
            f"{name[:27]:<28}"
            + "".join(
                f"{kinds.largest_mb[name]:>11.1f}" if name in kinds.largest_mb else f"{'':>11}"
                for _, kinds in windows
            )
        )
    return lines
