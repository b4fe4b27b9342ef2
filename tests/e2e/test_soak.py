"""The soak benchmark's smoke run: ``bench.soak --quick`` as a person runs it (about 20 s of stream at
a low rate on a platform of its own), then the shape of its report and that nothing was lost.

The figures themselves are not asserted (a loaded machine misses the targets): only that every
window, service and process is reported, that every target is judged, and that every activity
answered 2xx reached reporting and scoring exactly once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kinerja.services import PROCESS_NAMES, SERVICE_NAMES

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_a_quick_soak_reports_every_window_and_loses_nothing(tmp_path: Path) -> None:
    report_path = tmp_path / "soak.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--quick", "--json", str(report_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    report = json.loads(report_path.read_text())

    windows = report["windows"]
    assert [window["number"] for window in windows] == [1, 2]
    assert sum(window["requests"] for window in windows) > 100
    for window in windows:
        assert window["activities"] > 0
        assert window["freshness_events"] > 0
        assert set(window["backlog"]) == set(SERVICE_NAMES)
        assert all(backlog >= 0 for backlog in window["backlog"].values()), window["backlog"]
        memory = window["memory_mb"]
        assert set(PROCESS_NAMES) | {"postgres", "redis"} <= set(memory)
        assert any(name.startswith("broker (") for name in memory)
        assert all(size > 0 for size in memory.values())
        assert "load generator" in window["cores"]
        # PostgreSQL's processes by kind: each service's connections by their application name.
        postgres = window["postgres"]
        assert {"reporting", "scoring", "postmaster"} <= set(postgres["private_mb"]), postgres
        assert postgres["cores"]["reporting"] > 0
        assert postgres["processes"]["reporting"] >= 1
        assert 0 < postgres["largest_mb"]["reporting"] <= postgres["private_mb"]["reporting"]
        # Where freshness went: every part, and scoring's batches.
        parts = window["parts"]
        assert set(parts["mean_ms"]) == {"relay", "broker", "waiting", "applying"}, parts
        assert parts["batches"] > 0
        assert parts["batch_events"] >= 1
        # What PostgreSQL wrote, and each service's garbage collector (installed at start).
        assert window["server"]["wal_bytes"] > 0
        assert set(window["gc"]) == set(SERVICE_NAMES), window["gc"]

    assert report["stream_seconds"] >= 20
    assert report["activities_after_windows"] >= 0
    assert report["checked"] >= sum(window["accepted"] for window in windows) > 0
    assert report["lost"] == 0
    assert report["counted_twice"] == 0
    assert report["drained_in"] is not None
    assert report["violations"] == []

    # PostgreSQL's statements over the stream, the costliest first: the activities' insert among them.
    statements = report["statements"]
    assert statements
    assert statements[0]["total_ms"] >= statements[-1]["total_ms"]
    assert any("INSERT INTO activities" in statement["query"] for statement in statements)
    assert report["sessions"] >= 0

    targets = [judgement["target"] for judgement in report["verdict"]]
    for wanted in (
        "no failed request",
        "freshness p99",
        "p99 latency flat",
        "no backlog growth",
        "memory of",
    ):
        assert any(target.startswith(wanted) for target in targets), (wanted, targets)
    assert sum(target.startswith("memory of") for target in targets) == len(windows[0]["memory_mb"])
    assert next(j for j in report["verdict"] if j["target"].startswith("nothing lost"))["met"]
    printed = run.stdout
    assert "verdict (baseline: the first window of this run):" in printed
    assert "freshness p50/p99 ms" in printed
    assert "PostgreSQL's processes by kind" in printed
    assert "where freshness went" in printed
    assert "PostgreSQL's statements over the stream" in printed
