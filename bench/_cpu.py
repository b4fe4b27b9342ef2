"""Where a phase's CPU went: each named process tree's cores, the machine's busy cores, and how
long a service's event loop waited for a core. Together they say which resource set a figure: a
loop that ran or waited nearly all the phase was the serial part; busy cores near the machine's
all were the limit; neither, and the processes waited on each other."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True, slots=True)
class LoopShare:
    """Of a phase, the share one thread (a service's event loop) ran on a core and the share it was
    ready to run but waited for one (Linux's ``/proc/<pid>/schedstat``)."""

    ran: float
    waited: float

    def line(self, name: str) -> str:
        """e.g. ``reporting's event loop: ran 0.57 of the phase, waited for a core 0.29``."""
        return f"{name}'s event loop: ran {self.ran:.2f} of the phase, waited for a core {self.waited:.2f}"


def _schedstat(pid: int) -> tuple[int, int] | None:
    """Nanoseconds the process' main thread ran and waited to run, or None where Linux keeps none."""
    try:
        ran, waited, _slices = Path(f"/proc/{pid}/schedstat").read_text().split()
        return int(ran), int(waited)
    except (OSError, ValueError):
        return None


def _busy_seconds() -> float:
    """CPU seconds all the machine's cores spent on anything but idling (iowait is idle too)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class CpuMeter:
    """CPU seconds used by named process trees over a phase: shows which side limited a figure.

    ``loop_of`` names a process whose main thread is an event loop (a uvicorn worker's): its share
    of the phase running and waiting for a core is measured too (``loop``).
    """

    def __init__(self, pids: dict[str, int], *, loop_of: int | None = None) -> None:
        self._pids = pids
        self._loop_of = loop_of
        self._started: dict[str, float] = {}
        self._wall = 0.0
        self._busy_started = 0.0
        self._loop_started: tuple[int, int] | None = None
        self.cores: dict[str, float] = {}
        #: CPU seconds each process tree used over the phase.
        self.cpu_seconds: dict[str, float] = {}
        #: Cores the whole machine was busy over the phase, whoever used them (an unmetered process too).
        self.machine_busy = 0.0
        self.loop: LoopShare | None = None

    @staticmethod
    def _cpu_seconds(pid: int) -> float:
        total = 0.0
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            # This process starts the servers, so its own tree would count them twice.
            tree = [root] if pid == os.getpid() else [root, *root.children(recursive=True)]
            # Children that ended meanwhile (PostgreSQL backends of closed connections, a replay's
            # worker processes) count in their reaped parent's children times, and only there.
            ended = root.cpu_times()
            total += ended.children_user + ended.children_system
            for process in tree:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
        return total

    def __enter__(self) -> CpuMeter:
        self._started = {name: self._cpu_seconds(pid) for name, pid in self._pids.items()}
        self._loop_started = None if self._loop_of is None else _schedstat(self._loop_of)
        self._busy_started = _busy_seconds()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        wall = max(time.perf_counter() - self._wall, 1e-9)
        self.machine_busy = (_busy_seconds() - self._busy_started) / wall
        self.cpu_seconds = {
            name: self._cpu_seconds(pid) - self._started[name] for name, pid in self._pids.items()
        }
        self.cores = {name: used / wall for name, used in self.cpu_seconds.items()}
        ended = None if self._loop_of is None else _schedstat(self._loop_of)
        if self._loop_started is not None and ended is not None:
            ran, waited = (now - then for now, then in zip(ended, self._loop_started, strict=True))
            self.loop = LoopShare(ran=ran / 1e9 / wall, waited=waited / 1e9 / wall)

    def so_far(self) -> dict[str, float]:
        """CPU seconds each process tree has used since the meter started (to split a phase)."""
        return {name: self._cpu_seconds(pid) - self._started[name] for name, pid in self._pids.items()}

    def line(self) -> str:
        """Cores used by each process tree and the machine's busy cores, e.g. ``cores used:
        reporting 0.98, postgres 0.41 (machine busy 1.81 of 2)``."""
        used = ", ".join(f"{name} {cores:.2f}" for name, cores in self.cores.items())
        return f"cores used: {used} (machine busy {self.machine_busy:.2f} of {os.cpu_count()})"

    def per_item(self, items: int, unit: str) -> str:
        """CPU each process tree spent per item, e.g. ``CPU per event: relay 11.7 µs, postgres 23.9 µs``.

        Steadier than a throughput on a shared machine, where a phase of a few seconds gets whatever
        share of a core the moment leaves it (the ratio of one tree swung 0.31-0.58 between runs).
        """
        per = {name: used / max(items, 1) * 1e6 for name, used in self.cpu_seconds.items()}
        return f"CPU per {unit}: " + ", ".join(f"{name} {us:,.1f} µs" for name, us in per.items())
