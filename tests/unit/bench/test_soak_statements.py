"""The soak's statements window by window: each statement's time an activity per window."""

from __future__ import annotations

import math

from bench._soak_statements import Statement, per_window, render_statement_windows

SNAPSHOTS = [
    (1, 1000, {11: 100.0, 22: 50.0}),
    (2, 2000, {11: 300.0, 22: 90.0}),
    (3, 0, {11: 300.0, 22: 90.0, 33: 1.0}),
]


def test_a_statements_time_an_activity_is_its_growth_in_the_window_over_its_activities() -> None:
    assert per_window(SNAPSHOTS[:2], 11) == [100.0, 100.0]  # ms * 1000 / activities
    assert per_window(SNAPSHOTS[:2], 22) == [50.0, 20.0]
    assert per_window(SNAPSHOTS[:2], None) == [150.0, 120.0]
    assert math.isnan(per_window(SNAPSHOTS, 33)[2])  # no activity sent in that window


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
    assert render_statement_windows(statements, []) == []
