"""PostgreSQL's statements window by window: which of them cost an activity more as the stream went on.

``pg_stat_statements`` is read at every window's end (each statement's time so far, by its id); the
report lists the stream's costliest statements with their time an activity in each window, and
every statement's together. A statement whose time an activity grows while the others' stay flat
is what the later windows' slowdown is made of (a table or index outgrowing the buffer cache, a
queue's dead entries, a plan gone stale).
"""

from __future__ import annotations

import math

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._soak_postgres import Statement

#: How many of the stream's costliest statements are followed window by window.
WINDOWED_STATEMENTS = 10

#: A window's end: its number, the activities sent in it, and each statement's time so far (ms) by id.
Snapshot = tuple[int, int, dict[int, float]]


async def statement_times(engine: AsyncEngine) -> dict[int, float]:
    """Each statement's time so far (execution and planning, ms), by its ``queryid``."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT queryid, total_exec_time + total_plan_time FROM pg_stat_statements")
            )
        ).all()
    times: dict[int, float] = {}
    for queryid, total_ms in rows:  # one entry per role and database: summed
        times[int(queryid or 0)] = times.get(int(queryid or 0), 0.0) + float(total_ms)
    return times


def per_window(snapshots: list[Snapshot], queryid: int | None) -> list[float]:
    """A statement's µs an activity in each window (``None``: every statement's together)."""
    figures, before = [], 0.0
    for _, activities, times in snapshots:
        now = sum(times.values()) if queryid is None else times.get(queryid, 0.0)
        figures.append((now - before) * 1000 / activities if activities else math.nan)
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
        label = query if len(query) <= 47 else query[:44] + "..."
        lines.append(f"{label:<48}" + "".join(f"{figure:>8,.1f}" for figure in figures))
    return lines
