"""``kinerja replay``'s progress bar: one line per stage, ended once however often the stage reports."""

from __future__ import annotations

import pytest

from kinerja.replay import TerminalProgress


def test_each_stage_ends_its_line_once(capsys: pytest.CaptureFixture[str]) -> None:
    progress = TerminalProgress()
    for done in (0, 50, 100, 100, 100):  # the replay reports a finished stage again while it settles
        progress(done, 100, "events")
    progress(3, 6, "employees' views")
    progress(6, 6, "employees' views")
    written = capsys.readouterr().err
    assert written.count("\n") == 2
    assert written.count("100/100 events (100%)") == 1
    assert written.endswith("6/6 employees' views (100%)\n")
