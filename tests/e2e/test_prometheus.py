"""A real Prometheus (Debian's package) scraping the four services on real infrastructure.

After a short journey (a plan, an activity, a survey, a complaint that passes its deadline), the
test asks Prometheus' HTTP API whether every service is scraped, the key series hold the values
the journey implies, the alert rules evaluate, and every expression of the Grafana dashboards and
alert rules parses and names series that exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja.platform import ServiceProcesses
from kinerja.services import SERVICE_NAMES
from shared.settings import ServiceSettings
from tests.conftest import wait_until
from tests.contract.compose_files import dashboard_expressions, dashboards
from tests.contract.test_alert_rules import RULES_DIR, alert_rules
from tests.e2e.journey import first_journey, running_platform, url
from tests.prometheus_tools import promtool, running_prometheus

pytestmark = pytest.mark.e2e

COMPLAINT = {"description": "Antrean KTP-el tidak bergerak selama tiga jam tanpa penjelasan petugas."}
#: Grafana's variables, as "All" and a rate window the 1 s scrapes fill.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$service": ".*", "$region": ".*"}
#: Moves a region's complaint deadlines a minute into the past.
OVERDUE = text("UPDATE feedback.complaints SET due_at = now() - interval '1 minute' WHERE region_id = :r")
METRIC_NAME = re.compile(r"\b(kinerja_[a-z0-9_]+|up)\b")


@pytest.fixture(scope="module")
def platform(infrastructure: Any, data_dir: Path) -> Iterator[ServiceProcesses]:
    with pytest.MonkeyPatch.context() as patch:
        # Earlier tests' citizens filled 127.0.0.1's rate-limit window in the shared Redis; this
        # journey's survey and complaint are not about limits.
        patch.setenv("KINERJA_PUBLIC_WRITES_PER_ADDRESS", "100000")
        yield from running_platform(data_dir)


@pytest.fixture(scope="module")
def prometheus(platform: ServiceProcesses, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    targets = {name: f"127.0.0.1:{platform.ports[name]}" for name in SERVICE_NAMES}
    with running_prometheus(
        tmp_path_factory.mktemp("prometheus"), targets, sorted(RULES_DIR.glob("*.yml"))
    ) as base_url:
        yield base_url


async def query(prometheus: str, expression: str) -> list[dict[str, Any]]:
    """An instant query's result; fails the test with Prometheus' own error when it does not parse."""
    async with httpx.AsyncClient(timeout=10) as http:
        body = (await http.get(f"{prometheus}/api/v1/query", params={"query": expression})).json()
    assert body["status"] == "success", f"{expression}: {body.get('error')}"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def value_of(prometheus: str, expression: str) -> float | None:
    """The single value of an instant query, or None when it has no result yet."""
    result = await query(prometheus, expression)
    return float(result[0]["value"][1]) if result else None


async def file_overdue_complaint(platform: ServiceProcesses, region: str, unit_id: str) -> None:
    """A citizen's complaint whose deadline is moved into the past (time is never waited for)."""
    async with httpx.AsyncClient(timeout=10) as http:
        filed = await http.post(
            url(platform, "feedback", f"/v1/public/regions/{region}/complaints"),
            json={**COMPLAINT, "unit_id": unit_id},
        )
    assert filed.status_code == 201, filed.text
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.begin() as connection:
            # Row-level security binds the owner too: the transaction names the region.
            await connection.execute(text("SELECT set_config('app.region_id', :r, true)"), {"r": region})
            await connection.execute(
                text(
                    "UPDATE feedback.complaints SET due_at = now() - interval '1 minute' WHERE region_id = :r"
                ),
                {"r": region},
            )
    finally:
        await engine.dispose()


