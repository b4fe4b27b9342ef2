"""Filling scoring's views for the reads benchmark (bench/scoring_reads.py), as the consumer leaves them.

Set-based SQL (``generate_series``, as the schema's owner): several regions, units of 400 employees
(teams of 20 under a rater, a head per unit), one approved plan with three indicators per employee,
activities spread over the indicators and quarters, their progress rows (per quarter and per year),
the employee summaries with proposals, behaviour assessments, some decisions, a closed quarter,
satisfaction indices, complaint breaches and field visits; then the unit rollups, recomputed from
the summaries by the service's own code.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from bench._platform import BenchPlatform, stage
from services.scoring.service_layer.rollups import rebuild_unit_rollups

#: The tables whose rows the benchmark reports.
COUNTED = ("employees", "contributions", "indicator_progress", "employee_scores", "unit_rollups", "units")
EMPLOYEES_PER_UNIT = 400
TEAM_SIZE = 20
INDICATORS_PER_PLAN = 3
QUARTER_TARGET = 120


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


#: The tables whose row counts say what a fill left (the report prints them).
COUNTED_TABLES = (
    "employees",
    "contributions",
    "indicator_progress",
    "employee_scores",
    "unit_rollups",
    "units",
)


def scoring_engine(platform: BenchPlatform) -> AsyncEngine:
    """An engine on scoring's schema as the administrator, who may write every table."""
    return create_async_engine(
        platform.admin_database_url, connect_args={"server_settings": {"search_path": "scoring"}}
    )


async def row_counts(connection: AsyncConnection) -> dict[str, int]:
    """Each counted table's rows."""
    return {
        table: int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
        for table in COUNTED_TABLES
    }


async def fill_views(platform: BenchPlatform, scale: Scale) -> dict[str, int]:
    """Fill scoring's tables as their owner; returns the row counts."""
    engine = scoring_engine(platform)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET maintenance_work_mem = '512MB'"))
            await connection.execute(text("SET work_mem = '256MB'"))
            for what, statement in fill_statements(scale):
                started = time.perf_counter()
                result = await connection.execute(text(statement))
                await connection.commit()
                stage(f"  {what}: {result.rowcount:,} rows in {time.perf_counter() - started:.1f}s")
            started = time.perf_counter()
            async with AsyncSession(engine) as session, session.begin():
                # The unit rollups as the summary refresh leaves them, recomputed from the summaries.
                await session.execute(text("SELECT set_config('app.all_regions', 'on', true)"))
                for region in range(scale.regions):
                    await rebuild_unit_rollups(session, f"bench-r{region}")
            stage(f"  unit rollups in {time.perf_counter() - started:.1f}s")
            # As after a long-running consumer: visibility map set, statistics fresh, and no
            # autovacuum of the freshly loaded tables competing with the measured reads.
            stage("  VACUUM ANALYZE")
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.commit()
            await connection.execute(text("VACUUM ANALYZE"))
            counts = await row_counts(connection)
            await connection.commit()
            return counts
    finally:
        await engine.dispose()


async def filled_counts(platform: BenchPlatform) -> dict[str, int]:
    """Row counts of the views as they are (empty when nothing was filled yet)."""
    engine = scoring_engine(platform)
    try:
        async with engine.connect() as connection:
            return await row_counts(connection)
    finally:
        await engine.dispose()
