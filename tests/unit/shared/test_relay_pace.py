"""A relay polls its outbox every poll interval while rows come, and less often once it is quiet."""

from __future__ import annotations

from shared.messaging.relay import QUIET_AFTER_SECONDS, QUIET_POLL_SECONDS, PollPace


def test_a_batch_sent_polls_again_at_once():
    assert PollPace(0.05).after_poll(120, now=10.0) == 0.0


def test_an_empty_outbox_is_polled_every_interval_until_it_has_been_quiet_a_while():
    pace = PollPace(0.05)
    assert pace.after_poll(0, now=10.0) == 0.05
    assert pace.after_poll(0, now=10.0 + QUIET_AFTER_SECONDS / 2) == 0.05
    assert pace.after_poll(0, now=10.0 + QUIET_AFTER_SECONDS) == QUIET_POLL_SECONDS


def test_rows_found_again_end_the_quiet():
    pace = PollPace(0.05)
    pace.after_poll(0, now=10.0)
    assert pace.after_poll(0, now=12.0) == QUIET_POLL_SECONDS
    assert pace.after_poll(3, now=12.3) == 0.0
    assert pace.after_poll(0, now=12.4) == 0.05


def test_a_poll_interval_longer_than_the_quiet_one_is_kept():
    pace = PollPace(1.0)
    pace.after_poll(0, now=0.0)
    assert pace.after_poll(0, now=5.0) == 1.0
