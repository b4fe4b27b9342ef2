"""How long a service's consumer holds events back for larger batches: live by default, longer for
feedback's evidence (the broker's fetch wait and the runner's top-up alike)."""

from __future__ import annotations

from services.feedback.settings import FeedbackSettings
from services.scoring.settings import ScoringSettings
from shared.messaging.consumer import LIVE_TOP_UP, TopUp


def test_the_live_top_up_is_the_default_gathering() -> None:
    scoring = ScoringSettings()
    assert TopUp.within(scoring.consumer_gather_ms) == LIVE_TOP_UP == TopUp(wait_ms=10, limit_ms=50)
    assert scoring.consumer_fetch_min_bytes == 1  # a fetch is answered as soon as an event came


def test_feedback_gathers_a_second_of_events_fetched_in_larger_answers() -> None:
    feedback = FeedbackSettings()
    assert TopUp.within(feedback.consumer_gather_ms) == TopUp(wait_ms=200, limit_ms=1000)
    assert feedback.consumer_fetch_min_bytes == 64 * 1024
