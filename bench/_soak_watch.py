"""What the soak watches while it streams: the services' /metrics, and every process's memory and CPU.

Backlog and freshness come from the services' own exports, scraped every few seconds: each
service's consumer group lag (``kinerja_consumer_lag_messages``, summed over its partitions) plus
its outbox rows not yet published (``kinerja_outbox_backlog``), and scoring's event-to-effect
histogram for activity events (``kinerja_event_to_effect_seconds``), differenced between scrapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from bench._soak_postgres import postgres_memory_split
from bench.scoring_consumer_freshness import histogram_quantile
from kinerja.isolated import IsolatedPlatform
from kinerja.services import PROCESS_NAMES, SERVICE_NAMES
from shared.contracts.reporting import ActivityReported

ACTIVITY_TOPIC = ActivityReported.topic
LOAD_GENERATOR = "load generator"


@dataclass
class Scrape:
    """One round of /metrics: each service's backlog (None: it did not answer) and scoring's buckets."""

    backlog: dict[str, int | None] = field(default_factory=dict)
    #: Cumulative counts of scoring's event-to-effect histogram for activity events, by upper bound.
    freshness: dict[float, float] = field(default_factory=dict)
    #: The same of its parts (``EVENT_TO_EFFECT_PARTS``), by part.
    parts: dict[str, Cumulative] = field(default_factory=dict)
    #: Scoring's consumed batches: their times, and their sizes (only the sum and count are used).
    batch_seconds: Cumulative = field(default_factory=lambda: Cumulative())
    batch_events: Cumulative = field(default_factory=lambda: Cumulative())
    #: Each service's collector pauses (``kinerja_gc_pause_seconds``), by generation.
    gc_pauses: dict[str, dict[str, Cumulative]] = field(default_factory=dict)
    #: Why each service that did not answer this round did not (``ReadTimeout``, ``HTTP 500``...).
    unanswered: dict[str, str] = field(default_factory=dict)

    def updated_by(self, newer: Scrape) -> Scrape:
        """This scrape with every service that answered ``newer`` taken from it: a window's figures
        end at each service's last answer, not at nothing when its last scrape went unanswered."""
        answered = {service for service, backlog in newer.backlog.items() if backlog is not None}
        scoring = newer if "scoring" in answered else self
        return Scrape(
            backlog=self.backlog | {service: newer.backlog[service] for service in answered},
            freshness=scoring.freshness,
            parts=scoring.parts,
            batch_seconds=scoring.batch_seconds,
            batch_events=scoring.batch_events,
            gc_pauses=self.gc_pauses | {s: p for s, p in newer.gc_pauses.items() if s in answered},
            unanswered=newer.unanswered,
        )


@dataclass
class Cumulative:
    """A histogram's running counts by upper bound, and its running sum."""

    buckets: dict[float, float] = field(default_factory=dict)
    total: float = 0.0

    @property
    def count(self) -> float:
        return self.buckets.get(math.inf, 0.0)

    def since(self, before: Cumulative) -> tuple[float, float, float, float]:
        """Between two scrapes: observations, mean, p50 and p99 (the last three NaN without any)."""
        count = self.count - before.count
        if count <= 0:
            return 0.0, math.nan, math.nan, math.nan
        return (
            count,
            (self.total - before.total) / count,
            histogram_quantile(0.5, before.buckets, self.buckets),
            histogram_quantile(0.99, before.buckets, self.buckets),
        )


@dataclass(frozen=True)
class Parts:
    """Where scoring's freshness of activity events went in a window: each part's mean and p99 (ms),
    the parts' means adding up to the whole's; and scoring's batches: how many, their mean size,
    and their time's mean, p50 and p99 (ms)."""

    mean_ms: dict[str, float]
    p99_ms: dict[str, float]
    batches: int
    batch_events: float
    batch_ms: tuple[float, float, float]

    @classmethod
    def between(cls, before: Scrape, after: Scrape) -> Parts:
        mean, p99 = {}, {}
        for part, counts in after.parts.items():
            _, part_mean, _, part_p99 = counts.since(before.parts.get(part, Cumulative()))
            mean[part], p99[part] = part_mean * 1000, part_p99 * 1000
        batches, batch_mean, batch_p50, batch_p99 = after.batch_seconds.since(before.batch_seconds)
        _, events, _, _ = after.batch_events.since(before.batch_events)
        return cls(mean, p99, round(batches), events, (batch_mean * 1000, batch_p50 * 1000, batch_p99 * 1000))


@dataclass(frozen=True)
class GcPauses:
    """A process's garbage collector in a window: the time it paused the process, its collections
    of generation 1 and of generation 2, and the longest pause (at most this bucket's bound)."""

    paused_ms: float
    middle: int
    full: int
    longest_ms: float

    @classmethod
    def between(cls, before: dict[str, Cumulative], after: dict[str, Cumulative]) -> GcPauses:
        paused, longest, counts = 0.0, 0.0, {}
        for generation, counts_after in after.items():
            counts_before = before.get(generation, Cumulative())
            count = counts_after.count - counts_before.count
            counts[generation] = round(count)
            if count <= 0:
                continue
            paused += counts_after.total - counts_before.total
            # The first bucket that holds every pause of the window bounds the longest.
            longest = max(
                longest,
                min(
                    bound
                    for bound, total in counts_after.buckets.items()
                    if total - counts_before.buckets.get(bound, 0.0) >= count
                ),
            )
        return cls(paused * 1000, counts.get("1", 0), counts.get("2", 0), longest * 1000)


