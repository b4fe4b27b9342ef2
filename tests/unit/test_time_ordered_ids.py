"""UUIDv7 layout (RFC 9562): timestamp, version, variant, and the order ids are minted in."""

from __future__ import annotations

import itertools
import re
import time
import uuid
from unittest import mock

from services.reporting.service_layer.schemas import _CLIENT_ID
from shared.time_ordered_ids import uuid7


def _fresh() -> mock._patch[int]:
    """No id minted yet in this process (a test's clock may be earlier than the real one)."""
    return mock.patch("shared.time_ordered_ids._last_ms", -1)


def test_layout_is_version_7_with_the_rfc_variant_and_the_time_in_ms() -> None:
    before = time.time_ns() // 1_000_000
    minted = uuid7()
    after = time.time_ns() // 1_000_000
    assert minted.version == 7
    assert minted.variant == uuid.RFC_4122
    assert before <= minted.int >> 80 <= after


def test_ids_sort_in_the_order_minted_within_one_millisecond() -> None:
    with _fresh(), mock.patch("shared.time_ordered_ids.time.time_ns", return_value=1_765_000_000_000_000_000):
        minted = [uuid7() for _ in range(1000)]
    assert minted == sorted(minted)
    assert len(set(minted)) == 1000
    assert {m.int >> 80 for m in minted} == {1_765_000_000_000}
    assert all(m.version == 7 and m.variant == uuid.RFC_4122 for m in minted)


def test_an_id_does_not_tell_the_next_one_of_its_millisecond() -> None:
    with _fresh(), mock.patch("shared.time_ordered_ids.time.time_ns", return_value=1_765_000_000_000_000_000):
        minted = [uuid7().int for _ in range(100)]
    steps = {later - earlier for earlier, later in itertools.pairwise(minted)}
    assert steps != {1}


def test_ids_sort_across_milliseconds_and_when_the_clock_steps_back() -> None:
    clock = iter(
        ms * 1_000_000 for ms in (1_765_000_000_001, 1_765_000_000_002, 1_765_000_000_000, 1_765_000_000_003)
    )
    with _fresh(), mock.patch("shared.time_ordered_ids.time.time_ns", side_effect=lambda: next(clock)):
        minted = [uuid7() for _ in range(4)]
    assert minted == sorted(minted)
    assert [m.int >> 80 for m in minted] == [
        1_765_000_000_001,
        1_765_000_000_002,
        1_765_000_000_002,
        1_765_000_000_003,
    ]


def test_hex_form_is_a_valid_activity_id() -> None:
    assert re.fullmatch(_CLIENT_ID, uuid7().hex)
    assert re.fullmatch(_CLIENT_ID, str(uuid7()))
