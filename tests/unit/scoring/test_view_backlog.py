"""A replay's backlog of view rows: merged across worker processes, split into independent pieces."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter

from services.scoring.service_layer.projections.backlog import RegionWork, ViewBacklog
from services.scoring.service_layer.views import Touch, touch

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def work(employees: list[str], event_id: str, at: datetime) -> RegionWork:
    return RegionWork(
        progress={(e, "i-1", "2026-Q1"): Touch(1, event_id, at) for e in employees},
        summaries={(e, "2026-Q1"): Touch(1, event_id, at) for e in employees},
        employee_years={(e, 2026): Touch(1, event_id, at) for e in employees},
    )


def test_merged_backlogs_count_every_touch_keep_the_latest_event_and_the_earliest_time() -> None:
    mine, theirs = ViewBacklog(), ViewBacklog()
    mine.record("kab-a", work(["e-1", "e-2"], "ev-1", T0 + timedelta(days=1)))
    theirs.record("kab-a", work(["e-2", "e-3"], "ev-2", T0))
    theirs.record("kab-b", work(["e-9"], "ev-3", T0))
    mine.merge(pickle.loads(pickle.dumps(theirs)))  # noqa: S301 - as a worker process hands it back
    assert mine.owners == 4
    [a] = [piece for piece in mine.split(10) if "kab-a" in piece._regions]
    touched = a._regions["kab-a"].summaries[("e-2", "2026-Q1")]
    assert touched == Touch(2, "ev-2", T0)


def test_pieces_hold_one_region_each_and_split_employees_without_overlap() -> None:
    backlog = ViewBacklog()
    backlog.record("kab-a", work([f"e-{n:02d}" for n in range(25)], "ev", T0))
    backlog.record("kab-b", work(["e-00"], "ev", T0))
    pieces = backlog.split(10)
    assert [piece.owners for piece in pieces] == [10, 10, 5, 1]
    assert all(len(piece._regions) == 1 for piece in pieces)
    seen: list[tuple[str, str]] = []
    for piece in pieces:
        for region, part in piece._regions.items():
            employees = {key[0] for key in part.progress} | {key[0] for key in part.summaries}
            assert employees == {key[0] for key in part.employee_years}
            seen += [(region, employee) for employee in employees]
    assert len(seen) == len(set(seen)) == 26


def test_recording_batches_makes_what_touching_each_row_in_turn_makes() -> None:
    batches = [
        work(["e-1", "e-2"], "ev-1", T0 + timedelta(days=2)),
        work(["e-2"], "ev-2", T0),  # earlier than what the backlog holds: its time is kept
        work(["e-2", "e-3"], "ev-3", T0 + timedelta(days=5)),  # later: the time stays, the event moves
    ]
    backlog = ViewBacklog()
    expected: dict[tuple[str, str, str], Touch] = {}
    for batch in batches:
        backlog.record("kab-a", batch)
        for key, found in batch.progress.items():
            touch(expected, key, found.event_id, found.at, found.events)
    assert backlog._regions["kab-a"].progress == expected
    assert expected[("e-2", "i-1", "2026-Q1")] == Touch(3, "ev-3", T0)


def test_a_backlog_crosses_processes_with_the_same_touches_in_utc() -> None:
    at = TypeAdapter(datetime).validate_json('"2026-03-02T08:00:00+07:00"')  # as an event's time
    backlog = ViewBacklog()
    backlog.record("kab-a", work(["e-1"], "ev-1", at))
    again = pickle.loads(pickle.dumps(backlog))  # noqa: S301 - as a worker process hands it back
    kept = again._regions["kab-a"]
    assert kept.progress == backlog._regions["kab-a"].progress
    assert kept.employee_years[("e-1", 2026)].at.tzinfo is UTC
    assert pickle.loads(pickle.dumps(ViewBacklog())).owners == 0  # noqa: S301 - an empty one too


def test_the_activities_a_process_stored_stay_in_that_process() -> None:
    """Each region's own; handed to another process, a backlog knows none (its process stored none)."""
    backlog = ViewBacklog()
    backlog.record("kab-a", work(["e-1"], "ev-1", T0))
    backlog.activities_stored("kab-a").add(hash("a-1"))
    assert backlog.activities_stored("kab-a") == {hash("a-1")}
    assert backlog.activities_stored("kab-b") == set()
    handed = pickle.loads(pickle.dumps(backlog))  # noqa: S301 - as a worker process hands it back
    assert handed.activities_stored("kab-a") == set()
    assert handed.owners == 1
