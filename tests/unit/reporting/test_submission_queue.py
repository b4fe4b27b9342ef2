"""The group-commit queue of submissions, with a recording writer instead of a database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from services.reporting.service_layer.group_commit import SubmissionQueue
from services.reporting.service_layer.intake_claims import Claim, ClaimResult, ItemOutcome
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind


def _claim(activity_id: str, region: str = "r1", items: int = 1) -> Claim:
    """A claim named ``activity_id`` (its first item's id) of ``items`` items, a batch if more than one."""
    principal = Principal(subject=f"user-{activity_id}", region_id=region, roles=frozenset({Role.EMPLOYEE}))
    activities = [
        ActivityCreate(
            activity_id=activity_id if n == 0 else f"{activity_id}-{n}",
            indicator_id="ind-1",
            occurred_at=datetime.now(UTC),
            quantity=1,
            description="Rapat koordinasi",
        )
        for n in range(items)
    ]
    fields = [(index, activity.__dict__) for index, activity in enumerate(activities)]
    return Claim(principal, f"emp-{activity_id}", fields, None, batch=items > 1)


class RecordingWriter:
    """Remembers each group it was given and the most written at once; refuses any group holding a
    claim named in ``poison``."""

    def __init__(self, poison: frozenset[str] = frozenset(), pause: float = 0.0) -> None:
        self.groups: list[tuple[str, list[str]]] = []
        self.items: list[int] = []  # items of each group
        self.poison = poison
        self.pause = pause
        self.writing = self.most_at_once = 0

    async def __call__(self, region_id: str, claims: Sequence[Claim]) -> list[ClaimResult]:
        ids = [claim.items[0][1]["activity_id"] for claim in claims]
        self.groups.append((region_id, ids))
        self.items.append(sum(len(claim.items) for claim in claims))
        self.writing += 1
        self.most_at_once = max(self.most_at_once, self.writing)
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.writing -= 1
        if self.poison.intersection(ids):
            raise ValueError("refused by the database")
        return [
            ClaimResult([ItemOutcome(index, item["activity_id"], "accepted") for index, item in claim.items])
            for claim in claims
        ]


async def test_a_lone_submission_is_written_at_once_in_a_group_of_its_own() -> None:
    writer = RecordingWriter()
    result = await SubmissionQueue(writer, kind="single").submit(_claim("act00001"))
    assert result.outcomes[0].outcome == "accepted"
    assert writer.groups == [("r1", ["act00001"])]


async def test_submissions_arriving_together_share_groups_and_each_gets_its_own_answer() -> None:
    writer = RecordingWriter(pause=0.01)
    queue = SubmissionQueue(writer, kind="single", writers=1)
    ids = [f"act{n:05}" for n in range(40)]
    results = await asyncio.gather(*(queue.submit(_claim(activity_id)) for activity_id in ids))
    assert [result.outcomes[0].activity_id for result in results] == ids
    assert sorted(i for _, group in writer.groups for i in group) == sorted(ids)
    assert len(writer.groups) < len(ids) / 4, "submissions waiting together are written together"


async def test_one_region_per_transaction() -> None:
    writer = RecordingWriter(pause=0.01)
    queue = SubmissionQueue(writer, kind="single", writers=1)
    claims = [_claim(f"act{n:05}", region=f"r{n % 2}") for n in range(10)]
    await asyncio.gather(*(queue.submit(claim) for claim in claims))
    for region_id, ids in writer.groups:
        assert all(f"r{int(i[3:]) % 2}" == region_id for i in ids)


async def test_a_failing_submission_fails_alone_the_others_are_written_again_in_halves() -> None:
    writer = RecordingWriter(poison=frozenset({"act00003"}), pause=0.01)
    queue = SubmissionQueue(writer, kind="single", writers=1)
    ids = [f"act{n:05}" for n in range(8)]
    results = await asyncio.gather(*(queue.submit(_claim(i)) for i in ids), return_exceptions=True)
    assert isinstance(results[3], ValueError)
    assert all(isinstance(r, ClaimResult) for n, r in enumerate(results) if n != 3)
    assert ("r1", ["act00003"]) in writer.groups
    assert len(writer.groups) < 8


async def test_stopping_mid_write_answers_service_unavailable() -> None:
    writer = RecordingWriter(pause=10)
    queue = SubmissionQueue(writer, kind="single")
    waiting = asyncio.ensure_future(queue.submit(_claim("act00001")))
    await asyncio.sleep(0.01)
    for task in list(queue._running):
        task.cancel()
    with pytest.raises(Refusal) as refused:
        await waiting
    assert refused.value.kind is RefusalKind.UNAVAILABLE


async def test_a_group_is_bounded_by_items_and_a_larger_claim_is_a_group_of_its_own() -> None:
    writer = RecordingWriter(pause=0.01)
    queue = SubmissionQueue(writer, kind="batch", max_items=1000)
    sizes = [500, 300, 300, 200, 1200, 10, 10]
    claims = [_claim(f"act{n:05}", items=size) for n, size in enumerate(sizes)]
    results = await asyncio.gather(*(queue.submit(claim) for claim in claims))
    assert [len(result.outcomes) for result in results] == sizes
    # In order, as many as fit: 500 + 300, 300 + 200, 1,200 alone, 10 + 10.
    assert writer.items == [800, 500, 1200, 20]


async def test_many_batches_at_once_are_written_by_no_more_transactions_than_writers() -> None:
    writer = RecordingWriter(pause=0.01)
    queue = SubmissionQueue(writer, kind="batch", max_items=1000, writers=2)
    claims = [_claim(f"act{n:05}", items=100) for n in range(60)]
    results = await asyncio.gather(*(queue.submit(claim) for claim in claims))
    assert [result.outcomes[0].activity_id for result in results] == [f"act{n:05}" for n in range(60)]
    assert writer.most_at_once == 2
    assert max(writer.items) <= 1000


async def test_stopping_mid_write_of_several_regions_answers_each_service_unavailable() -> None:
    writer = RecordingWriter(pause=10)
    queue = SubmissionQueue(writer, kind="single", writers=1)
    waiting = [asyncio.ensure_future(queue.submit(_claim(f"act0000{n}", region=f"r{n}"))) for n in (1, 2)]
    await asyncio.sleep(0.01)
    assert writer.writing == 2, "one group, a transaction a region at the same time"
    assert sorted(region for region, _ in writer.groups) == ["r1", "r2"]
    for task in list(queue._running):
        task.cancel()
    for pending in waiting:
        with pytest.raises(Refusal) as refused:
            await pending
        assert refused.value.kind is RefusalKind.UNAVAILABLE
    await asyncio.sleep(0)
    assert writer.writing == 0, "no region's transaction is left running"
