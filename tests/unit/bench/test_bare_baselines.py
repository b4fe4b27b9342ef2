"""The benchmarks' bare apps are configured as the services' applications are, so a ratio against
them measures the platform's own work, not a framework setting one side has and the other lacks."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

from bench import bare_api, scoring_reads_bare
from shared.http import create_app


def native_telemetry_on(app: FastAPI) -> bool:
    # With any kind on, FastAPI asks its OpenTelemetry providers once a request (even unconfigured).
    return any(app._telemetry[kind] for kind in ("tracing", "metrics", "logs"))


def test_the_services_and_both_bare_apps_run_without_native_telemetry(tmp_path: Path) -> None:
    samples = tmp_path / "samples.json"
    samples.write_text(json.dumps({"scorecard": [], "unit dashboard": [], "region dashboard": []}))
    service = create_app(title="t", description="d", routers=[], readiness_checks={})

    assert not native_telemetry_on(service)
    assert not native_telemetry_on(bare_api.app)
    assert not native_telemetry_on(scoring_reads_bare.bare_app(samples))
