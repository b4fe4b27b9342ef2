"""The soak's statements window by window: each statement's time an activity per window, and its
buffers and WAL a call."""

from __future__ import annotations

import math

from bench._soak_statements import (
    Counted,
    Statement,
    per_call_per_window,
    per_window,
    render_statement_windows,
)

SNAPSHOTS = [
    (1, 1000, {11: Counted(100.0, 10, 50, 1000), 22: Counted(50.0, 5, 10, 0)}),
    (2, 2000, {11: Counted(300.0, 30, 250, 5000), 22: Counted(90.0, 5, 10, 0)}),
    (3, 0, {11: Counted(300.0, 30, 250, 5000), 22: Counted(90.0, 5, 10, 0), 33: Counted(1.0, 1, 1, 1)}),
]


def test_a_statements_time_an_activity_is_its_growth_in_the_window_over_its_activities() -> None:
    assert per_window(SNAPSHOTS[:2], 11) == [100.0, 100.0]  # ms * 1000 / activities
    assert per_window(SNAPSHOTS[:2], 22) == [50.0, 20.0]
    assert per_window(SNAPSHOTS[:2], None) == [150.0, 120.0]
    assert math.isnan(per_window(SNAPSHOTS, 33)[2])  # no activity sent in that window


def test_a_statements_buffers_and_wal_a_call_are_its_growth_in_the_window_over_its_calls() -> None:
    assert per_call_per_window(SNAPSHOTS[:2], 11) == [(5.0, 100.0), (10.0, 200.0)]
    assert math.isnan(per_call_per_window(SNAPSHOTS[:2], 22)[1][0])  # not called in window 2


def test_the_costliest_statements_are_rendered_a_row_each_after_all_of_them() -> None:
    statements = [
        Statement("INSERT INTO contributions " + "x" * 60, 10, 300.0, 10, 0, queryid=11),
        Statement("UPDATE outbox SET published_at=now()", 5, 90.0, 5, 0, queryid=22),
    ]
    lines = render_statement_windows(statements, SNAPSHOTS[:2])
    assert lines[2].split() == ["statement", "1", "2"]
    assert lines[3].split() == ["all", "150.0", "120.0"]
    assert lines[4].startswith("INSERT INTO contributions xxx")
    assert lines[4].split()[-2:] == ["100.0", "100.0"]
    assert lines[5].split()[-2:] == ["50.0", "20.0"]
    assert lines[9].startswith("INSERT INTO contributions xxx")
    assert lines[9].split()[-2:] == ["5/100", "10/200"]
    assert lines[10].split()[-2:] == ["2/0", "-"]
    assert render_statement_windows(statements, []) == []
