"""``kinerja replay`` shares the partitions among its workers by the events they hold."""

from __future__ import annotations

from kinerja.replay.phases import share_by_events

#: A million-event rebuild's activity topic (``bench.scoring_rebuild``): its six partitions' events.
ACTIVITY = [
    ("reporting.activity.v1", 0, 173_794),
    ("reporting.activity.v1", 1, 165_294),
    ("reporting.activity.v1", 2, 166_980),
    ("reporting.activity.v1", 3, 163_481),
    ("reporting.activity.v1", 4, 165_237),
    ("reporting.activity.v1", 5, 157_146),
]


def _held(shares: list[list[tuple[str, int, int]]]) -> list[int]:
    return [sum(end for _, _, end in share) for share in shares]


def test_the_workers_hold_about_as_many_events_each() -> None:
    shares = share_by_events(ACTIVITY, 2)
    # Dealt in turn, the first worker would hold 506,011 events and the second 485,921.
    assert max(_held(shares)) - min(_held(shares)) < 1_000
    assert sorted(entry for share in shares for entry in share) == sorted(ACTIVITY)


def test_every_partition_is_applied_by_one_worker_only() -> None:
    partitions = [(topic, number, 10 * number) for topic in ("a", "b") for number in range(6)]
    shares = share_by_events(partitions, 3)
    assert len(shares) == 3
    assert sorted(entry for share in shares for entry in share) == sorted(partitions)


def test_no_worker_is_given_nothing() -> None:
    assert share_by_events([("a", 0, 5), ("a", 1, 0)], 4) == [[("a", 0, 5)], [("a", 1, 0)]]
