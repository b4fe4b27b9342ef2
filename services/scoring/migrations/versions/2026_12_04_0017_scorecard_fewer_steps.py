"""The scorecard's functions with fewer steps a call: a row type, progress by key, plans in order.

PostgreSQL sets up the functions' plan anew on every call (each node and expression), so what a
scorecard costs its backend is mostly that set-up and the activities' JSON. Counted by callgrind
(instructions of the backend a call, 200 random employees' quarters; ``bench/README.md``, scoring
reads, session 16), of 1.99M a call before:

- the functions return ``SETOF scorecard_row`` instead of ``TABLE (...)``: a call found its 42
  columns' row type by decompressing the function's argument arrays (``proargnames``...), 54K
  instructions a call; a row type is looked up in the type cache;
- a plan indicator's progress row is looked up by its own key (a lateral kept apart by ``OFFSET
  0``): joined, the planner scanned the employee-period's progress rows once per indicator,
  skipping over indicators in the primary key;
- ``ix_plan_indicators_plan_position``: a plan's indicators read in their order, so that no sort
  node is set up for them (plans change seldom: one index entry more an indicator planned);
- an activity's status written as it is between quotes: it is one of ``ActivityStatus``' names,
  which JSON needs not escape, and ``to_json`` looked its argument's type up three times a row.

A quarter's scorecard 1.78M instructions a call after (-10.5%), a year's 4.11M before and 3.76M
after (-8.5%). The answer is the same, byte for byte
(``test_scoring_scorecard_json``, ``test_scoring_scorecard_rows``). The columns are 0016's, in
the same order, so ``SELECT *`` of a function reads as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from pathlib import Path

from alembic import op

from shared.migrations import load_migration

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: The scorecard's row, as 0016's functions returned it in their ``RETURNS TABLE``.
_ROW = """
CREATE TYPE scorecard_row AS (
    employee_id character varying,
    period character varying,
    region_id character varying,
    plan_id character varying,
    unit_id character varying,
    job_type character varying,
    rater_id character varying,
    achievement numeric,
    main_achievement numeric,
    additional_bonus numeric,
    verified_share numeric,
    activity_count integer,
    indicator_outcomes jsonb,
    rule_set_from date,
    proposed_result_rating character varying,
    proposal_reasons jsonb,
    behaviour_assessment_id character varying,
    proposed_behaviour_rating character varying,
    proposed_predicate character varying,
    result_rating character varying,
    behaviour_rating character varying,
    predicate character varying,
    overridden boolean,
    decision_reason text,
    decided_by character varying,
    decided_at timestamp with time zone,
    last_event_id character varying,
    updated_at timestamp with time zone,
    period_closed boolean,
    team_supervisor_id character varying,
    assessment_found_id character varying,
    assessment_assessor_id character varying,
    assessment_proposed_rating character varying,
    assessment_scores jsonb,
    assessment_submitted_at timestamp with time zone,
    latest_decision_id character varying,
    latest_proposed_result_rating character varying,
    latest_proposed_behaviour_rating character varying,
    field_visits_found jsonb,
    indicator_rows scorecard_indicator[],
    activity_indicators text[],
    activity_lists text[])
"""

#: The scorecard's statement after the function's signature: which field visits and activities it
#: shows (its period's, or its year's) put in for ``{visits}`` and ``{activities}``.
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
FROM (SELECT c.indicator_id AS indicator_id, '[' || string_agg('{"activity_id":' ||
    to_json(c.activity_id)::text || ',"occurred_at":' || CASE WHEN c.occurred_at IS NULL THEN 'null'
    ELSE '"'
    || replace(to_char((c.occurred_at AT TIME ZONE 'UTC') + make_interval(mins =>
    coalesce(c.occurred_utc_offset, 0)),
                       'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '')
    || CASE WHEN coalesce(c.occurred_utc_offset, 0) = 0 THEN 'Z'
            ELSE CASE WHEN c.occurred_utc_offset < 0 THEN '-' ELSE '+' END ||
    to_char(abs(c.occurred_utc_offset) / 60, 'FM00')
                 || ':' || to_char(abs(c.occurred_utc_offset) % 60, 'FM00') END
    || '"' END || ',"quantity":' || coalesce('"' || c.quantity::text || '"', 'null') ||
    ',"denominator":' || coalesce('"' || c.denominator::text || '"', 'null') || ',"status":"' ||
    c.status || '","counted":' || (c.status <> 'REJECTED')::text || ',"corrected":' ||
    c.measure_corrected::text || ',"evidence_count":' || jsonb_array_length(c.evidence_sha256)::text
    || '}', ',' ORDER BY c.occurred_at, c.activity_id) || ']' AS activities
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


def _argument_types(signature: str) -> str:
    return ", ".join(argument.split()[-1] for argument in signature.split(", "))


def _scorecard_function(name: str) -> str:
    which = _WHICH[name]
    return f"CREATE FUNCTION {name}({_SIGNATURES[name]})" + _SCORECARD.replace(
        "{visits}", which["visits"]
    ).replace("{activities}", which["activities"])


def upgrade() -> None:
    op.create_index(
        "ix_plan_indicators_plan_position", "plan_indicators", ["region_id", "plan_id", "position"]
    )
    op.execute(_ROW)
    # Another return type is another function: dropped, then created again.
    for name, signature in _SIGNATURES.items():
        op.execute(f"DROP FUNCTION {name}({_argument_types(signature)})")
        op.execute(_scorecard_function(name))


def downgrade() -> None:
    previous = load_migration(Path(__file__).with_name("2026_12_04_0016_scorecard_in_one_round_trip.py"))
    for name, signature in _SIGNATURES.items():
        op.execute(f"DROP FUNCTION {name}({_argument_types(signature)})")
    op.execute(previous._SCORECARD_READ)
    op.execute(previous._SCORECARD_OF_YEAR_READ)
    op.execute("DROP TYPE scorecard_row")
    op.drop_index("ix_plan_indicators_plan_position", table_name="plan_indicators")
