"""Scoring reads: an employee's scorecard and a unit's dashboard, at the scale of a province.

Target (issue #6): p99 at most 50 ms for either read, with views over 100,000 employees and
10 million activities. The scoring service runs as its own process (API only, one uvicorn worker);
its view tables are filled directly with set-based SQL (``generate_series``, as the schema's owner)
the way the consumer would leave them: several regions, units of 400 employees (teams of 20 under
a rater, a head per unit), one approved plan with three indicators per employee, activities spread
over the indicators and quarters, their progress rows (per quarter and per year), the employee
summaries with proposals, behaviour assessments, some decisions, a closed quarter, satisfaction
indices, complaint breaches and field visits.

Measured with a lean keep-alive HTTP client (region-admin tokens, so the dashboard carries the
unit's full ranking), for random employees/units and periods:
- throughput with many connections (closed loop);
- p50/p99 at a fixed request rate (open loop, latency from each request's scheduled start), half
  the service's measured throughput, so the figure is latency rather than queueing;
each beside a baseline measured in the same run: a bare FastAPI app (one worker, same uvicorn
settings) answering the same routes with the same response models, filled from responses the
service gave (so the JSON is the same size), without token, database or queries.

    .venv/bin/python -m bench.scoring_reads --quick          # 10,000 employees, 1M activities
    .venv/bin/python -m bench.scoring_reads                  # 100,000 employees, 10M activities
    .venv/bin/python -m bench.scoring_reads --quick --explain  # also EXPLAIN ANALYZE the reads' SQL

To measure the full size more than once without filling it each time (about 5 minutes), keep the
infrastructure running yourself, point ``KINERJA_DATABASE_URL``, ``KINERJA_DATABASE_ADMIN_URL``,
``KINERJA_KAFKA_BOOTSTRAP_SERVERS`` and ``KINERJA_REDIS_URL`` at it and pass ``--reuse-views``: the
first run fills, later runs find the views filled at that scale. ``--seed`` picks other employees
(rows no earlier run read, so not warm in any cache); ``--scorecard-only`` skips the dashboard.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import pstats
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine

from bench._http import RawClient
from bench._platform import (
    ROOT,
    BenchPlatform,
    CpuMeter,
    figure,
    machine_line,
    process_ids,
    run_on_platform,
    stage,
)
from kinerja import infra
from kinerja.simulate import TokenMint
from services.scoring.service_layer.queries import dashboards, scorecards
from shared.auth import Role

P99_TARGET_MS = 50.0
EMPLOYEES_PER_UNIT = 400
TEAM_SIZE = 20
INDICATORS_PER_PLAN = 3
QUARTER_TARGET = 120


# --- filling the views -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How big the filled views are."""

    employees: int
    activities_per_employee: int
    regions: int
    year: int

    @property
    def units(self) -> int:
        return max(1, self.employees // EMPLOYEES_PER_UNIT)

    @property
    def quarters(self) -> list[str]:
        return [f"{self.year}-Q{q}" for q in range(1, 5)]

    def region_of_unit(self, unit: int) -> str:
        return f"bench-r{unit % self.regions}"

    def unit_of_employee(self, employee: int) -> int:
        return min(employee // EMPLOYEES_PER_UNIT, self.units - 1)


def fill_statements(scale: Scale) -> list[tuple[str, str]]:
    """(what, SQL) in order; every value derives from the employee's number, so runs are repeatable."""
    n, per_unit, regions, y = scale.employees, EMPLOYEES_PER_UNIT, scale.regions, scale.year
    last_unit = scale.units - 1
    unit_of = f"least(g / {per_unit}, {last_unit})"
    region_of = f"'bench-r' || ({unit_of} % {regions})"
    targets = ", ".join(f"'{key}', '{QUARTER_TARGET}'" for key in scale.quarters)
    number = "substr(employee_id, 2)::int"
    behaviour_scores = (
        f"jsonb_build_object('BERORIENTASI_PELAYANAN', 3 + {number} % 2, 'AKUNTABEL', 3, 'KOMPETEN', 3,"
        f" 'HARMONIS', 3, 'LOYAL', 4, 'ADAPTIF', 3, 'KOLABORATIF', 3 + {number} % 3 / 2)"
    )
    reasons = json.dumps(
        [
            {
                "code": "MEETS_ACHIEVEMENT",
                "required": "0.8000",
                "actual": None,
                "satisfied": True,
                "message_en": "Achievement at or above the threshold for Meets.",
                "message_id": "Capaian mencapai ambang Sesuai Ekspektasi.",
            },
            {
                "code": "ABOVE_VERIFIED_SHARE",
                "required": "0.5000",
                "actual": None,
                "satisfied": True,
                "message_en": "Enough of the evidence is verified.",
                "message_id": "Bukti terverifikasi mencukupi.",
            },
        ]
    )
    return [
        (
            "region settings",
            f"INSERT INTO region_settings SELECT 'bench-r' || r, 'Asia/Jakarta', 'QUARTERLY'"
            f" FROM generate_series(0, {regions - 1}) r",
        ),
        (
            "units",
            "INSERT INTO units (unit_id, region_id, name, organisation_predicate, stamp_at, last_event_id)"
            f" SELECT 'u' || u, 'bench-r' || (u % {regions}), 'Dinas ' || u,"
            " (ARRAY['ISTIMEWA','BAIK','BAIK','BUTUH_PERBAIKAN','KURANG'])[1 + u % 5], now(), 'ev-unit-' || u"
            f" FROM generate_series(0, {last_unit}) u",
        ),
        (
            "employees",
            "INSERT INTO employees (employee_id, region_id, name, unit_id, position, job_type,"
            " supervisor_id, effective_from, stamp_at, last_event_id)"
            f" SELECT 'e' || g, {region_of}, 'Pegawai ' || g, 'u' || {unit_of},"
            f" CASE WHEN g % {per_unit} = 0 THEN 'Kepala Dinas' WHEN g % {TEAM_SIZE} = 0 THEN 'Kepala Seksi'"
            " ELSE 'Petugas Layanan' END,"
            f" CASE WHEN g % {per_unit} = 0 THEN 'head'"
            " ELSE (ARRAY['registrar','clerk','analyst'])[1 + g % 3]"
            " END,"
            f" CASE WHEN g % {per_unit} = 0 THEN NULL WHEN g % {TEAM_SIZE} = 0"
            f" THEN 'e' || ({unit_of} * {per_unit}) ELSE 'e' || (g - g % {TEAM_SIZE}) END,"
            f" make_date({y}, 1, 1), now(), 'ev-employee-' || g FROM generate_series(0, {n - 1}) g",
        ),
        (
            "plans",
            "INSERT INTO plans (plan_id, region_id, employee_id, year, version, rater_id, unit_id, job_type,"
            " approved, superseded, in_force, last_event_id)"
            f" SELECT 'p' || employee_id, region_id, employee_id, {y}, 1, supervisor_id, unit_id, job_type,"
            " true, false, true, 'ev-plan-' || employee_id FROM employees",
        ),
        (
            "plan indicators",
            "INSERT INTO plan_indicators (plan_id, indicator_id, region_id, employee_id, year, position,"
            " result_id, result_kind, result_text, code, name, aspect, direction, aggregation,"
            " unit_of_measure, target, period_targets)"
            " SELECT 'p' || employee_id, 'i' || employee_id || '-' || k, region_id, employee_id,"
            f" {y}, k, 'r' || employee_id || '-' || (k / 2),"
            " CASE WHEN k < 2 THEN 'main' ELSE 'additional' END,"
            " 'Layanan administrasi kependudukan diselesaikan sesuai standar', 'IKI-' || k,"
            " 'Dokumen kependudukan diterbitkan (' || k || ')', 'quantity', 'higher_is_better', 'sum',"
            f" 'dokumen', {4 * QUARTER_TARGET}, jsonb_build_object({targets})"
            f" FROM employees, generate_series(0, {INDICATORS_PER_PLAN - 1}) k",
        ),
        (
            "activities (contributions)",
            # Employee by employee (the outer series), so the indexes fill in order.
            "INSERT INTO contributions (activity_id, region_id, employee_id, indicator_id, result_id, period,"
            " year, occurred_at, quantity, reported, status, measure_stamp_at, measure_stamp_id,"
            " status_stamp_at, status_stamp_id, evidence_sha256, last_event_id)"
            f" SELECT 'a' || g || '-' || j, {region_of}, 'e' || g,"
            f" 'ie' || g || '-' || (j % {INDICATORS_PER_PLAN}),"
            f" 're' || g || '-' || (j % {INDICATORS_PER_PLAN} / 2),"
            f" '{y}-Q' || (1 + j / {INDICATORS_PER_PLAN} % 4), {y},"
            f" make_timestamptz({y}, 1, 1, 1, 0, 0, 'UTC')"
            f" + ((j / {INDICATORS_PER_PLAN} % 4) * 91 + (j * 7) % 90) * interval '1 day'"
            " + (j % 9) * interval '1 hour',"
            " 1 + (g + j) % 30, true,"
            " CASE WHEN (g + j) % 20 = 0 THEN 'REJECTED' WHEN (g + j) % 5 < 3 THEN 'VERIFIED'"
            " ELSE 'UNVERIFIED' END,"
            " now(), 'ev-report-' || g || '-' || j, now(), 'ev-verify-' || g || '-' || j,"
            " CASE WHEN j % 4 = 0 THEN jsonb_build_array(md5('a' || g || '-' || j) || md5(j || '-' || g))"
            " ELSE '[]'::jsonb END, 'ev-verify-' || g || '-' || j"
            f" FROM generate_series(0, {n - 1}) g, generate_series(0, {scale.activities_per_employee - 1}) j",
        ),
        (
            "indicator progress (per quarter and per year)",
            "INSERT INTO indicator_progress (region_id, employee_id, indicator_id, period, quantity_sum,"
            " denominator_sum, activity_count, verified_quantity_sum, verified_count, rejected_count,"
            " last_occurred_at, last_activity_id, last_quantity, target, realisation, verified_share,"
            " achievement, events_applied, last_event_id)"
            " SELECT region_id, employee_id, indicator_id, key, quantity_sum, 0, activity_count,"
            " verified_quantity_sum, verified_count, rejected_count, last_occurred_at, last_activity_id, 1,"
            " target, quantity_sum, round(verified_count::numeric / nullif(activity_count, 0), 4),"
            " round(least(quantity_sum / target, 1.2), 4), events, 'ev-last-' || last_activity_id"
            " FROM (SELECT region_id, employee_id, indicator_id,"
            " CASE WHEN grouping(period) = 1 THEN year::text ELSE period END AS key,"
            f" CASE WHEN grouping(period) = 1 THEN {4 * QUARTER_TARGET} ELSE {QUARTER_TARGET} END AS target,"
            " coalesce(sum(quantity) FILTER (WHERE status <> 'REJECTED'), 0) AS quantity_sum,"
            " count(*) FILTER (WHERE status <> 'REJECTED') AS activity_count,"
            " coalesce(sum(quantity) FILTER (WHERE status = 'VERIFIED'), 0) AS verified_quantity_sum,"
            " count(*) FILTER (WHERE status = 'VERIFIED') AS verified_count,"
            " count(*) FILTER (WHERE status = 'REJECTED') AS rejected_count,"
            " max(occurred_at) AS last_occurred_at, max(activity_id) AS last_activity_id,"
            " 2 * count(*) AS events"
            " FROM contributions GROUP BY GROUPING SETS"
            " ((region_id, employee_id, indicator_id, period), (region_id, employee_id, indicator_id, year))"
            " ) AS totals",
        ),
        (
            "behaviour assessments",
            "INSERT INTO behaviour_assessments (assessment_id, region_id, employee_id, assessor_id,"
            " assessor_role, period, scores, proposed_rating, submitted_at, last_event_id)"
            " SELECT 'b' || employee_id || '-' || key, region_id, employee_id,"
            " coalesce(supervisor_id, employee_id), 'rater', key,"
            f" {behaviour_scores},"
            " CASE WHEN substr(employee_id, 2)::int % 7 = 0 THEN 'ABOVE' ELSE 'MEETS' END,"
            f" make_timestamptz({y}, 1, 1, 0, 0, 0, 'UTC'), 'ev-assess-' || employee_id || '-' || key"
            f" FROM employees, unnest(ARRAY[{', '.join(repr(k) for k in [*scale.quarters, str(y)])}]) key"
            " WHERE substr(employee_id, 2)::int % 10 <> 9",
        ),
        (
            "employee scores (per quarter and per year)",
            "INSERT INTO employee_scores (employee_id, period, region_id, plan_id, unit_id, job_type,"
            " rater_id, achievement, main_achievement, additional_bonus, verified_share, activity_count,"
            " indicator_outcomes, rule_set_from, proposed_result_rating, proposal_reasons,"
            " behaviour_assessment_id, proposed_behaviour_rating, proposed_predicate, last_event_id)"
            " SELECT s.employee_id, s.period, s.region_id, 'p' || s.employee_id, e.unit_id, e.job_type,"
            " e.supervisor_id, s.achievement, s.achievement, 0, s.verified_share, s.activity_count,"
            f" s.outcomes, make_date({y}, 1, 1), s.result, '{reasons}'::jsonb, b.assessment_id,"
            " b.proposed_rating,"
            " CASE WHEN b.assessment_id IS NULL THEN NULL"
            " WHEN s.result = 'ABOVE' AND b.proposed_rating = 'ABOVE' THEN 'SANGAT_BAIK'"
            " WHEN s.result = 'BELOW' AND b.proposed_rating = 'MEETS' THEN 'BUTUH_PERBAIKAN'"
            " WHEN s.result = 'BELOW' THEN 'KURANG' ELSE 'BAIK' END, s.last_event_id"
            " FROM (SELECT region_id, employee_id, period, round(avg(achievement), 4) AS achievement,"
            " round(sum(verified_count)::numeric / nullif(sum(activity_count), 0), 4) AS verified_share,"
            " sum(activity_count) AS activity_count, max(last_event_id) AS last_event_id,"
            " CASE WHEN avg(achievement) >= 1.1 THEN 'ABOVE' WHEN avg(achievement) >= 0.8 THEN 'MEETS'"
            " ELSE 'BELOW' END AS result,"
            " jsonb_agg(jsonb_build_object('indicator_id', indicator_id, 'code', NULL, 'aspect', 'QUANTITY',"
            " 'basis', 'MEASURED', 'achievement', achievement::text) ORDER BY indicator_id) AS outcomes"
            " FROM indicator_progress GROUP BY region_id, employee_id, period) AS s"
            " JOIN employees e ON e.region_id = s.region_id AND e.employee_id = s.employee_id"
            " LEFT JOIN behaviour_assessments b ON b.region_id = s.region_id"
            " AND b.employee_id = s.employee_id AND b.period = s.period",
        ),
        (
            "rating decisions (three in ten employees, first two quarters)",
            "INSERT INTO rating_decisions (decision_id, region_id, employee_id, period, rater_id, unit_id,"
            " proposed_result_rating, result_rating, proposed_behaviour_rating, behaviour_rating, predicate,"
            " overridden, reason, achievement, decided_at)"
            " SELECT 'd' || employee_id || '-' || period, region_id, employee_id, period, rater_id, unit_id,"
            " proposed_result_rating, proposed_result_rating, proposed_behaviour_rating,"
            " proposed_behaviour_rating, proposed_predicate, false, NULL, achievement,"
            f" make_timestamptz({y}, 7, 15, 2, 0, 0, 'UTC')"
            " FROM employee_scores WHERE substr(employee_id, 2)::int % 10 < 3"
            f" AND period IN ('{y}-Q1', '{y}-Q2')"
            " AND proposed_predicate IS NOT NULL AND rater_id IS NOT NULL",
        ),
        (
            "decisions into the summaries",
            "UPDATE employee_scores s SET result_rating = d.result_rating,"
            " behaviour_rating = d.behaviour_rating, predicate = d.predicate, overridden = d.overridden,"
            " decision_reason = d.reason, decided_by = d.rater_id, decided_at = d.decided_at"
            " FROM rating_decisions d WHERE d.region_id = s.region_id AND d.employee_id = s.employee_id"
            " AND d.period = s.period",
        ),
        (
            "closed first quarter",
            f"INSERT INTO closed_periods SELECT 'bench-r' || r, '{y}-Q1',"
            f" make_timestamptz({y}, 4, 20, 0, 0, 0, 'UTC'), 'bkpsdm'"
            f" FROM generate_series(0, {regions - 1}) r",
        ),
        (
            "satisfaction indices (three services per unit and quarter)",
            "INSERT INTO unit_satisfaction (region_id, unit_id, period, service_id, satisfaction_index,"
            " grade, respondents, sample_adequate, last_event_id)"
            f" SELECT 'bench-r' || (u % {regions}), 'u' || u, '{y}-Q' || q, 'svc-' || s,"
            " 70 + (u * 7 + q * 3 + s) % 25, 'B', 100 + (u + s) % 300, true,"
            " 'ev-ikm-' || u || '-' || q || '-' || s"
            f" FROM generate_series(0, {last_unit}) u, generate_series(1, 4) q, generate_series(1, 3) s",
        ),
        (
            "complaint deadline breaches (twelve per unit and quarter)",
            "INSERT INTO complaint_breaches (complaint_id, stage, region_id, unit_id, due_at, period,"
            " last_event_id)"
            " SELECT 'c' || u || '-' || q || '-' || c, (ARRAY['RESPONSE','RESOLUTION'])[1 + c % 2],"
            f" 'bench-r' || (u % {regions}), 'u' || u, make_timestamptz({y}, q * 3 - 1, 10, 0, 0, 0, 'UTC'),"
            f" '{y}-Q' || q, 'ev-breach-' || u || '-' || q || '-' || c"
            f" FROM generate_series(0, {last_unit}) u, generate_series(1, 4) q, generate_series(0, 11) c",
        ),
        (
            "field visits (one in ten employees, one a quarter)",
            "INSERT INTO field_visits (visit_id, employee_id, region_id, supervisor_id, visited_at, period,"
            " location, findings, follow_up, last_event_id)"
            " SELECT 'v' || employee_id || '-' || q, employee_id, region_id, supervisor_id,"
            f" make_timestamptz({y}, q * 3 - 1, 5, 3, 0, 0, 'UTC'), '{y}-Q' || q, 'Kantor kecamatan',"
            " 'Antrean tertib; arsip rapi.', NULL, 'ev-visit-' || employee_id || '-' || q"
            " FROM employees, generate_series(1, 4) q"
            " WHERE supervisor_id IS NOT NULL AND substr(employee_id, 2)::int % 10 = 1",
        ),
    ]


async def fill_views(platform: BenchPlatform, scale: Scale) -> dict[str, int]:
    """Fill scoring's tables as their owner; returns the row counts."""
    engine = create_async_engine(
        platform.admin_database_url, connect_args={"server_settings": {"search_path": "scoring"}}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET maintenance_work_mem = '512MB'"))
            await connection.execute(text("SET work_mem = '256MB'"))
            for what, statement in fill_statements(scale):
                started = time.perf_counter()
                result = await connection.execute(text(statement))
                await connection.commit()
                stage(f"  {what}: {result.rowcount:,} rows in {time.perf_counter() - started:.1f}s")
            # As after a long-running consumer: visibility map set, statistics fresh, and no
            # autovacuum of the freshly loaded tables competing with the measured reads.
            stage("  VACUUM ANALYZE")
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.commit()
            await connection.execute(text("VACUUM ANALYZE"))
            counts: dict[str, int] = {}
            for table in ("employees", "contributions", "indicator_progress", "employee_scores", "units"):
                counts[table] = int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            await connection.commit()
            return counts
    finally:
        await engine.dispose()


async def filled_counts(platform: BenchPlatform) -> dict[str, int]:
    """Row counts of the views as they are (empty when nothing was filled yet)."""
    engine = create_async_engine(
        platform.admin_database_url, connect_args={"server_settings": {"search_path": "scoring"}}
    )
    try:
        async with engine.connect() as connection:
            counts: dict[str, int] = {}
            for table in ("employees", "contributions", "indicator_progress", "employee_scores", "units"):
                counts[table] = int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            return counts
    finally:
        await engine.dispose()


# --- reads ---------------------------------------------------------------------------------------


Request = tuple[str, dict[str, str]]


@dataclass
class Phase:
    """What one measured phase saw."""

    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    first_error: str = ""

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]

    def tail(self) -> str:
        """p90, p99.9 and the slowest, in ms."""
        p90, p999, slowest = (self.percentile(q) * 1000 for q in (0.9, 0.999, 1.0))
        return f"p90 {p90:,.1f} ms, p99.9 {p999:,.1f} ms, max {slowest:,.1f} ms"

    def record(self, started: float, status: int, body: bytes) -> None:
        if status == 200:
            self.latencies.append(time.perf_counter() - started)
            self.sizes.append(len(body))
        else:
            self.errors[status] = self.errors.get(status, 0) + 1
            self.first_error = self.first_error or body[:300].decode(errors="replace")


async def closed_loop(
    url: str, requests: Callable[[], Request], *, connections: int, duration: float
) -> Phase:
    """As many requests as ``connections`` clients send back to back for ``duration`` seconds."""
    phase = Phase()
    async with RawClient(url, connections=connections) as http:
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            while time.perf_counter() < deadline:
                path, headers = requests()
                started = time.perf_counter()
                response = await http.get(path, headers)
                phase.record(started, response.status_code, response.content)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        phase.seconds = time.perf_counter() - started
    return phase


async def open_loop(
    url: str, requests: Callable[[], Request], *, rate: float, duration: float, connections: int
) -> Phase:
    """Requests started on a fixed schedule; each latency counts from its scheduled start."""
    phase = Phase()
    async with RawClient(url, connections=connections) as http:
        tasks: list[asyncio.Task[None]] = []

        async def one(scheduled: float, path: str, headers: dict[str, str]) -> None:
            response = await http.get(path, headers)
            phase.record(scheduled, response.status_code, response.content)

        started = time.perf_counter()
        for number in range(max(1, int(rate * duration))):
            scheduled = started + number / rate
            if (wait := scheduled - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(scheduled, *requests())))
        await asyncio.gather(*tasks)
        phase.seconds = time.perf_counter() - started
    return phase


def request_makers(scale: Scale, mint: TokenMint, seed: int) -> dict[str, Callable[[], Request]]:
    """Random scorecard and dashboard requests, each as the region's HR administrator."""
    chooser = random.Random(seed)
    admins = {f"bench-r{r}": mint.headers([Role.REGION_ADMIN], f"bench-r{r}") for r in range(scale.regions)}
    periods = [*scale.quarters, str(scale.year)]

    def scorecard() -> Request:
        employee = chooser.randrange(scale.employees)
        region = scale.region_of_unit(scale.unit_of_employee(employee))
        period = chooser.choice(periods)
        return f"/v1/employees/e{employee}/scorecard?period={period}", admins[region]

    def dashboard() -> Request:
        unit = chooser.randrange(scale.units)
        period = chooser.choice(scale.quarters)
        return f"/v1/units/u{unit}/dashboard?period={period}", admins[scale.region_of_unit(unit)]

    return {"scorecard": scorecard, "unit dashboard": dashboard}


# --- the baseline --------------------------------------------------------------------------------


def bare_app(samples_path: Path) -> Any:
    """The same two routes and response models, answering with bodies the service gave."""
    from fastapi import FastAPI, Response

    from services.scoring.service_layer.schemas import ScorecardRead, UnitDashboardRead

    samples = json.loads(samples_path.read_text())
    cards = [ScorecardRead.model_validate_json(body) for body in samples["scorecard"]]
    boards = [UnitDashboardRead.model_validate_json(body) for body in samples["unit dashboard"]]
    app = FastAPI(title="bare scoring reads baseline")

    # Serialized once by pydantic, as the service's read routes do.
    @app.get("/v1/employees/{employee_id}/scorecard", response_model=ScorecardRead)
    async def scorecard(employee_id: str, period: str) -> Response:
        card = cards[hash((employee_id, period)) % len(cards)]
        return Response(card.model_dump_json(), media_type="application/json")

    @app.get("/v1/units/{unit_id}/dashboard", response_model=UnitDashboardRead)
    async def dashboard(unit_id: str, period: str) -> Response:
        board = boards[hash((unit_id, period)) % len(boards)]
        return Response(board.model_dump_json(), media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int, samples_path: Path) -> None:
    import uvicorn

    uvicorn.run(
        bare_app(samples_path),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


def start_bare(samples_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The baseline server, one worker, on a free port."""
    port = infra.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.scoring_reads", "--serve-bare", str(port), str(samples_path)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
            return process, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the bare baseline API did not start")


async def collect_samples(url: str, makers: dict[str, Callable[[], Request]], count: int) -> dict[str, Any]:
    """Bodies the service answered, for the baseline to serve."""
    samples: dict[str, list[str]] = {}
    async with RawClient(url, connections=4) as http:
        for route, make in makers.items():
            bodies = []
            for _ in range(count):
                response = await http.get(*make())
                status, body = response.status_code, response.content
                if status != 200:
                    raise RuntimeError(f"{route} answered {status}: {body[:300]!r}")
                bodies.append(body.decode())
            samples[route] = bodies
    return samples


# --- EXPLAIN ---------------------------------------------------------------------------------------


async def explain(platform: BenchPlatform, scale: Scale) -> list[str]:
    """EXPLAIN ANALYZE of the reads' statements, as the service builds them, under row-level security."""
    region, quarter, year = "bench-r1", scale.quarters[1], scale.year
    employee, unit = f"e{EMPLOYEES_PER_UNIT + 5}", "u1"
    person = {"region_id": region, "employee_id": employee}
    reads: list[tuple[str, Any, dict[str, Any]]] = [
        (
            "scorecard: summary, closed period, supervisor, assessment, latest decision",
            scorecards._scorecard_summary_statement(),
            person | {"period": quarter, "year_key": str(year)},
        ),
        (
            "scorecard: plan indicators with their progress",
            scorecards._indicators_with_progress_statement(),
            person | {"plan_id": f"p{employee}", "period": quarter},
        ),
        (
            "scorecard: activities of a quarter",
            scorecards._activities_statement(False),
            person | {"period": quarter},
        ),
        (
            "scorecard: activities of the year",
            scorecards._activities_statement(True),
            person | {"year": year},
        ),
        ("scorecard: field visits", scorecards._field_visits_statement(False), person | {"period": quarter}),
        (
            "dashboard: the unit's summaries",
            dashboards._scores_statement(True),
            {"region_id": region, "unit_id": unit, "period": quarter},
        ),
        (
            "dashboard: trend over the year",
            dashboards._trend_statement(True),
            {"region_id": region, "unit_id": unit, "keys": scale.quarters},
        ),
        (
            "dashboard: breaches over the year",
            dashboards._unit_breaches_statement(),
            {"region_id": region, "unit_id": unit, "pattern": f"{year}%"},
        ),
    ]
    engine = create_async_engine(
        platform.endpoints.database_url, connect_args={"server_settings": {"search_path": "scoring"}}
    )
    lines: list[str] = []
    try:
        async with engine.connect() as connection:
            for what, statement, parameters in reads:
                await connection.execute(text("SELECT set_config('app.region_id', :r, true)"), {"r": region})
                sql = str(
                    statement.params(parameters).compile(
                        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
                        compile_kwargs={"literal_binds": True},
                    )
                )
                plan = await connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"))
                lines.append(f"-- {what}")
                lines.extend(f"   {row[0]}" for row in plan)
                await connection.rollback()
    finally:
        await engine.dispose()
    return lines


# --- the run -------------------------------------------------------------------------------------


async def measure_route(
    route: str,
    make: Callable[[], Request],
    real_url: str,
    bare_url: str,
    args: argparse.Namespace,
    real_pids: dict[str, int],
    bare_pids: dict[str, int],
) -> list[str]:
    """Throughput and latency at a fixed rate for one route, service beside baseline."""

    async def metered(pids: dict[str, int], run: Callable[[], Awaitable[Phase]]) -> tuple[Phase, CpuMeter]:
        with CpuMeter(pids) as meter:
            phase = await run()
        return phase, meter

    stage(f"{route}: throughput with {args.connections} connections")
    bare_max, bare_max_cpu = await metered(
        bare_pids,
        lambda: closed_loop(bare_url, make, connections=args.connections, duration=args.duration),
    )
    real_max, real_max_cpu = await metered(
        real_pids,
        lambda: closed_loop(real_url, make, connections=args.connections, duration=args.duration),
    )
    rate = args.rate or max(1.0, round(0.5 * real_max.throughput))
    stage(f"{route}: latency at {rate:,.0f}/s")
    bare_lat, _ = await metered(
        bare_pids,
        lambda: open_loop(bare_url, make, rate=rate, duration=args.duration, connections=args.connections),
    )
    real_lat, real_lat_cpu = await metered(
        real_pids,
        lambda: open_loop(real_url, make, rate=rate, duration=args.duration, connections=args.connections),
    )
    size = sum(real_max.sizes) / max(1, len(real_max.sizes))
    bare_size = sum(bare_max.sizes) / max(1, len(bare_max.sizes))
    lines = [
        f"{route}: mean response {size / 1024:,.1f} KiB (baseline {bare_size / 1024:,.1f} KiB)",
        figure(
            f"{route}: throughput, {args.connections} connections",
            real_max.throughput,
            "reads/s",
            baseline=bare_max.throughput,
        ),
        figure(
            f"{route}: p50 at {args.connections} connections",
            real_max.percentile(0.5) * 1000,
            "ms",
            baseline=bare_max.percentile(0.5) * 1000,
        ),
        figure(
            f"{route}: p99 at {args.connections} connections",
            real_max.percentile(0.99) * 1000,
            "ms",
            baseline=bare_max.percentile(0.99) * 1000,
        ),
        f"    scoring: {real_max_cpu.line()}",
        f"    baseline: {bare_max_cpu.line()}",
        figure(
            f"{route}: p50 at {rate:,.0f}/s",
            real_lat.percentile(0.5) * 1000,
            "ms",
            baseline=bare_lat.percentile(0.5) * 1000,
        ),
        figure(
            f"{route}: p99 at {rate:,.0f}/s",
            real_lat.percentile(0.99) * 1000,
            "ms",
            target=f"<= {P99_TARGET_MS:.0f}",
            baseline=bare_lat.percentile(0.99) * 1000,
        ),
        f"    {real_lat.tail()} over {len(real_lat.latencies):,} reads (baseline {bare_lat.tail()})",
        f"    achieved {real_lat.throughput:,.0f}/s (baseline {bare_lat.throughput:,.0f}/s); "
        f"{real_lat_cpu.line()}",
    ]
    for name, phase in (("scoring", real_max), ("scoring", real_lat), ("baseline", bare_max)):
        if phase.errors:
            lines.append(f"    {name} errors: {phase.errors}; first: {phase.first_error}")
    return lines


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    scale = Scale(
        employees=args.employees,
        activities_per_employee=max(1, args.activities // args.employees),
        regions=args.regions,
        year=datetime.now(UTC).year,
    )
    profile = {"scoring"} if args.profile else set()
    services = platform.start_services({"scoring": "api"}, profile)
    stage(f"filling the views: {scale.employees:,} employees, {scale.units} units, {scale.regions} regions")
    started = time.perf_counter()
    counts = await filled_counts(platform) if args.reuse_views else {}
    if counts.get("employees") not in (None, 0, scale.employees):
        raise SystemExit(f"the views hold {counts['employees']:,} employees, not {scale.employees:,}")
    if counts.get("employees") != scale.employees:
        counts = await fill_views(platform, scale)
    else:
        stage("  reusing the views already filled (external database, --reuse-views)")
    fill_seconds = time.perf_counter() - started
    explained = await explain(platform, scale) if args.explain else []
    mint = TokenMint(platform.settings)
    makers = request_makers(scale, mint, seed=args.seed)
    real_url = services.url("scoring")
    stage("collecting sample responses for the baseline")
    samples = await collect_samples(real_url, request_makers(scale, mint, seed=args.seed - 4), 50)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as samples_file:
        json.dump(samples, samples_file)
    bare, bare_url = start_bare(Path(samples_file.name))
    pids = process_ids(platform, services)
    real_pids = {name: pid for name, pid in pids.items() if name not in ("redis", "broker")}
    bare_pids = {"bench client": pids["bench client"], "bare api": bare.pid}
    lines: list[str] = []
    try:
        for route, make in makers.items():
            if args.scorecard_only and route != "scorecard":
                continue
            lines += await measure_route(route, make, real_url, bare_url, args, real_pids, bare_pids)
    finally:
        bare.terminate()
        bare.wait(timeout=10)
        Path(samples_file.name).unlink(missing_ok=True)  # noqa: ASYNC240 - once, after measuring
    print()
    print(f"scoring reads benchmark — {machine_line()}")
    print(
        f"views: {counts['employees']:,} employees in {counts['units']:,} units of {scale.regions} regions, "
        f"{counts['contributions']:,} activities, {counts['indicator_progress']:,} progress rows, "
        f"{counts['employee_scores']:,} employee summaries (filled in {fill_seconds:.0f}s); "
        f"{args.duration:.0f}s per phase; one uvicorn worker each"
    )
    for line in lines:
        print(line)
    if explained:
        print()
        for line in explained:
            print(line)
    if args.profile:
        services.stop("scoring")
        print("\nscoring service, top functions by internal time:")
        pstats.Stats(str(services.profile_path("scoring"))).sort_stats("tottime").print_stats(25)
        print("\nscoring service, the project's own functions by cumulative time:")
        pstats.Stats(str(services.profile_path("scoring"))).sort_stats("cumtime").print_stats(
            r"/(services|shared)/", 25
        )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 employees, 1M activities, 5 s phases")
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--regions", type=int, default=5)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients")
    parser.add_argument("--rate", type=float, default=0.0, help="fixed rate (default: half the throughput)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the reads' SQL")
    parser.add_argument("--profile", action="store_true", help="run scoring under cProfile and print it")
    parser.add_argument(
        "--seed",
        type=int,
        default=7,
        help="picks the employees and units read (another seed reads other rows, cold with --reuse-views)",
    )
    parser.add_argument("--scorecard-only", action="store_true", help="measure the scorecard route only")
    parser.add_argument(
        "--reuse-views",
        action="store_true",
        help="with an external database (KINERJA_DATABASE_URL...), keep views already filled at this scale",
    )
    args = parser.parse_args()
    if args.quick:
        args.employees, args.activities, args.duration = 10_000, 1_000_000, 5.0
    run_on_platform(run, args)


if __name__ == "__main__":
    main()
