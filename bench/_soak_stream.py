"""The soak's stream: activities reported at a steady rate, singles and offline-sync batches side by side.

``bench.soak`` drives it for the soak's length and differences ``Stream.counts`` per window.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import cast

import httpx

from bench._http import RawClient
from kinerja.simulate import ActivityFactory, Ledger, Outcome, Population, Submitter
from kinerja.simulate.pacing import open_loop
from kinerja.simulate.progress import NoProgress


@dataclasses.dataclass
class Stream:
    """The two kinds of requests of the stream, each tallied on its own."""

    single: Outcome = dataclasses.field(default_factory=Outcome)
    batch: Outcome = dataclasses.field(default_factory=Outcome)

    def counts(self) -> dict[str, int]:
        """Running totals, differenced per window."""
        both = (self.single, self.batch)
        return {
            "requests": sum(o.requests for o in both),
            "activities": sum(o.activities for o in both),
            "accepted": sum(o.accepted + o.duplicates for o in both),
            "failed": sum(o.failed for o in both),
            "refused": sum(o.rejected for o in both),
            "behind_schedule": sum(o.behind_schedule for o in both),
            "single_latencies": len(self.single.latencies),
            "batch_latencies": len(self.batch.latencies),
        }


async def drive(
    reporting_url: str, population: Population, ledger: Ledger, stream: Stream, args: argparse.Namespace
) -> None:
    """Report activities at the asked rate for the whole soak, singles and batches side by side."""
    seconds = args.minutes * 60
    loops: list[Awaitable[None]] = []

    def loop(
        rate: float, per_request: int, outcome: Outcome, send: Callable[[float], Awaitable[object]]
    ) -> None:
        if rate <= 0:
            return
        loops.append(
            open_loop(
                send,
                interval=per_request / rate,
                total_requests=max(1, round(rate * seconds / per_request)),
                concurrency=args.concurrency,
                outcome=outcome,
                progress=NoProgress(),
                per_request=per_request,
            )
        )

    singles_client = RawClient(reporting_url, connections=args.concurrency)
    batches_client = RawClient(reporting_url, connections=args.concurrency)
    singles = ActivityFactory(population, duplicate_ratio=args.duplicates, seed=args.seed)
    batches = ActivityFactory(population, duplicate_ratio=args.duplicates, seed=args.seed + 1)
    single_submitter = Submitter(cast(httpx.AsyncClient, singles_client), stream.single, ledger)
    batch_submitter = Submitter(cast(httpx.AsyncClient, batches_client), stream.batch, ledger)

    def send_single(scheduled: float) -> Awaitable[object]:
        employee, body = singles.next_single()
        return single_submitter.single(employee, body, scheduled)

    def send_batch(scheduled: float) -> Awaitable[object]:
        employee, items = batches.next_batch(args.batch)
        return batch_submitter.batch(employee, items, scheduled)

    loop(args.rate * args.single_share, 1, stream.single, send_single)
    loop(args.rate * (1 - args.single_share), args.batch, stream.batch, send_batch)
    try:
        await asyncio.gather(*loops)
    finally:
        for client in (singles_client, batches_client):
            await client.__aexit__(None, None, None)
