"""Group commit for submissions: whatever arrives while a group is being written is the next.

One transaction per region holds a group's submissions, and each request is answered only after
that transaction committed; a group that fails is written again in halves, so one request's
failure never fails another's (the writing itself: ``intake.group_writer``). Single submissions
and batch syncs have a queue each (``entrypoints.dependencies``): a single one need not wait
behind a group of batches of hundreds of items.

The writers bound how many transactions, and so pool connections, a queue has open at once: each
connection PostgreSQL's backend serves grows by ~3.4 MB at its first use and keeps it, so
concurrency that is not bounded is memory that is not (bench/README.md, session 20).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

from services.reporting.metrics import SUBMISSION_GROUP_SIZE
from services.reporting.service_layer.intake import WriteGroup
from services.reporting.service_layer.intake_claims import Claim, ClaimResult
from shared.refusals import Refusal, RefusalKind

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Waiting:
    claim: Claim
    answer: asyncio.Future[ClaimResult]


class SubmissionQueue:
    """Group commit: whatever arrived while a group was written is the next group.

    ``write`` opens, fills and commits one transaction for one region's claims. At most
    ``writers`` groups are written at once, each a transaction a region. A group takes the claims
    that waited, in order, up to ``max_claims`` of them and ``max_items`` items in all (a claim
    larger than that is a group of its own): a batch holds up to 500 items, and a transaction
    holding many batches would lock their rows and hold their answers for all of its time.
    """

    def __init__(
        self,
        write: WriteGroup,
        *,
        kind: Literal["single", "batch"],
        max_claims: int = 256,
        max_items: int = 1000,
        writers: int = 1,
    ) -> None:
        self._write = write
        self._group_sizes = SUBMISSION_GROUP_SIZE.labels(kind)
        self._max_claims = max_claims
        self._max_items = max_items
        self._writers = writers
        self._waiting: list[_Waiting] = []
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, claim: Claim) -> ClaimResult:
        """The claim's outcomes once the transaction that wrote it committed."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(claim, loop.create_future())
        self._waiting.append(waiting)
        if len(self._running) < self._writers:
            task = loop.create_task(self._drain())
            self._running.add(task)
        return await waiting.answer

    async def _drain(self) -> None:
        try:
            while self._waiting:
                group = self._next_group()
                by_region: dict[str, list[_Waiting]] = {}
                for waiting in group:
                    by_region.setdefault(waiting.claim.principal.region, []).append(waiting)
                await self._write_regions(by_region)
        finally:
            # Leave the running set in the same step as the last look at the queue (no await in
            # between): a submission queued after that look then starts a writer of its own.
            current = asyncio.current_task()
            if current is not None:
                self._running.discard(current)

    async def _write_regions(self, by_region: dict[str, list[_Waiting]]) -> None:
        """Each region's transaction on its own connection, at the same time; the first in this
        writer's own task. In a task of its own it waited a turn of the event loop to start and the
        writer another to learn it had ended, each behind whatever requests were parsed meanwhile
        (~4 ms a batch of 500): two of a group's six turns, the writer's place held all along."""
        (region_id, members), *others = by_region.items()
        if not others:
            await self._write_members(region_id, members)
            return
        rest = asyncio.gather(*(self._write_members(r, m) for r, m in others))
        try:
            await self._write_members(region_id, members)
        except BaseException:
            rest.cancel()  # stopping: the others are cancelled too, as gathering them all did
            raise
        await rest

    def _next_group(self) -> list[_Waiting]:
        """The first waiting claims, within both bounds; at least one."""
        items = taken = 0
        for waiting in self._waiting[: self._max_claims]:
            items += len(waiting.claim.items)
            if taken and items > self._max_items:
                break
            taken += 1
        group, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return group

    async def _write_members(self, region_id: str, members: list[_Waiting]) -> None:
        self._group_sizes.observe(len(members))
        try:
            results = await self._write(region_id, [waiting.claim for waiting in members])
        except asyncio.CancelledError:
            for waiting in members:
                _fail(waiting, _STOPPING)
            raise
        except Exception as exc:
            if len(members) == 1:
                _fail(members[0], exc)
                return
            # One request's failure must not fail the others: each half is written again on its own,
            # so a bad request ends up alone after a few halvings and the rest is committed.
            log.warning(
                "submission group failed; writing it again in halves",
                extra={"fields": {"size": len(members), "error": repr(exc)[:200]}},
            )
            half = len(members) // 2
            await self._write_members(region_id, members[:half])
            await self._write_members(region_id, members[half:])
            return
        for waiting, result in zip(members, results, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(result)


_STOPPING = Refusal(
    "service_stopping", "The service is stopping; send the activity again.", kind=RefusalKind.UNAVAILABLE
)


def _fail(waiting: _Waiting, exc: BaseException) -> None:
    if not waiting.answer.done():
        waiting.answer.set_exception(exc)