async def test_prometheus_scrapes_every_service_and_every_query_names_real_series(
    platform: ServiceProcesses, prometheus: str, make_token: Any
) -> None:
    journey = await first_journey(platform, make_token)
    await file_overdue_complaint(platform, journey.region, journey.unit_id)
    region = f'region="{journey.region}"'

    async def scraped() -> bool:
        return all([await value_of(prometheus, f'up{{job="{name}"}}') == 1 for name in SERVICE_NAMES])

    await wait_until(scraped, timeout=30, interval=0.5)

    # What the journey implies (the complaint gauges are counted every 15 s, breaches every scan).
    expected = {
        f'kinerja_reporting_activities_total{{{region}, outcome="accepted"}}': 1,
        f"kinerja_feedback_survey_responses_total{{{region}}}": 1,
        f"kinerja_feedback_complaints_filed_total{{{region}}}": 1,
        f"kinerja_feedback_complaints_open{{{region}}}": 1,
        f"kinerja_feedback_complaints_past_deadline{{{region}}}": 1,
        f"sum(kinerja_feedback_complaint_deadline_breaches_total{{{region}}})": 1,
        'sum(kinerja_consumer_lag_messages{group="kinerja-scoring"})': 0,
        'min(kinerja_ready{job=~"planning|reporting|scoring|feedback"})': 1,
        'count(kinerja_build_info{job=~"planning|reporting|scoring|feedback"})': 4,
    }

    async def seen() -> dict[str, float | None]:
        return {expression: await value_of(prometheus, expression) for expression in expected}

    async def journey_visible() -> bool:
        return await seen() == expected

    try:
        await wait_until(journey_visible, timeout=90, interval=1)
    except AssertionError:
        pytest.fail(f"expected {expected}, Prometheus has {await seen()}")
    assert (await value_of(prometheus, 'sum(kinerja_events_consumed_total{job="scoring"})') or 0) >= 3
    assert (await value_of(prometheus, 'sum(kinerja_events_published_total{job="planning"})') or 0) >= 3
    # Scrapes are counted, never timed.
    assert await value_of(prometheus, 'sum(kinerja_http_requests_total{route="/metrics"})')
    assert await value_of(prometheus, 'kinerja_http_request_duration_seconds_count{route="/metrics"}') is None

    # Every expression of the dashboards (with Grafana's variables) and of the alert rules parses,
    # and every metric it names has series; so do the metrics of the dashboards' variables.
    expressions = {
        f"dashboard {name}: {expression}": expression
        for name, dashboard in dashboards().items()
        for expression in dashboard_expressions(dashboard)
    } | {f"alert {rule['alert']}": rule["expr"] for rule in alert_rules()}
    variables = {
        f"dashboard {name} variable {variable['name']}": variable["definition"]
        for name, dashboard in dashboards().items()
        for variable in dashboard.get("templating", {}).get("list", [])
    }
    missing: list[str] = []
    for where, expression in (expressions | variables).items():
        for variable, replacement in GRAFANA_VARIABLES.items():
            expression = expression.replace(variable, replacement)
        if where in expressions:
            await query(prometheus, expression)
        for name in sorted(set(METRIC_NAME.findall(expression))):
            if not await query(prometheus, f'count({{__name__="{name}"}})'):
                missing.append(f"{where}: {name}")
    assert not missing, "queries naming series that do not exist:\n" + "\n".join(missing)

    async with httpx.AsyncClient(timeout=10) as http:
        groups = (await http.get(f"{prometheus}/api/v1/rules")).json()["data"]["groups"]
        expositions = {name: (await http.get(url(platform, name, "/metrics"))).text for name in SERVICE_NAMES}
    loaded = {rule["name"]: rule for group in groups for rule in group["rules"]}
    assert set(loaded) == {rule["alert"] for rule in alert_rules()}
    unhealthy = {name: rule.get("lastError") for name, rule in loaded.items() if rule["health"] != "ok"}
    assert not unhealthy, unhealthy

    # What the running processes export passes Prometheus' own checker.
    for name, exposition in expositions.items():
        checked = promtool("check", "metrics", stdin=exposition)
        assert checked.returncode == 0, f"{name}: {checked.stdout}{checked.stderr}"
