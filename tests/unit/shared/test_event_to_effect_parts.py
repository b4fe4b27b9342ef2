"""An event's time to effect split into its parts: the relay's, the broker's, waiting and applying."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.messaging.consumer.decode import ConsumedEvent
from shared.messaging.consumer.runner import BatchClock

OCCURRED = 1_000.0


def event(recorded: float) -> ConsumedEvent:
    envelope = SimpleNamespace(occurred_at=datetime.fromtimestamp(OCCURRED, UTC))
    record = SimpleNamespace(timestamp=round(recorded * 1000))
    return cast(ConsumedEvent, cast(Any, SimpleNamespace(envelope=envelope, record=record)))


def test_an_event_that_reached_an_idle_consumer_waited_only_for_the_broker() -> None:
    clock = BatchClock(arrived=OCCURRED + 0.5, free_since=OCCURRED + 0.1)
    parts = clock.parts(event(OCCURRED + 0.2), done=OCCURRED + 0.9)
    assert parts == pytest.approx((0.2, 0.3, 0.0, 0.4))
    assert sum(parts) == pytest.approx(0.9)


def test_an_event_recorded_while_the_consumer_was_busy_waited_for_it() -> None:
    clock = BatchClock(arrived=OCCURRED + 1.05, free_since=OCCURRED + 1.0)
    parts = clock.parts(event(OCCURRED + 0.2), done=OCCURRED + 1.5)
    assert parts == pytest.approx((0.2, 0.05, 0.8, 0.45))


def test_an_event_that_came_with_the_batch_s_top_up_is_the_batch_s_time_only() -> None:
    clock = BatchClock(arrived=OCCURRED + 0.5, free_since=OCCURRED + 0.4)
    parts = clock.parts(event(OCCURRED + 0.52), done=OCCURRED + 0.6)
    assert parts == pytest.approx((0.52, 0.0, 0.0, 0.08))


def test_a_batch_s_times_are_each_event_s_parts_and_their_sum() -> None:
    clock = BatchClock(arrived=OCCURRED + 1.05, free_since=OCCURRED + 1.0)
    events = [event(OCCURRED + 0.2), event(OCCURRED + 0.52), event(OCCURRED + 1.2)]
    to_effect, by_part = clock.times(events, done=OCCURRED + 1.5)
    assert [list(column) for column in zip(*by_part, strict=True)] == [
        list(clock.parts(item, done=OCCURRED + 1.5)) for item in events
    ]
    assert to_effect == pytest.approx([1.5, 1.5, 1.5])
    assert [sum(parts) for parts in zip(*by_part, strict=True)] == pytest.approx(to_effect)


@given(
    arrived=st.floats(-2.0, 2.0),
    free_since=st.floats(-2.0, 2.0),
    done=st.floats(-2.0, 3.0),
    recorded=st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=5),
)
def test_a_batch_s_times_are_exactly_each_event_s_parts(
    arrived: float, free_since: float, done: float, recorded: list[float]
) -> None:
    # Any order of the instants (a clock may step back): the batch's pass gives each event's parts.
    clock = BatchClock(arrived=OCCURRED + arrived, free_since=OCCURRED + free_since)
    events = [event(OCCURRED + at) for at in recorded]
    to_effect, by_part = clock.times(events, done=OCCURRED + done)
    assert [tuple(column) for column in zip(*by_part, strict=True)] == [
        clock.parts(item, done=OCCURRED + done) for item in events
    ]
    assert to_effect == [max((OCCURRED + done) - OCCURRED, 0.0)] * len(events)
