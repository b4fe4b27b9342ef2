"""Every collection of Python's garbage collector is observed as a pause of its generation, once
however often the timer is installed."""

from __future__ import annotations

import gc

from shared.observability import GC_PAUSE, time_gc_pauses


def test_a_full_collection_is_observed_once() -> None:
    time_gc_pauses()
    time_gc_pauses()
    full = GC_PAUSE.labels("2")
    before = sum(bucket.get() for bucket in full._buckets)
    gc.collect()
    assert sum(bucket.get() for bucket in full._buckets) == before + 1
    assert full._sum.get() > 0
