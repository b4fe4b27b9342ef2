"""A test that settles the collector as a service does leaves the next test Python's thresholds.

The two cases run in this order (pytest keeps a file's order): the second fails without the
``collector_thresholds_restored`` fixture of ``tests/conftest.py``.
"""

from __future__ import annotations

import gc

from shared.wiring import GC_THRESHOLDS, settle_garbage_collector

#: Taken when pytest collects this file, before any test runs.
_PYTHONS_THRESHOLDS = gc.get_threshold()


def test_a_service_settles_the_collector_for_its_process() -> None:
    settle_garbage_collector()
    assert gc.get_threshold() == GC_THRESHOLDS


def test_the_next_test_finds_pythons_thresholds() -> None:
    assert gc.get_threshold() == _PYTHONS_THRESHOLDS
