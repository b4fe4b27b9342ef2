"""A batch's deferred work, as handlers see it through their scope: one piece per kind, run once."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import Envelope
from shared.contracts.planning import RegionRegistered
from shared.db import outbox_table
from shared.messaging.scope import Batch
from shared.outbox import OutboxWriter

#: No statement runs in these tests (no event is emitted), so no database is needed.
NO_SESSION = cast(AsyncSession, None)
OUTBOX = OutboxWriter(outbox_table(MetaData()), producer="test")
runs: list[str] = []


class Tally:
    """Deferred work that counts the events that asked for it."""

    def __init__(self, batch: Batch[Any]) -> None:
        self.batch = batch
        self.events = 0

    async def run(self) -> None:
        runs.append(f"tally of {self.events}")
        self.batch.deferred(Late)  # work deferred while finishing runs too


class Late:
    def __init__(self, batch: Batch[Any]) -> None:
        del batch

    async def run(self) -> None:
        runs.append("late")


def envelope(n: int) -> Envelope:
    return Envelope.wrap(RegionRegistered(region_id=f"region-{n}", name="Kota"), producer="test")


async def test_work_of_one_kind_is_made_once_per_batch_and_run_once_when_it_finishes() -> None:
    runs.clear()
    batch: Batch[None] = Batch(NO_SESSION, outbox=OUTBOX)
    for n in range(3):
        batch.scope(envelope(n)).deferred(Tally).events += 1
    assert runs == []
    await batch.finish()
    assert runs == ["tally of 3", "late"]
    await batch.finish()
    assert runs == ["tally of 3", "late"]


async def test_a_discarded_events_work_never_runs() -> None:
    runs.clear()
    batch: Batch[None] = Batch(NO_SESSION, outbox=OUTBOX)
    batch.scope(envelope(1)).deferred(Tally).events += 1
    batch.discard()
    await batch.finish()
    assert runs == []


def test_the_replay_backlog_reaches_every_handler_of_the_batch() -> None:
    backlog = ["replay's store"]
    batch = Batch(NO_SESSION, outbox=OUTBOX, replay_backlog=backlog)
    assert batch.scope(envelope(1)).replay_backlog is backlog
    assert Batch(NO_SESSION, outbox=OUTBOX).scope(envelope(2)).replay_backlog is None
