"""The first journey, end to end: four real service processes over HTTP on real infrastructure."""

from __future__ import annotations

import pytest

from tests.e2e.journey import first_journey, running_platform

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(infrastructure, data_dir):
    yield from running_platform(data_dir)


async def test_plan_activity_and_survey_reach_the_scoring_views(platform, make_token):
    await first_journey(platform, make_token)
