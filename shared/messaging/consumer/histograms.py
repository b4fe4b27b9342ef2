"""A batch's observations of one Prometheus histogram, recorded at once."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from functools import partial

from prometheus_client import Histogram


def observe_all(histogram: Histogram, amounts: Sequence[float]) -> None:
    """What ``histogram.observe`` of each amount records, with each bucket's count and the sum
    incremented once.

    ``observe`` takes a lock and walks the buckets per amount: the consumer observed five
    histograms an event (its time to effect and the four parts), 8 µs an event on the 2-core
    machine. The fields set here are the ones ``observe`` sets (prometheus_client has no public
    way to observe many amounts); ``tests/unit/shared/test_histogram_observe_all.py`` checks that
    both write the same samples.
    """
    if not amounts:
        return
    histogram._sum.inc(sum(amounts))
    # An amount belongs to the first bucket whose upper bound it does not exceed (the last is +Inf);
    # the buckets found and counted in C (a generator's step was most of an amount's cost).
    buckets = map(partial(bisect_left, histogram._upper_bounds), amounts)
    for bucket, count in Counter(buckets).items():
        histogram._buckets[bucket].inc(count)
