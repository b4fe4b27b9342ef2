"""A batch's observations recorded at once write what observing each amount writes."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry, Histogram

from shared.messaging.consumer.histograms import observe_all

BUCKETS = (0.005, 0.01, 0.5, 0.75, 1.0, 1.5, 2.0)


def samples(histogram: Histogram) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in histogram.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
    }


def test_observing_a_batch_at_once_writes_the_samples_of_observing_each_amount() -> None:
    # Amounts on the bounds, between them, above the last and zero: each falls where observe puts it.
    amounts = [0.0, 0.005, 0.0051, 0.5, 0.74, 2.0, 2.5, 30.0] + [random.uniform(0, 3) for _ in range(500)]
    one_by_one = Histogram("by_one", "", ["topic"], buckets=BUCKETS, registry=CollectorRegistry())
    at_once = Histogram("by_one", "", ["topic"], buckets=BUCKETS, registry=CollectorRegistry())
    for amount in amounts:
        one_by_one.labels("t").observe(amount)
    observe_all(at_once.labels("t"), amounts[:100])
    observe_all(at_once.labels("t"), amounts[100:])
    observe_all(at_once.labels("t"), [])
    # The sums differ in the last bits only: added in another order.
    assert samples(at_once) == pytest.approx(samples(one_by_one), rel=1e-12)
