"""Progress displays of ``kinerja simulate``: rich's bar when installed, else one line, or none."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol


class Progress(Protocol):
    """A progress display: rich's bar when installed, else one carriage-return line."""

    def start(self, label: str, total: int) -> None: ...
    def advance(self, amount: int = 1) -> None: ...
    def finish(self) -> None: ...


class PlainProgress:
    """A single line rewritten in place (no dependency)."""

    def __init__(self) -> None:
        self._label, self._total, self._done, self._started, self._shown = "", 0, 0, 0.0, 0.0

    def start(self, label: str, total: int) -> None:
        self._label, self._total, self._done = label, total, 0
        self._started = self._shown = time.monotonic()

    def advance(self, amount: int = 1) -> None:
        self._done += amount
        now = time.monotonic()
        if now - self._shown >= 0.2 or self._done >= self._total:
            self._shown = now
            rate = self._done / max(now - self._started, 1e-9)
            share = self._done / self._total if self._total else 1.0
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self._label:<22} [{bar:<30}] {self._done}/{self._total} {rate:,.0f}/s ")
            sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


class RichProgress:
    """rich's progress bar, used when rich is installed in the environment."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            transient=False,
        )
        self._task: Any = None

    def start(self, label: str, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, amount: int = 1) -> None:
        self._bar.advance(self._task, amount)

    def finish(self) -> None:
        self._bar.stop()


class NoProgress:
    """No display at all (benchmarks print their own figures)."""

    def start(self, label: str, total: int) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None


def make_progress(enabled: bool = True) -> Progress:
    """The best progress display available."""
    if not enabled:
        return NoProgress()
    try:
        return RichProgress()
    except ImportError:
        return PlainProgress()
