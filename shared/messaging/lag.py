"""Consumer lag per group and partition, in events and in seconds, computed when Prometheus scrapes.

A stalled consumer records nothing, so lag cannot be a value set when events are applied: each
consumer keeps its partitions' progress here (where each ends, how far it has applied, when the
waiting events were written) and the collector turns it into lag at every scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


@dataclass(slots=True)
class PartitionProgress:
    """What a consumer group knows of one partition: where it ends and how far it has applied."""

    end_offset: int | None = None
    next_offset: int | None = None
    #: When the newest applied event was written (the record's timestamp, Unix seconds).
    applied_written_at: float | None = None
    #: When the oldest event fetched but not yet applied was written (None when none waits).
    pending_written_at: float | None = None

    def lag_messages(self) -> int | None:
        if self.end_offset is None or self.next_offset is None:
            return None
        return max(self.end_offset - self.next_offset, 0)

    def lag_seconds(self, now: float) -> float | None:
        """How far behind in time: 0 when caught up, else the age of the oldest event not applied.

        The oldest waiting event's age is known once it is fetched; until then (it is still on the
        broker) the newest applied event's age stands for it, an upper bound that grows while the
        consumer stalls, which is what an alert needs.
        """
        messages = self.lag_messages()
        if messages is None:
            return None
        if self.pending_written_at is not None:
            return max(now - self.pending_written_at, 0.0)
        if messages == 0:
            return 0.0
        if self.applied_written_at is None:
            return None
        return max(now - self.applied_written_at, 0.0)


class LagTracker:
    """One consumer's progress per (topic, partition), exported as lag by ``LagCollector``."""

    def __init__(self, group: str, clock: Callable[[], float] = time.time) -> None:
        self.group = group
        self.clock = clock
        self.partitions: dict[tuple[str, int], PartitionProgress] = {}
        self._lock = threading.Lock()  # a scrape may run in another thread
        _trackers.add(self)

    def _progress(self, topic: str, partition: int) -> PartitionProgress:
        return self.partitions.setdefault((topic, partition), PartitionProgress())

    def ends(self, offsets: Iterable[tuple[str, int, int]]) -> None:
        """The partitions' end offsets (the offset the next event written will take)."""
        with self._lock:
            for topic, partition, end in offsets:
                self._progress(topic, partition).end_offset = end

    def starts(self, offsets: Iterable[tuple[str, int, int]]) -> None:
        """Where the group resumes on partitions it has applied nothing of in this process."""
        with self._lock:
            for topic, partition, offset in offsets:
                progress = self._progress(topic, partition)
                if progress.next_offset is None:
                    progress.next_offset = offset

    def fetched(self, topic: str, partition: int, first_written_at: float) -> None:
        """A batch of the partition waits to be applied; its first event was written then."""
        with self._lock:
            progress = self._progress(topic, partition)
            if progress.pending_written_at is None:
                progress.pending_written_at = first_written_at

    def applied(self, topic: str, partition: int, next_offset: int, last_written_at: float) -> None:
        """The partition's events before ``next_offset`` are applied, the last written then."""
        with self._lock:
            progress = self._progress(topic, partition)
            progress.next_offset = next_offset
            progress.applied_written_at = last_written_at
            progress.pending_written_at = None
            if progress.end_offset is not None and progress.end_offset < next_offset:
                progress.end_offset = next_offset

    def forget(self, keep: set[tuple[str, int]]) -> None:
        """Drop partitions no longer assigned to this consumer (another instance reports them)."""
        with self._lock:
            for key in set(self.partitions) - keep:
                del self.partitions[key]

    def samples(self) -> list[tuple[str, int, int | None, float | None]]:
        """(topic, partition, lag in messages, lag in seconds) of every known partition."""
        now = self.clock()
        with self._lock:
            return [
                (topic, partition, progress.lag_messages(), progress.lag_seconds(now))
                for (topic, partition), progress in sorted(self.partitions.items())
            ]


_trackers: weakref.WeakSet[LagTracker] = weakref.WeakSet()


class LagCollector(Collector):
    """``kinerja_consumer_lag_messages`` and ``kinerja_consumer_lag_seconds`` per group and partition."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        labels = ["group", "topic", "partition"]
        messages = GaugeMetricFamily(
            "kinerja_consumer_lag_messages", "Events of a partition not yet applied", labels=labels
        )
        seconds = GaugeMetricFamily(
            "kinerja_consumer_lag_seconds",
            "Age of the oldest event of a partition not yet applied (0 when caught up)",
            labels=labels,
        )
        for tracker in list(_trackers):
            for topic, partition, lag, age in tracker.samples():
                values = [tracker.group, topic, str(partition)]
                if lag is not None:
                    messages.add_metric(values, lag)
                if age is not None:
                    seconds.add_metric(values, age)
        yield messages
        yield seconds


#: How often a consumer asks the broker where its partitions end (a stalled consumer keeps asking).
LAG_REFRESH_SECONDS = 5.0


async def refresh_lag(consumer: AIOKafkaConsumer, tracker: LagTracker) -> None:
    """Ask the broker where the assigned partitions end, and the group where it resumes on new ones."""
    assigned = consumer.assignment()
    tracker.forget({(tp.topic, tp.partition) for tp in assigned})
    if not assigned:
        return
    ends = await consumer.end_offsets(list(assigned))
    tracker.ends((tp.topic, tp.partition, end) for tp, end in ends.items())
    unknown = [tp for tp in assigned if tracker.partitions[(tp.topic, tp.partition)].next_offset is None]
    if not unknown:
        return
    beginnings = await consumer.beginning_offsets(unknown)
    starts = []
    for tp in unknown:
        committed = await consumer.committed(tp)
        starts.append((tp.topic, tp.partition, beginnings[tp] if committed is None else committed))
    tracker.starts(starts)


async def keep_lag_fresh(consumer: AIOKafkaConsumer, tracker: LagTracker, stop: asyncio.Event) -> None:
    """Refresh every ``LAG_REFRESH_SECONDS`` until stopped, beside the consumer's own loop."""
    while not stop.is_set():
        try:
            await refresh_lag(consumer, tracker)
        except Exception as exc:  # the broker is away: the lag keeps its last values and its age grows
            log.debug("lag refresh failed", extra={"fields": {"error": repr(exc)[:200]}})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=LAG_REFRESH_SECONDS)


REGISTRY.register(LagCollector())
