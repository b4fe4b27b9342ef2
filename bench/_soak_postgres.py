"""PostgreSQL's processes in the soak, by kind: the cores and private memory of each.

The server's processes are named from ``pg_stat_activity``: a client connection by its
``application_name`` (each service's pool sets its name), the others by ``backend_type``
(``autovacuum worker``, ``checkpointer``, ``walwriter``...); the postmaster is ``postmaster``. Per
window, each kind's cores and private memory (outside the main shared segment) and how many
processes it had: what a step in PostgreSQL's memory came from, and whose statements its CPU went to.
Which statements those were is ``bench._soak_statements``' part.
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
