"""The unit and region dashboards each read in one round trip: functions that set the region, then read.

A dashboard read was three round trips: ``BEGIN READ ONLY; SET LOCAL app.region_id = ...``, its one
statement, ``ROLLBACK``. Each function here takes the region first, sets it for its own statement's
transaction (``set_config(..., true)``, as ``SET LOCAL`` does), then returns the dashboard's one
statement's row; called alone, outside any transaction, it is one round trip
(``shared.region_reads.RegionCall``). The functions run as their caller (not ``SECURITY DEFINER``):
row-level security restricts what they read exactly as before. The statements are the dashboards'
(``services/scoring/service_layer/queries``), frozen here: a change to one is a new revision;
``test_scoring_dashboard_json`` holds a rater's ranking (written here from the entries) to the
validated answer.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: The rule sets of the region, as both dashboards read them (dates as ISO text, settings as text).
_RULE_SETS = """
       (SELECT array_agg(to_char(effective_from, 'YYYY-MM-DD') ORDER BY effective_from)
          FROM rule_sets WHERE region_id = _region_id) AS rules_from,
       (SELECT array_agg(settings::text ORDER BY effective_from)
          FROM rule_sets WHERE region_id = _region_id) AS rules"""

#: A rater's own team's ranking as the answer writes it: ``RankingEntry``'s fields in order.
_RANKING_OF_RATER = (
    "'[' || coalesce(string_agg('{' || "
    + " || ',' || ".join(
        f"'\"{name}\":' || (e -> '{name}')::text"
        for name in ("rank", "employee_id", "job_type", "predicate", "achievement")
    )
    + " || '}', ',' ORDER BY n), '') || ']'"
)

_UNIT_DASHBOARD = f"""
CREATE FUNCTION unit_dashboard_read(
    _region_id text, _unit_id text, _period text, _year_keys text[], _year_pattern text,
    _everyone boolean, _rater_id text)
RETURNS TABLE (
    unit_name text, organisation_predicate text, unit_known boolean, period_kind text, rollups jsonb,
    ranking text, satisfaction jsonb, breaches jsonb, rules_from text[], rules text[])
LANGUAGE sql VOLATILE
AS $read$
SELECT set_config('app.region_id', _region_id, true);
SELECT u.name AS unit_name,
       u.organisation_predicate,
       u.unit_id IS NOT NULL AS unit_known,
       (SELECT period_kind FROM region_settings WHERE region_id = _region_id) AS period_kind,
       (SELECT jsonb_agg(jsonb_build_object(
                   'period', r.period, 'employees', r.employees, 'measured', r.measured,
                   'achievement_sum', r.achievement_sum::text, 'decided', r.decided,
                   'predicate_counts', r.predicate_counts))
          FROM unit_rollups r
         WHERE r.region_id = _region_id AND r.unit_id = _unit_id
           AND r.period = ANY(_year_keys)) AS rollups,
       coalesce((SELECT CASE WHEN _everyone THEN r.ranking_json ELSE (
                     SELECT {_RANKING_OF_RATER}
                       FROM jsonb_array_elements(r.ranking) WITH ORDINALITY AS x(e, n)
                      WHERE e ->> 'rater_id' = _rater_id) END
                   FROM unit_rollups r
                  WHERE r.region_id = _region_id AND r.unit_id = _unit_id AND r.period = _period),
                '[]') AS ranking,
       (SELECT jsonb_agg(jsonb_build_object(
                   'unit_id', s.unit_id, 'service_id', s.service_id, 'period', s.period,
                   'satisfaction_index', s.satisfaction_index::text, 'grade', s.grade,
                   'respondents', s.respondents, 'sample_adequate', s.sample_adequate,
                   'updated_at', s.updated_at) ORDER BY s.service_id)
          FROM unit_satisfaction s
         WHERE s.region_id = _region_id AND s.unit_id = _unit_id AND s.period = _period) AS satisfaction,
       (SELECT jsonb_agg(jsonb_build_array(b.period, b.stage, b.breaches))
          FROM (SELECT period, stage, count(*) AS breaches
                  FROM complaint_breaches
                 WHERE region_id = _region_id AND unit_id = _unit_id AND period LIKE _year_pattern
                 GROUP BY period, stage) AS b) AS breaches,{_RULE_SETS}
  FROM (SELECT 1) AS one
  LEFT JOIN units u ON u.region_id = _region_id AND u.unit_id = _unit_id;
$read$
"""

_REGION_DASHBOARD = f"""
CREATE FUNCTION region_dashboard_read(
    _region_id text, _period text, _year_keys text[], _year_pattern text, _whole_unit text)
RETURNS TABLE (
    period_kind text, rollups jsonb, units jsonb, breaches jsonb, indices jsonb, rules_from text[],
    rules text[], trend jsonb)
LANGUAGE sql VOLATILE
AS $read$
SELECT set_config('app.region_id', _region_id, true);
SELECT (SELECT period_kind FROM region_settings WHERE region_id = _region_id) AS period_kind,
       (SELECT jsonb_agg(jsonb_build_array(
                   unit_id, employees, measured, achievement_sum::text, predicate_counts))
          FROM unit_rollups WHERE region_id = _region_id AND period = _period) AS rollups,
       (SELECT jsonb_agg(jsonb_build_array(unit_id, name, organisation_predicate))
          FROM units WHERE region_id = _region_id) AS units,
       (SELECT jsonb_agg(jsonb_build_array(unit_id, period, breaches))
          FROM (SELECT unit_id, period, count(*) AS breaches
                  FROM complaint_breaches
                 WHERE region_id = _region_id AND period LIKE _year_pattern
                 GROUP BY unit_id, period) AS b) AS breaches,
       (SELECT jsonb_agg(jsonb_build_array(unit_id, satisfaction_index::text))
          FROM unit_satisfaction
         WHERE region_id = _region_id AND period = _period
           AND service_id = _whole_unit) AS indices,{_RULE_SETS},
       (SELECT jsonb_agg(jsonb_build_array(period, employees, measured, achievement_sum::text))
          FROM (SELECT period, sum(employees) AS employees, sum(measured) AS measured,
                       sum(achievement_sum) AS achievement_sum
                  FROM unit_rollups
                 WHERE region_id = _region_id AND period = ANY(_year_keys)
                 GROUP BY period) AS t) AS trend;
$read$
"""


def upgrade() -> None:
    op.execute(_UNIT_DASHBOARD)
    op.execute(_REGION_DASHBOARD)


def downgrade() -> None:
    op.execute("DROP FUNCTION region_dashboard_read(text, text, text[], text, text)")
    op.execute("DROP FUNCTION unit_dashboard_read(text, text, text, text[], text, boolean, text)")
