"""Batch syncs through group commit on real PostgreSQL: many at once take few connections, each is
answered after its own items are committed, and one the database refuses fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event

from services.reporting.entrypoints import schemas as batch_schemas
from services.reporting.entrypoints.dependencies import reporting_settings
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import Member, activity, outbox, seed_team, submit

pytestmark = pytest.mark.integration


class ConnectionsInUse:
    """How many of an engine's pool connections were checked out at once, at most."""

    def __init__(self) -> None:
        self.now = self.most = 0

    def checkout(self, *_: Any) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def checkin(self, *_: Any) -> None:
        self.now -= 1


@contextmanager
def connections_in_use(engine: Any) -> Iterator[ConnectionsInUse]:
    counter = ConnectionsInUse()
    event.listen(engine.sync_engine, "checkout", counter.checkout)
    event.listen(engine.sync_engine, "checkin", counter.checkin)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "checkout", counter.checkout)
        event.remove(engine.sync_engine, "checkin", counter.checkin)


async def sync(service: Any, member: Member, items: list[dict[str, Any]]) -> Any:
    """POST one batch as the member."""
    body = {"items": items}
    return await service.client.post("/v1/activities/batch", json=body, headers=auth(member.token))


def _batch_groups_written() -> float:
    count = REGISTRY.get_sample_value("kinerja_reporting_submission_group_size_count", {"kind": "batch"})
    return count or 0.0


async def test_many_batches_at_once_take_no_more_connections_than_the_batch_writers(
    start_service, make_token
):
    """Sixteen phones syncing at once: each batch in a transaction of its own would take a pool
    connection each (and PostgreSQL's backend of each keeps its memory once used)."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=16)
    batches = [(member, [activity(member) for _ in range(30)]) for member in team.members]
    groups_before = _batch_groups_written()

    with connections_in_use(reporting.context.engine) as connections:
        responses = await asyncio.gather(*(sync(reporting, member, items) for member, items in batches))

    for response, (_, items) in zip(responses, batches, strict=True):
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (30, 0, 0)
        assert [item["activity_id"] for item in answer["items"]] == [item["activity_id"] for item in items]
    # One region: a transaction (a connection) per writer at most, holding many batches each.
    assert connections.most <= reporting_settings(reporting.context).batch_writers
    assert _batch_groups_written() - groups_before < len(batches)
    events = await outbox(reporting, team.region)
    assert sorted(payload["activity_id"] for _, payload in events) == sorted(
        item["activity_id"] for _, items in batches for item in items
    )


async def test_a_batch_the_database_refuses_fails_alone_and_the_same_ids_at_once_are_duplicates(
    start_service, make_token, monkeypatch
):
    """Batches sharing a group: one with a value validation lets through and PostgreSQL refuses gets
    its own error and costs the others nothing; a batch sent twice at once is accepted once, then a
    duplicate. The value: a NUL character, its check skipped (validation refuses it now)."""
    monkeypatch.setattr(batch_schemas, "_MAY_HOLD_NUL", b"\\u0000 never sent")
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=8)
    batches = [(member, [activity(member) for _ in range(20)]) for member in team.members]
    poisoned_member, poisoned = batches[3]
    poisoned[5] = activity(poisoned_member, description="Rapat\x00koordinasi")
    resent_member, resent = batches[0]
    batches.append((resent_member, resent))  # the phone's retry, before its first answer came

    responses = await asyncio.gather(*(sync(reporting, member, items) for member, items in batches))

    assert responses[3].status_code == 422, responses[3].text
    answers = [response.json() for n, response in enumerate(responses) if n != 3]
    assert all(response.status_code == 200 for n, response in enumerate(responses) if n != 3)
    first, retry = answers[0], answers[-1]
    assert {first["accepted"], retry["accepted"]} == {20, 0}
    assert {first["duplicates"], retry["duplicates"]} == {0, 20}
    assert [item["status"] for item in retry["items"]] == ["submitted"] * 20
    assert all(answer["accepted"] == 20 for answer in answers[1:-1])
    events = await outbox(reporting, team.region)
    assert sorted(payload["activity_id"] for _, payload in events) == sorted(
        item["activity_id"] for n, (_, items) in enumerate(batches[:-1]) if n != 3 for item in items
    )


async def test_submissions_in_more_regions_than_the_pool_has_connections_wait_for_one_and_are_all_stored(
    start_service, make_token
):
    """Each writer takes a connection a region at once: singles and batches in twelve regions want
    36, three times reporting's pool. The pool lends what it has (session 22 sized it to what the
    soak's transactions open at once) and the rest wait for a connection: all answered, all stored."""
    reporting = await start_service("reporting")
    pool_size = reporting.context.settings.database_pool_size
    settings = reporting_settings(reporting.context)
    regions = 12
    assert regions * (1 + settings.batch_writers) > pool_size
    teams = [await seed_team(reporting, make_token, new_region_id(), size=2) for _ in range(regions)]
    singles = [(member, activity(member)) for team in teams for member in team.members]
    batches = [(team.members[0], [activity(team.members[0]) for _ in range(5)]) for team in teams]

    with connections_in_use(reporting.context.engine) as connections:
        answers = await asyncio.gather(
            *(submit(reporting, member, body) for member, body in singles),
            *(sync(reporting, member, items) for member, items in batches),
        )

    assert all(answer.status_code == 201 for answer in answers[: len(singles)]), answers
    for answer in answers[len(singles) :]:
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 5
    assert connections.most <= pool_size
    stored = {payload["activity_id"] for team in teams for _, payload in await outbox(reporting, team.region)}
    assert stored == {body["activity_id"] for _, body in singles} | {
        item["activity_id"] for _, items in batches for item in items
    }
