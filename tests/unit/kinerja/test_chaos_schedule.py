"""The fault campaign's seeded schedule and its table (no processes involved)."""

from __future__ import annotations

from kinerja.chaos.campaign import RunReport, nearest_rank, render
from kinerja.chaos.checks import Verdict
from kinerja.chaos.faults import TARGETS, Fault, InjectedFault, schedule


def test_the_same_seed_and_run_give_the_same_schedule_and_another_run_another() -> None:
    first = schedule(7, 1, faults=5, duration=60)
    assert first == schedule(7, 1, faults=5, duration=60)
    assert first != schedule(7, 2, faults=5, duration=60)
    assert {fault.target for fault in first} <= set(TARGETS)


def test_each_fault_falls_in_the_first_half_of_its_own_slot() -> None:
    faults = schedule(3, 4, faults=4, duration=80)
    for index, fault in enumerate(faults):
        assert index * 20 <= fault.at <= index * 20 + 10
        assert 0 <= fault.down_for <= 3


def test_as_many_targets_as_faults_are_taken_in_turn() -> None:
    wanted = ("reporting", "scoring", "broker", "postgres")
    assert [fault.target for fault in schedule(1, 1, faults=4, duration=40, targets=wanted)] == list(wanted)


def test_the_table_adds_up_the_runs_and_names_each_violation() -> None:
    clean = RunReport(1, [InjectedFault(Fault(1, "broker", 0), 30.0)], answered=10, writes=12)
    broken = RunReport(
        2,
        [InjectedFault(Fault(1, "postgres", 0), 2.0), InjectedFault(Fault(5, "broker", 1), 40.0)],
        answered=5,
        writes=6,
        verdict=Verdict(lost=1, violations=["reporting.activities: 1 missing, e.g. a1"]),
    )
    table = render([clean, broken])
    assert "runs: 2 (1 without violation)" in table
    assert "faults injected per kind: broker 2, postgres 1" in table
    assert "requests answered 2xx: 15" in table
    assert "lost: 1" in table
    assert "run 2: reporting.activities: 1 missing" in table
    assert nearest_rank([30.0, 2.0, 40.0], 0.5) == 30.0
