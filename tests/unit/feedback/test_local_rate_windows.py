"""The rate limiter's own windows, counted in memory while Redis cannot be asked."""

from __future__ import annotations

from services.feedback.adapters.rate_limiter import Limit, LocalWindows, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_its_requests_then_says_when_to_retry_and_opens_again() -> None:
    clock = Clock()
    windows = LocalWindows(clock)
    limit = Limit(requests=2, window_seconds=60)
    assert [windows.hit("a", limit) for _ in range(2)] == [Verdict(True, 0)] * 2
    clock.now += 20.5
    assert windows.hit("a", limit) == Verdict(False, 40)
    assert windows.hit("b", limit) == Verdict(True, 0)  # every key has its own window
    clock.now += 40
    assert windows.hit("a", limit) == Verdict(True, 0)


def test_memory_stays_bounded_under_a_flood_of_distinct_clients() -> None:
    clock = Clock()
    windows = LocalWindows(clock)
    windows.MAX_KEYS = 100
    limit = Limit(requests=1, window_seconds=60)
    for n in range(100):
        windows.hit(f"old-{n}", limit)
    clock.now += 61  # those windows are over: dropped when room is needed
    windows.hit("new", limit)
    assert len(windows._windows) == 1
    for n in range(250):
        windows.hit(f"flood-{n}", limit)
    assert len(windows._windows) <= 100
