"""A relay polls again at once while a backlog remains, once a poll interval after the last poll
began while rows come, and less often once the outbox is quiet."""

from __future__ import annotations

import pytest

from shared.messaging.relay import QUIET_AFTER_SECONDS, QUIET_POLL_SECONDS, PollPace


def test_a_full_batch_polls_again_at_once():
    assert PollPace(0.05, batch_size=2000).after_poll(2000, began=10.0, now=10.02) == 0.0


def test_a_batch_not_full_polls_again_a_poll_interval_after_it_began():
    pace = PollPace(0.05, batch_size=2000)
    assert pace.after_poll(120, began=10.0, now=10.02) == pytest.approx(0.03)
    assert pace.after_poll(120, began=10.0, now=10.08) == 0.0  # the batch took longer than that


def test_an_empty_outbox_is_polled_every_interval_until_it_has_been_quiet_a_while():
    pace = PollPace(0.05)
    assert pace.after_poll(0, began=10.0, now=10.0) == 0.05
    half = 10.0 + QUIET_AFTER_SECONDS / 2
    assert pace.after_poll(0, began=half, now=half) == 0.05
    quiet = 10.0 + QUIET_AFTER_SECONDS
    assert pace.after_poll(0, began=quiet, now=quiet) == QUIET_POLL_SECONDS


def test_rows_found_again_end_the_quiet():
    pace = PollPace(0.05)
    pace.after_poll(0, began=10.0, now=10.0)
    assert pace.after_poll(0, began=12.0, now=12.0) == QUIET_POLL_SECONDS
    assert pace.after_poll(2000, began=12.3, now=12.3) == 0.0
    assert pace.after_poll(0, began=12.4, now=12.4) == 0.05


def test_a_poll_interval_longer_than_the_quiet_one_is_kept():
    pace = PollPace(1.0)
    pace.after_poll(0, began=0.0, now=0.0)
    assert pace.after_poll(0, began=5.0, now=5.0) == 1.0


def test_a_claim_stopped_by_its_bytes_polls_again_at_once_whatever_it_sent() -> None:
    # A claim counts events, and stops at its bytes as well as its rows: rows may be left then.
    pace = PollPace(0.05, batch_size=2000)
    assert pace.after_poll(900, began=10.0, now=10.02, full=True) == 0.0
    assert pace.after_poll(2500, began=10.0, now=10.02, full=False) == pytest.approx(0.03)
