"""PostgreSQL's statements and autovacuum in the soak: what cost an activity, and what grew.

The statements come from ``pg_stat_statements`` (loaded by the soak's own server,
``IsolatedPlatform(track_statements=True)``), reset when the stream starts and read when it ends:
the statements that took the most time, per call and per activity; autovacuum's runs and time by
table come from ``pg_stat_user_tables``.

``pg_stat_statements`` is also read at every window's end (each statement's time, calls, shared
buffers and WAL so far, by its id); the report lists the stream's costliest statements with their
time an activity in each window, and every statement's together, then their buffers and WAL bytes a
call in each window: counts that the machine's load does not move, unlike the times. A statement
whose time an activity grows while the others' stay flat is what the later windows' slowdown is made
of: with its buffers a call growing, more work (an index a level deeper, a queue's dead entries, a
plan gone stale); with them flat, waits or caches missed (random keys' pages outgrowing the CPU's).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

#: How many statements (and tables) the report lists.
TOP_STATEMENTS = 12


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


#: How many of the stream's costliest statements are followed window by window.
WINDOWED_STATEMENTS = 10


@dataclass
class Counted:
    """One statement's counters so far: time (ms), calls, shared buffers used (hit or read) and WAL
    bytes. Buffers and WAL a call do not depend on the machine's load: a statement whose buffers a
    call grow with its table does more work, one whose time grows alone waits or misses caches."""

    ms: float = 0.0
    calls: int = 0
    buffers: int = 0
    wal_bytes: int = 0

    def add(self, other: Counted) -> Counted:
        return Counted(
            self.ms + other.ms,
            self.calls + other.calls,
            self.buffers + other.buffers,
            self.wal_bytes + other.wal_bytes,
        )


#: A window's end: its number, the activities sent in it, and each statement's counters so far by id.
Snapshot = tuple[int, int, dict[int, Counted]]


async def statement_times(engine: AsyncEngine) -> dict[int, Counted]:
    """Each statement's counters so far (time: execution and planning), by its ``queryid``."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT queryid, total_exec_time + total_plan_time, calls, "
                    "shared_blks_hit + shared_blks_read, wal_bytes FROM pg_stat_statements"
                )
            )
        ).all()
    counted: dict[int, Counted] = {}
    for queryid, total_ms, calls, buffers, wal in rows:  # one entry per role and database: summed
        key = int(queryid or 0)
        counted[key] = counted.get(key, Counted()).add(
            Counted(float(total_ms), int(calls), int(buffers), int(wal))
        )
    return counted


def _total(counted: dict[int, Counted], queryid: int | None) -> Counted:
    if queryid is not None:
        return counted.get(queryid, Counted())
    every = Counted()
    for one in counted.values():
        every = every.add(one)
    return every


def per_window(snapshots: list[Snapshot], queryid: int | None) -> list[float]:
    """A statement's µs an activity in each window (``None``: every statement's together)."""
    figures, before = [], 0.0
    for _, activities, counted in snapshots:
        now = _total(counted, queryid).ms
        figures.append((now - before) * 1000 / activities if activities else math.nan)
        before = now
    return figures


def per_call_per_window(snapshots: list[Snapshot], queryid: int | None) -> list[tuple[float, float]]:
    """A statement's shared buffers and WAL bytes a call in each window."""
    figures, before = [], Counted()
    for _, _, counted in snapshots:
        now = _total(counted, queryid)
        calls = now.calls - before.calls
        figures.append(
            ((now.buffers - before.buffers) / calls, (now.wal_bytes - before.wal_bytes) / calls)
            if calls
            else (math.nan, math.nan)
        )
        before = now
    return figures


def render_statement_windows(statements: list[Statement], snapshots: list[Snapshot]) -> list[str]:
    """The stream's costliest statements, a row each, with their µs an activity per window."""
    if not statements or not snapshots:
        return []
    header = f"{'statement':<48}" + "".join(f"{number:>8}" for number, _, _ in snapshots)
    lines = [
        "",
        "PostgreSQL's statements per window, µs an activity (the stream's costliest; all: every statement):",
        header,
    ]
    rows = [("all", per_window(snapshots, None))]
    rows += [(s.query, per_window(snapshots, s.queryid)) for s in statements[:WINDOWED_STATEMENTS]]
    for query, figures in rows:
        lines.append(f"{_label(query)}" + "".join(f"{figure:>8,.1f}" for figure in figures))
    lines += [
        "",
        "the same statements' work a call per window, shared buffers (hit or read) / WAL bytes "
        "(counts, not times: the same whatever the machine's load):",
        f"{'statement':<48}" + "".join(f"{number:>12}" for number, _, _ in snapshots),
    ]
    for statement in statements[:WINDOWED_STATEMENTS]:
        cells = (
            f"{buffers:,.0f}/{wal:,.0f}" if not math.isnan(buffers) else "-"
            for buffers, wal in per_call_per_window(snapshots, statement.queryid)
        )
        lines.append(f"{_label(statement.query)}" + "".join(f"{cell:>12}" for cell in cells))
    return lines


def _label(query: str) -> str:
    return f"{query if len(query) <= 47 else query[:44] + '...':<48}"
