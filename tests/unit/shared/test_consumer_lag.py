"""Consumer lag from a partition's progress: in events, and in seconds that keep growing while stalled."""

from __future__ import annotations

from shared.messaging.lag import LagTracker
from shared.observability import OTHER_REGIONS, RegionLabels


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_caught_up_partition_has_no_lag() -> None:
    clock = Clock()
    tracker = LagTracker("g", clock)
    tracker.ends([("t", 0, 10)])
    tracker.applied("t", 0, next_offset=10, last_written_at=990.0)
    assert tracker.samples() == [("t", 0, 0, 0.0)]


def test_a_stalled_batch_ages_from_its_first_event() -> None:
    clock = Clock()
    tracker = LagTracker("g", clock)
    tracker.starts([("t", 0, 4)])
    tracker.ends([("t", 0, 10)])
    tracker.fetched("t", 0, first_written_at=995.0)
    assert tracker.samples() == [("t", 0, 6, 5.0)]
    clock.now += 60  # the handler is stuck: nothing is recorded, the lag still grows
    assert tracker.samples() == [("t", 0, 6, 65.0)]
    tracker.applied("t", 0, next_offset=10, last_written_at=999.0)
    assert tracker.samples() == [("t", 0, 0, 0.0)]


def test_events_still_on_the_broker_age_from_the_last_applied_one() -> None:
    clock = Clock()
    tracker = LagTracker("g", clock)
    tracker.applied("t", 1, next_offset=3, last_written_at=970.0)
    tracker.ends([("t", 1, 8)])
    assert tracker.samples() == [("t", 1, 5, 30.0)]


def test_nothing_is_reported_before_the_start_is_known_and_revoked_partitions_are_dropped() -> None:
    tracker = LagTracker("g", Clock())
    tracker.ends([("t", 0, 8), ("t", 1, 3)])
    assert tracker.samples() == [("t", 0, None, None), ("t", 1, None, None)]
    tracker.starts([("t", 0, 8)])
    tracker.forget({("t", 0)})
    assert tracker.samples() == [("t", 0, 0, 0.0)]


def test_region_labels_are_bounded() -> None:
    region_label = RegionLabels(limit=3)
    labels = [region_label(region) for region in ("a", "b", "a", "c", "d", "b", "e")]
    assert labels == ["a", "b", "a", "c", OTHER_REGIONS, "b", OTHER_REGIONS]