def freshness_between(before: dict[float, float], after: dict[float, float]) -> tuple[float, float, int]:
    """p50 and p99 (ms) of the activity events applied between two scrapes, and how many there were."""
    events = int(after.get(math.inf, 0.0) - before.get(math.inf, 0.0))
    if not after or events <= 0:
        return math.nan, math.nan, 0
    return (
        histogram_quantile(0.5, before, after) * 1000,
        histogram_quantile(0.99, before, after) * 1000,
        events,
    )


def metrics_parser() -> ProcessPoolExecutor:
    """A process of its own that parses the scrapes.

    The parse is pure Python, 60-110 ms of CPU a scrape (scoring's exposition is long) on the shared
    machine, every 5 s; in a thread of the load generator's process it held the interpreter's lock
    against the generator's event loop, whose requests' latencies count from their schedule.
    """
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


async def scrape(http: httpx.AsyncClient, urls: dict[str, str], parser: Executor) -> Scrape:
    """Every service's /metrics, at once, parsed by ``parser`` (``metrics_parser``)."""

    async def one(service: str) -> tuple[str, str | None, str]:
        try:
            response = await http.get(f"{urls[service]}/metrics")
        except httpx.HTTPError as error:
            return service, None, type(error).__name__
        if response.status_code != 200:
            return service, None, f"HTTP {response.status_code}"
        return service, response.text, ""

    bodies = await asyncio.gather(*(one(name) for name in SERVICE_NAMES))
    return await asyncio.get_running_loop().run_in_executor(parser, _parse, bodies)


def _parse(bodies: list[tuple[str, str | None, str]]) -> Scrape:
    found = Scrape()
    for service, body, failure in bodies:
        if body is None:
            found.backlog[service] = None
            found.unanswered[service] = failure
            continue
        backlog = 0.0
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name in ("kinerja_consumer_lag_messages", "kinerja_outbox_backlog"):
                    backlog += sample.value
                elif sample.name.startswith("kinerja_gc_pause_seconds_"):
                    pauses = found.gc_pauses.setdefault(service, {})
                    generation = pauses.setdefault(sample.labels["generation"], Cumulative())
                    _add(generation, sample.name.rpartition("_")[2], sample.labels, sample.value)
                elif service == "scoring":
                    _scoring_sample(found, sample.name, sample.labels, sample.value)
        found.backlog[service] = round(backlog)
    return found


def _scoring_sample(found: Scrape, name: str, labels: dict[str, str], value: float) -> None:
    family, _, kind = name.rpartition("_")
    if family == "kinerja_consumer_batch_seconds":
        _add(found.batch_seconds, kind, labels, value)
    elif family == "kinerja_consumer_batch_size" and kind != "bucket":
        _add(found.batch_events, kind, labels, value)
    elif labels.get("topic") != ACTIVITY_TOPIC:
        return
    elif name == "kinerja_event_to_effect_seconds_bucket":
        found.freshness[float(labels["le"])] = value
    elif family == "kinerja_event_to_effect_part_seconds":
        _add(found.parts.setdefault(labels["part"], Cumulative()), kind, labels, value)


def _add(counts: Cumulative, kind: str, labels: dict[str, str], value: float) -> None:
    if kind == "bucket":
        counts.buckets[float(labels["le"])] = value
    elif kind == "sum":
        counts.total = value
    elif kind == "count":  # a histogram whose buckets are not read (the batch sizes)
        counts.buckets[math.inf] = value


def process_ids(platform: IsolatedPlatform) -> dict[str, int]:
    """Every process of the platform by name (services, web, broker, PostgreSQL, Redis), and this one."""
    pids = {name: platform.services.processes[name].pid for name in PROCESS_NAMES}
    infrastructure = platform.infrastructure
    if infrastructure.broker.process is not None:
        pids[f"broker ({infrastructure.broker.kind.value})"] = infrastructure.broker.process.pid
    for name in ("postgres", "redis"):
        if name in infrastructure.processes:
            pids[name] = infrastructure.processes[name].pid
    pids[LOAD_GENERATOR] = os.getpid()
    return pids


def memory_mb(pids: dict[str, int]) -> dict[str, float]:
    """Each process's resident memory in MB (RSS); PostgreSQL's by ``postgres_memory``. The load
    generator is left out (it keeps every answered activity for the checks, by design)."""
    sizes: dict[str, float] = {}
    for name, pid in pids.items():
        if name == LOAD_GENERATOR:
            continue
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            if name == "postgres":
                sizes[name] = postgres_memory(process) / 2**20
            else:
                sizes[name] = process.memory_info().rss / 2**20
    return sizes


def postgres_memory(server: psutil.Process) -> int:
    """PostgreSQL's memory in bytes that can grow: what each of its processes holds privately
    outside its main shared memory segment.

    The segment (the shared buffers and the server's fixed tables) is sized at start and never
    grows; counting its pages as processes touch them (PSS or RSS) would read as growth for the
    first many minutes of any run while the buffers fill, which is no leak, and counting it whole
    would hide a leak behind a gigabyte of buffers. A backend's private memory (caches, sorts, a
    plan that leaks) is what can grow without bound, and it is all counted.
    """
    return sum(postgres_memory_split(server).private.values())


def dead_process(platform: IsolatedPlatform) -> str | None:
    """A platform process that has ended (the soak stops then), described, or None."""
    ended = platform.services.exited() or platform.infrastructure.exited()
    return None if ended is None else f"{ended[0]} ended with status {ended[1]}"
