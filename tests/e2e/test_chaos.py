"""A short fault campaign inside the suite: one run of ``kinerja chaos`` with a deterministic seed.

While the load drives every service, an API process (reporting's), a consumer (scoring's process,
which holds its consumer), the broker and PostgreSQL are each killed with SIGKILL and restarted.
Afterwards every write answered 2xx is kept exactly once, in its service and in scoring's views,
the views equal a rebuild from the topics, only the poisoned events are dead letters and every
consumer group's lag is back to zero.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja import infra
from kinerja.chaos.campaign import CampaignOptions, campaign_platform, render, run_once
from kinerja.isolated import IsolatedPlatform

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


def test_a_commit_acknowledged_before_postgresql_is_killed_survives_it(
    tmp_path: Path, infrastructure: Any
) -> None:
    """The campaign counts a write answered 2xx and then missing as lost, so its PostgreSQL must keep
    what it acknowledged through a SIGKILL, as ``kinerja up``'s does (no asynchronous commits)."""
    if not isinstance(infrastructure, infra.EmbeddedInfrastructure):
        pytest.skip("the campaign starts and kills embedded servers of its own")
    platform = campaign_platform(tmp_path, replicas=1)
    try:
        acknowledged, kept = asyncio.run(commits_across_a_crash(platform))
    finally:
        platform.stop()
        platform.remove()
    assert len(acknowledged) > 20
    assert [n for n in acknowledged if n not in kept] == []


async def commits_across_a_crash(platform: IsolatedPlatform) -> tuple[list[int], set[int]]:
    """Commit rows one by one for two seconds, kill PostgreSQL, start it again, read what it kept."""
    url = platform.endpoints.database_admin_url
    assert url is not None
    engine = create_async_engine(url)
    acknowledged: list[int] = []
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE crash_probe (n integer PRIMARY KEY)"))
        crashing = asyncio.create_task(asyncio.to_thread(_crash_after, platform, 2.0))
        for n in itertools.count():
            try:
                async with engine.begin() as connection:
                    await connection.execute(text("INSERT INTO crash_probe VALUES (:n)"), {"n": n})
            except DBAPIError:
                break
            acknowledged.append(n)
        await crashing
    finally:
        await engine.dispose()
    await asyncio.to_thread(platform.infrastructure.restart, "postgres")
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            kept = set((await connection.execute(text("SELECT n FROM crash_probe"))).scalars())
    finally:
        await engine.dispose()
    return acknowledged, kept


def _crash_after(platform: IsolatedPlatform, seconds: float) -> None:
    time.sleep(seconds)
    platform.infrastructure.crash("postgres")
