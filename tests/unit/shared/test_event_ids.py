"""Event ids are drawn in time order (UUID version 7), so every consumer's inbox grows at its end."""

from __future__ import annotations

import itertools
import time
import uuid
from unittest import mock

from shared.contracts.reporting import ActivityReported
from shared.outbox import OutboxWriter, event_id_series, new_event_id


def _milliseconds(event_id: uuid.UUID) -> int:
    return event_id.int >> 80


def test_an_event_id_is_a_version_7_uuid_of_the_moment_it_was_drawn():
    before = time.time_ns() // 1_000_000
    event_id = new_event_id()
    after = time.time_ns() // 1_000_000
    assert (event_id.version, event_id.variant) == (7, uuid.RFC_4122)
    assert before <= _milliseconds(event_id) <= after


def test_ids_drawn_later_sort_later_and_never_repeat():
    drawn = []
    for _ in range(3):
        drawn.append([new_event_id() for _ in range(1000)])
        time.sleep(0.002)
    assert max(drawn[0]) < min(drawn[1])
    assert max(drawn[1]) < min(drawn[2])
    assert len({event_id for ids in drawn for event_id in ids}) == 3000


def test_the_outbox_writer_draws_its_rows_ids_so():
    row = OutboxWriter(table=None, producer="test").row_of(  # type: ignore[arg-type]
        ActivityReported, b"{}", region_id="r", partition_key="e"
    )
    assert row["event_id"].version == 7
    assert row["value"].startswith(b'{"event_id":"%s"' % str(row["event_id"]).encode())


def test_a_series_counts_up_from_an_id_drawn_so():
    before = time.time_ns() // 1_000_000
    series = [uuid.UUID(text.decode()) for text, _ in zip(event_id_series(), range(2000), strict=False)]
    after = time.time_ns() // 1_000_000
    assert {(event_id.version, event_id.variant) for event_id in series} == {(7, uuid.RFC_4122)}
    assert all(before <= _milliseconds(event_id) <= after for event_id in series)
    assert [event_id.int - series[0].int for event_id in series] == list(range(2000))
    time.sleep(0.002)
    assert max(series) < uuid.UUID(next(event_id_series()).decode())


def test_a_series_drawn_near_the_top_of_its_counted_bits_never_wraps():
    top = uuid.UUID(int=(1 << 128) - 1 & ~(0xF << 76) | (7 << 76))
    with mock.patch("shared.outbox.new_event_id", return_value=top):
        first, *_, last = itertools.islice(event_id_series(), 1 << 20)
    # The count stayed in its 48 bits: the last id is the first's head, counted up.
    assert uuid.UUID(last.decode()).int - uuid.UUID(first.decode()).int == (1 << 20) - 1
    assert uuid.UUID(last.decode()).int >> 48 == top.int >> 48
