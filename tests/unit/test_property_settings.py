"""Property tests are not timed: a loaded CI machine must not fail an example for its speed."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def test_property_examples_have_no_deadline_and_slow_generation_passes() -> None:
    assert settings().deadline is None
    assert HealthCheck.too_slow in settings().suppress_health_check
