"""Each activity's JSON kept ready in its contributions row; a scorecard strings them together.

A scorecard's activities were written as JSON by its function, row by row (an expression of some
twenty pieces: the id escaped by ``to_json``, the device's time by ``to_char``, the numbers'
text...): 2.8-3.6 µs of its backend's CPU an activity, the largest part of the read's database time
(``bench/README.md``, scoring reads, sessions 16 and 17). An activity is written once (and again
when verified, rejected or corrected) and shown in every scorecard of its period and year, so its
JSON is now written with it: ``contributions.scorecard_json``, a stored generated column of
``scorecard_activity_json`` (the same expression, unchanged), which PostgreSQL computes at each
insert and update of the row. The consumer's Python does not change (its statements name their
columns; ``adapters/tables`` does not declare this one, so nothing reads it but the scorecard), and
``scorecard_read`` / ``scorecard_of_year_read`` now aggregate the stored texts in the same order.

The expression is immutable in fact, as a generated column needs: ``to_char`` is declared stable
for its locale-dependent patterns (``TM...``, ``D``, ``G``), none of which it uses here; the time
is shifted by the device's own offset, never by the session's zone; ``to_json`` of text and the
numbers' and booleans' text depend on no setting; the functions it calls are all in
``pg_catalog``, so it means the same under any ``search_path`` (a restore's, a replay's scratch
schema). It is PL/pgSQL, not SQL: an SQL function declared immutable whose body calls stable
functions is not inlined, and ran a statement of its own for every row written (+15 µs a row
inserted, +27 µs upserted, against +6 and +9 for this one, which evaluates its one expression).

Adding the column rewrites the table once, under an exclusive lock (13-19 s for 1M activities on
the development machine). Each activity's row grows by its JSON (~175 bytes for the benchmark's
ids). No statistics are gathered on it (migration 0013: only the columns queries read are sampled).
The answer is the same, byte for byte (``test_scoring_scorecard_json``,
``test_scoring_scorecard_rows``; the functions' rows compared as text on the benchmark's views).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from pathlib import Path

from alembic import op

from shared.migrations import load_migration

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: An activity as the scorecard's ``ActivityRead`` writes it (0017's expression, word for word).
_ACTIVITY_JSON = """
CREATE FUNCTION scorecard_activity_json(
    activity_id character varying,
    occurred_at timestamp with time zone,
    occurred_utc_offset smallint,
    quantity numeric,
    denominator numeric,
    status character varying,
    measure_corrected boolean,
    evidence_sha256 jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $json$
BEGIN
RETURN '{"activity_id":' ||
    to_json(activity_id)::text || ',"occurred_at":' || CASE WHEN occurred_at IS NULL THEN 'null'
    ELSE '"'
    || replace(to_char((occurred_at AT TIME ZONE 'UTC') + make_interval(mins =>
    coalesce(occurred_utc_offset, 0)),
                       'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '')
    || CASE WHEN coalesce(occurred_utc_offset, 0) = 0 THEN 'Z'
            ELSE CASE WHEN occurred_utc_offset < 0 THEN '-' ELSE '+' END ||
    to_char(abs(occurred_utc_offset) / 60, 'FM00')
                 || ':' || to_char(abs(occurred_utc_offset) % 60, 'FM00') END
    || '"' END || ',"quantity":' || coalesce('"' || quantity::text || '"', 'null') ||
    ',"denominator":' || coalesce('"' || denominator::text || '"', 'null') || ',"status":"' ||
    status || '","counted":' || (status <> 'REJECTED')::text || ',"corrected":' ||
    measure_corrected::text || ',"evidence_count":' || jsonb_array_length(evidence_sha256)::text
    || '}';
END
$json$
"""

_COLUMN = """
ALTER TABLE contributions ADD COLUMN scorecard_json text GENERATED ALWAYS AS (
    scorecard_activity_json(activity_id, occurred_at, occurred_utc_offset, quantity, denominator,
    status, measure_corrected, evidence_sha256)) STORED
"""

#: The scorecard's statement after the function's signature (0017's, the activities' JSON read as
#: stored): which field visits and activities it shows (its period's, or its year's) put in for
#: ``{visits}`` and ``{activities}``.
_SCORECARD = """
RETURNS SETOF scorecard_row
LANGUAGE sql VOLATILE
AS $read$
SELECT set_config('app.region_id', _region_id, true);
SELECT employee_scores.employee_id, employee_scores.period, employee_scores.region_id,
    employee_scores.plan_id, employee_scores.unit_id, employee_scores.job_type,
    employee_scores.rater_id, employee_scores.achievement, employee_scores.main_achievement,
    employee_scores.additional_bonus, employee_scores.verified_share,
    employee_scores.activity_count, employee_scores.indicator_outcomes,
    employee_scores.rule_set_from, employee_scores.proposed_result_rating,
    employee_scores.proposal_reasons, employee_scores.behaviour_assessment_id,
    employee_scores.proposed_behaviour_rating, employee_scores.proposed_predicate,
    employee_scores.result_rating, employee_scores.behaviour_rating, employee_scores.predicate,
    employee_scores.overridden, employee_scores.decision_reason, employee_scores.decided_by,
    employee_scores.decided_at, employee_scores.last_event_id, employee_scores.updated_at, EXISTS
    (SELECT closed_periods.period
FROM closed_periods
WHERE closed_periods.region_id = _region_id AND (closed_periods.period = _period OR
    closed_periods.period = _year_key)) AS period_closed, (SELECT employees.supervisor_id
FROM employees
WHERE employees.region_id = _region_id AND employees.employee_id = _employee_id ORDER BY
    employees.effective_from <= CAST(timezone(coalesce((SELECT region_settings.timezone
FROM region_settings
WHERE region_settings.region_id = employees.region_id), 'Asia/Jakarta'), now()) AS DATE) DESC, CASE
    WHEN (employees.effective_from <= CAST(timezone(coalesce((SELECT region_settings.timezone
FROM region_settings
WHERE region_settings.region_id = employees.region_id), 'Asia/Jakarta'), now()) AS DATE)) THEN
    employees.effective_from END DESC NULLS LAST, employees.effective_from
 LIMIT 1) AS team_supervisor_id, behaviour_assessments.assessment_id AS assessment_found_id,
    behaviour_assessments.assessor_id AS assessment_assessor_id,
    behaviour_assessments.proposed_rating AS assessment_proposed_rating,
    behaviour_assessments.scores AS assessment_scores, behaviour_assessments.submitted_at AS
    assessment_submitted_at, latest_decision.latest_decision_id,
    latest_decision.latest_proposed_result_rating, latest_decision.latest_proposed_behaviour_rating,
    (SELECT jsonb_agg(jsonb_build_array(field_visits.visit_id, field_visits.supervisor_id,
    to_char(timezone('UTC', field_visits.visited_at), 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    field_visits.visited_utc_offset, field_visits.location, field_visits.findings,
    field_visits.follow_up) ORDER BY field_visits.visited_at) AS jsonb_agg_1
FROM field_visits
WHERE field_visits.region_id = _region_id AND field_visits.employee_id = _employee_id AND
    {visits}) AS field_visits_found, (SELECT
    array_agg(row(plan_indicators.indicator_id, plan_indicators.code, plan_indicators.name,
    plan_indicators.result_id, plan_indicators.result_kind, plan_indicators.aspect,
    plan_indicators.direction, plan_indicators.aggregation, plan_indicators.unit_of_measure,
    plan_indicators.target, plan_indicators.qualitative_target, plan_indicators.period_targets,
    indicator_progress.indicator_id, indicator_progress.target, indicator_progress.realisation,
    indicator_progress.verified_share, indicator_progress.achievement,
    indicator_progress.activity_count, indicator_progress.verified_count,
    indicator_progress.rejected_count, indicator_progress.last_occurred_at,
    indicator_progress.last_activity_id, indicator_progress.events_applied,
    indicator_progress.last_event_id, indicator_progress.updated_at)::scorecard_indicator ORDER BY
    plan_indicators.position) AS array_agg_1
FROM plan_indicators LEFT OUTER JOIN LATERAL (SELECT indicator_progress.indicator_id,
    indicator_progress.target, indicator_progress.realisation, indicator_progress.verified_share,
    indicator_progress.achievement, indicator_progress.activity_count,
    indicator_progress.verified_count, indicator_progress.rejected_count,
    indicator_progress.last_occurred_at, indicator_progress.last_activity_id,
    indicator_progress.events_applied, indicator_progress.last_event_id,
    indicator_progress.updated_at
FROM indicator_progress
WHERE indicator_progress.region_id = _region_id AND indicator_progress.employee_id = _employee_id
    AND indicator_progress.indicator_id = plan_indicators.indicator_id AND
    indicator_progress.period = _period
 OFFSET 0) AS indicator_progress ON true
WHERE plan_indicators.plan_id = employee_scores.plan_id AND plan_indicators.region_id = _region_id)
    AS indicator_rows, activity_lists.activity_indicators, activity_lists.activity_lists
FROM employee_scores LEFT OUTER JOIN LATERAL (SELECT rating_decisions.decision_id AS
    latest_decision_id, rating_decisions.proposed_result_rating AS latest_proposed_result_rating,
    rating_decisions.proposed_behaviour_rating AS latest_proposed_behaviour_rating
FROM rating_decisions
WHERE rating_decisions.region_id = employee_scores.region_id AND rating_decisions.employee_id =
    employee_scores.employee_id AND rating_decisions.period = employee_scores.period ORDER BY
    rating_decisions.decided_at DESC
 LIMIT 1) AS latest_decision ON true LEFT OUTER JOIN behaviour_assessments ON
    behaviour_assessments.region_id = employee_scores.region_id AND
    behaviour_assessments.assessment_id = employee_scores.behaviour_assessment_id LEFT OUTER JOIN
    LATERAL (SELECT array_agg(CAST(by_indicator.indicator_id AS TEXT)) AS activity_indicators,
    array_agg(by_indicator.activities) AS activity_lists
FROM (SELECT c.indicator_id AS indicator_id, '[' || string_agg(c.scorecard_json, ',' ORDER BY
    c.occurred_at, c.activity_id) || ']' AS activities
FROM contributions AS c
WHERE c.region_id = _region_id AND c.employee_id = _employee_id AND c.reported IS true AND
    {activities} GROUP BY c.indicator_id) AS by_indicator) AS activity_lists ON true
WHERE employee_scores.region_id = _region_id AND employee_scores.employee_id = _employee_id AND
    employee_scores.period = _period;
$read$
"""

_SIGNATURES = {
    "scorecard_read": "_region_id text, _employee_id text, _period text, _year_key text",
    "scorecard_of_year_read": (
        "_region_id text, _employee_id text, _period text, _year_key text, _pattern text, _year integer"
    ),
}

_WHICH = {
    "scorecard_read": {"visits": "field_visits.period = _period", "activities": "c.period = _period"},
    "scorecard_of_year_read": {"visits": "field_visits.period LIKE _pattern", "activities": "c.year = _year"},
}


def _scorecard_function(name: str) -> str:
    which = _WHICH[name]
    return f"CREATE OR REPLACE FUNCTION {name}({_SIGNATURES[name]})" + _SCORECARD.replace(
        "{visits}", which["visits"]
    ).replace("{activities}", which["activities"])


def upgrade() -> None:
    op.execute(_ACTIVITY_JSON)
    op.execute(_COLUMN)
    # No query filters or sorts by it: not summarized, so that ANALYZE keeps 0013's small sample.
    op.execute("ALTER TABLE contributions ALTER COLUMN scorecard_json SET STATISTICS 0")
    # The same signature and row type: replaced in place.
    for name in _SIGNATURES:
        op.execute(_scorecard_function(name))


def downgrade() -> None:
    previous = load_migration(Path(__file__).with_name("2026_12_04_0017_scorecard_fewer_steps.py"))
    for name in _SIGNATURES:
        op.execute(previous._scorecard_function(name).replace("CREATE", "CREATE OR REPLACE", 1))
    op.execute("ALTER TABLE contributions DROP COLUMN scorecard_json")
    op.execute("DROP FUNCTION scorecard_activity_json")
