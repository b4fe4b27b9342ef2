"""The CPU meter's machine and event-loop figures, on this very process (Linux's /proc)."""

from __future__ import annotations

import os
import time

from bench._cpu import CpuMeter


def _spin(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def test_a_spinning_thread_shows_as_its_loop_running_and_the_machine_busy() -> None:
    with CpuMeter({"this": os.getpid()}, loop_of=os.getpid()) as meter:
        _spin(0.3)

    assert meter.loop is not None
    # Ran or waited for a core all along (other work on the machine may take some of it).
    assert meter.loop.ran + meter.loop.waited > 0.8
    assert meter.loop.ran > 0.3
    assert meter.machine_busy >= meter.cores["this"] * 0.9 > 0.3
    assert "machine busy" in meter.line()
    assert meter.loop.line("this").startswith("this's event loop: ran ")


def test_without_a_loop_named_none_is_measured() -> None:
    with CpuMeter({"this": os.getpid()}) as meter:
        _spin(0.05)

    assert meter.loop is None
