"""A short fault campaign inside the suite: one run of ``kinerja chaos`` with a deterministic seed.

While the load drives every service, an API process (reporting's), a consumer (scoring's process,
which holds its consumer), the broker and PostgreSQL are each killed with SIGKILL and restarted.
Afterwards every write answered 2xx is kept exactly once, in its service and in scoring's views,
the views equal a rebuild from the topics, only the poisoned events are dead letters and every
consumer group's lag is back to zero.
"""

from __future__ import annotations

from typing import Any

import pytest

from kinerja import infra
from kinerja.chaos.campaign import CampaignOptions, render, run_once

pytestmark = pytest.mark.e2e


def test_one_run_of_faults_loses_nothing_and_counts_nothing_twice(infrastructure: Any) -> None:
    if not isinstance(infrastructure, infra.EmbeddedInfrastructure):
        pytest.skip("the campaign starts and kills embedded servers of its own")
    options = CampaignOptions(
        seed=20261202,
        duration=30.0,
        rate=15.0,
        faults=4,
        targets=("reporting", "scoring", "broker", "postgres"),
        employees=16,
        regions=2,
        poison=2,
        settle_timeout=120.0,
    )
    report = run_once(1, options)
    assert [injected.fault.target for injected in report.faults] == list(options.targets)
    assert report.writes > 80, render([report])
    assert report.ok, render([report])
    assert report.verdict.lost == 0
    assert report.verdict.counted_twice == 0
