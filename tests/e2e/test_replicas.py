"""More than one process of a service: two scoring processes on one port and in one consumer group.

They share the partitions; one is killed with SIGKILL in the middle of a stream and is not
restarted: the other takes its partitions over, and every activity counts exactly once, the views
equal to a recomputation from the raw events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import ALL_REGIONS_SETTING
from tests.conftest import auth, new_region_id, wait_until
from tests.e2e.platform_support import ActivityStream, IsolatedPlatform, isolated_platform, send_all

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def two_of_each(tmp_path_factory: pytest.TempPathFactory, infrastructure: Any) -> Iterator[IsolatedPlatform]:
    with isolated_platform(tmp_path_factory, infrastructure, ("planning", "scoring"), replicas=2) as platform:
        yield platform


async def group_members(bootstrap: str, group: str) -> dict[str, int]:
    """Each member of a consumer group (by client host and id) with how many partitions it holds."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [description] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    members: dict[str, int] = {}
    for group_description in description.groups:
        _, group_id, state, _, _, group_members_ = group_description[:6]
        assert group_id == group
        if state != "Stable":
            return {}
        for member_id, _, _, _, assignment in group_members_:
            decoded = ConsumerProtocolMemberAssignment.decode(assignment) if assignment else None
            members[member_id] = len(decoded.partitions()) if decoded is not None else 0
    return members


async def test_two_scoring_processes_share_the_partitions_and_one_takes_over_from_a_killed_one(
    two_of_each: IsolatedPlatform,
) -> None:
    platform = two_of_each
    platform.start("scoring", "scoring.2")
    bootstrap = platform.endpoints.kafka_bootstrap_servers

    async def both_hold_partitions() -> dict[str, int] | None:
        members = await group_members(bootstrap, "kinerja-scoring")
        return members if len(members) == 2 and all(members.values()) else None

    assert await wait_until(both_hold_partitions, timeout=90, interval=0.5)
    async with httpx.AsyncClient(timeout=5) as http:  # one port, whichever process answers
        for _ in range(4):
            assert (await http.get(platform.url("scoring", "/readyz"))).status_code == 200

    stream = ActivityStream.build(employees=8, activities=800)
    engine = create_async_engine(platform.settings.migration_database_url)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await send_all(producer, stream.plans)
        await send_all(producer, stream.activities[:400])

        async def partly_applied() -> bool:
            return bool(await stream.counted(engine))

        await wait_until(partly_applied, timeout=60, interval=0.02)
        platform.services.stop("scoring.2", kill=True)
        # What the killed process had fetched but not committed comes again, and so does the rest.
        await send_all(producer, stream.activities[400:])
        await send_all(producer, stream.activities[:400])

        async def settled() -> dict[str, tuple[Decimal, int]] | None:
            current = await stream.counted(engine)
            return current if current == stream.expected else None

        assert await wait_until(settled, timeout=150, interval=0.5) == stream.expected

        async def one_member_holds_all() -> dict[str, int] | None:
            members = await group_members(bootstrap, "kinerja-scoring")
            return members if len(members) == 1 else None

        assert await wait_until(one_member_holds_all, timeout=60, interval=0.5)
    finally:
        await producer.stop()
        await engine.dispose()


@pytest.mark.xfail(
    reason=(
        "open defect: a request now and then ends in a connection error (ReadError) while one of "
        "the two processes sharing the port shuts down; what was accepted is never lost"
    ),
    strict=False,
)
async def test_a_rolling_restart_under_load_loses_no_accepted_request_and_fails_none(
    two_of_each: IsolatedPlatform,
) -> None:
    """Every process of planning and scoring stopped (SIGTERM) and started again, one at a time,
    while regions keep being registered: each stops accepting, finishes what it took, commits its
    offsets and flushes its producer, and its twin serves meanwhile."""
    platform = two_of_each
    platform.start("planning", "planning.2", "scoring", "scoring.2")
    admin = auth(platform.token("platform_admin"))
    answers: dict[str, int] = {}
    failures: list[str] = []
    restarted = asyncio.Event()

    async def register_regions(http: httpx.AsyncClient) -> None:
        while not restarted.is_set():
            region = new_region_id()
            try:
                response = await http.post(
                    platform.url("planning", "/v1/regions"),
                    json={"region_id": region, "name": "Bergulir"},
                    headers=admin,
                )
            except httpx.HTTPError as error:
                failures.append(f"{region}: {error!r}")
                continue
            answers[region] = response.status_code

    async def restart_one_at_a_time() -> None:
        for name in ("planning", "planning.2", "scoring", "scoring.2"):
            await asyncio.sleep(1.0)
            await asyncio.to_thread(platform.services.stop, name)
            await asyncio.to_thread(platform.start, name)
        await asyncio.sleep(1.0)
        restarted.set()

    async with httpx.AsyncClient(timeout=30) as http:
        await asyncio.gather(restart_one_at_a_time(), *(register_regions(http) for _ in range(4)))
    assert set(answers.values()) == {201}, {r: s for r, s in answers.items() if s != 201}
    accepted = set(answers)
    assert len(accepted) > 20

    engine = create_async_engine(platform.settings.migration_database_url)

    async def regions_in(table: str) -> list[str]:
        async with engine.begin() as connection:
            await connection.execute(text(f"SELECT set_config('{ALL_REGIONS_SETTING}', 'on', true)"))
            rows = await connection.execute(
                text(f"SELECT region_id FROM {table} WHERE region_id = ANY(:ids)"), {"ids": list(accepted)}
            )
            return [row[0] for row in rows]

    async def every_region_reached_scoring() -> bool:
        return set(await regions_in("scoring.region_settings")) == accepted

    try:
        stored = await regions_in("planning.regions")
        assert sorted(stored) == sorted(accepted)  # each exactly once
        await wait_until(every_region_reached_scoring, timeout=90, interval=0.5)
    finally:
        await engine.dispose()
    # Last, so that what was accepted is checked whatever happened to the others.
    assert not failures, failures[:5]
