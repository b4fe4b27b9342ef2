"""A unit's ranking kept as an entry a summary, ordered as it is read, instead of two documents.

A rollup kept its unit-period's ranking twice, as JSONB (with each entry's rater) and as the unit
dashboard's JSON text, both written whole, with the figures counted from every summary of the
unit, whenever one employee of the unit changed: for 500 employees two ~70 KB documents built,
compressed and stored out of line (bench/README.md, session 18). ``unit_ranking`` keeps an entry a
summary instead (what the figures count, where it ranks, the entry as the dashboard answers it
after its rank), so a change writes its employees' entries only, in place (HOT: no index holds what
changes, and the pages keep room), and adds their differences to the figures; the dashboard orders
a unit-period's entries as it reads them (by ``rank_key``, one number, then the id) and numbers
them. The unit dashboard's function is 0015's otherwise, its answer the same, byte for byte
(``test_scoring_dashboard_json``). The entries are filled here from the summaries, by a copy of the
statement ``service_layer/rollups.py`` writes them with at this revision; the figures, which 0009
filled and the refreshes kept, stay.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: Percent of each page filled by inserts: the rest is room for the entries' next versions, so that
#: an update stays on its page (HOT) and writes no index entry.
FILL_FACTOR = 50

_BEST_FIRST = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")

#: ``adapters/tables/views.py``'s ``RANK_KEY`` at this revision: the live predicate's place, then an
#: achievement before none, the higher first (numeric(9, 4): under 10**9 ten-thousandths either
#: side of zero); ties by the employee id, ``COLLATE "C"``.
_RANK_KEY = (
    "array_position(ARRAY[" + ", ".join(f"'{p}'" for p in _BEST_FIRST) + "], "
    "coalesce(predicate, 'SANGAT_KURANG')::text)::bigint * 2147483648 "
    "+ CASE WHEN achievement IS NULL THEN 2000000000 ELSE 1000000000 - (achievement * 10000)::bigint END"
)

#: Every summary's entry, as service_layer/rollups.py writes one.
_FILL = """
INSERT INTO unit_ranking
    (region_id, employee_id, period, unit_id, achievement, predicate, decided, rater_id, entry)
SELECT region_id, employee_id, period, unit_id, achievement, predicate, decided, rater_id,
       format('"employee_id":%s,"job_type":%s,"predicate":%s,"achievement":%s}',
              to_json(employee_id), to_json(job_type), coalesce(to_json(predicate)::text, 'null'),
              coalesce(to_json(achievement::text)::text, 'null'))
FROM (
    SELECT region_id, employee_id, period, unit_id, job_type, rater_id, achievement,
           coalesce(nullif(predicate, ''), nullif(proposed_predicate, '')) AS predicate,
           coalesce(predicate, '') <> '' AS decided
    FROM employee_scores
) AS s
"""

#: A unit-period's ranking as the dashboard answers it, from its entries in order: everyone's, or
#: the rater's own team's (ranked among everyone). The aggregate's order is the window's, so its
#: input comes sorted once.
_RANKING_OF_ENTRIES = """
       coalesce((SELECT '[' || string_agg('{"rank":' || e.rank || ',' || e.entry, ','
                                         ORDER BY e.rank_key, e.employee_id COLLATE "C") || ']'
                   FROM (SELECT r.entry, r.rater_id, r.rank_key, r.employee_id,
                                row_number() OVER (ORDER BY r.rank_key, r.employee_id COLLATE "C") AS rank
                           FROM unit_ranking r
                          WHERE r.region_id = _region_id AND r.unit_id = _unit_id
                            AND r.period = _period) AS e
                  WHERE _everyone OR e.rater_id = _rater_id),
                '[]') AS ranking,"""

#: 0015's: the rollup's ranking as answered, or a rater's own team's written from its JSONB entries.
_RANKING_OF_ROLLUP = (
    """
       coalesce((SELECT CASE WHEN _everyone THEN r.ranking_json ELSE (
                     SELECT '[' || coalesce(string_agg('{' || """
    + " || ',' || ".join(
        f"'\"{name}\":' || (e -> '{name}')::text"
        for name in ("rank", "employee_id", "job_type", "predicate", "achievement")
    )
    + """ || '}', ',' ORDER BY n), '') || ']'
                       FROM jsonb_array_elements(r.ranking) WITH ORDINALITY AS x(e, n)
                      WHERE e ->> 'rater_id' = _rater_id) END
                   FROM unit_rollups r
                  WHERE r.region_id = _region_id AND r.unit_id = _unit_id AND r.period = _period),
                '[]') AS ranking,"""
)


def _unit_dashboard(ranking: str) -> str:
    """0015's ``unit_dashboard_read`` with the given ranking column."""
    return f"""
CREATE OR REPLACE FUNCTION unit_dashboard_read(
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
           AND r.period = ANY(_year_keys)) AS rollups,{ranking}
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
                 GROUP BY period, stage) AS b) AS breaches,
       (SELECT array_agg(to_char(effective_from, 'YYYY-MM-DD') ORDER BY effective_from)
          FROM rule_sets WHERE region_id = _region_id) AS rules_from,
       (SELECT array_agg(settings::text ORDER BY effective_from)
          FROM rule_sets WHERE region_id = _region_id) AS rules
  FROM (SELECT 1) AS one
  LEFT JOIN units u ON u.region_id = _region_id AND u.unit_id = _unit_id;
$read$
"""


#: The rollups' rankings as 0009 and 0014 kept them, written again from the entries (downgrade).
_RANKINGS_FROM_ENTRIES = """
UPDATE unit_rollups u SET (ranking, ranking_json) = (
    SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'rank', rank, 'employee_id', employee_id,
                        'job_type', ('{' || entry)::jsonb -> 'job_type',
                        'rater_id', rater_id, 'predicate', predicate, 'achievement', achievement::text
                    ) ORDER BY rank), '[]'),
           '[' || coalesce(string_agg('{"rank":' || rank || ',' || entry, ',' ORDER BY rank), '') || ']'
    FROM (SELECT r.*, row_number() OVER (ORDER BY r.rank_key, r.employee_id COLLATE "C") AS rank
            FROM unit_ranking r
           WHERE r.region_id = u.region_id AND r.unit_id = u.unit_id AND r.period = u.period) AS ranked)
"""


def upgrade() -> None:
    op.create_table(
        "unit_ranking",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("achievement", sa.Numeric(9, 4)),
        sa.Column("predicate", sa.String(32)),
        sa.Column("decided", sa.Boolean, nullable=False),
        sa.Column("rater_id", sa.String(64)),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("rank_key", sa.BigInteger, sa.Computed(_RANK_KEY, persisted=True)),
        sa.PrimaryKeyConstraint("region_id", "employee_id", "period", name="pk_unit_ranking"),
        postgresql_with={"fillfactor": FILL_FACTOR},
    )
    op.create_index(
        "ix_unit_ranking_region_id_unit_id_period", "unit_ranking", ["region_id", "unit_id", "period"]
    )
    op.execute("SELECT set_config('app.all_regions', 'on', true)")
    op.execute(_FILL)
    op.execute(_unit_dashboard(_RANKING_OF_ENTRIES))
    op.drop_column("unit_rollups", "ranking_json")
    op.drop_column("unit_rollups", "ranking")


def downgrade() -> None:
    op.add_column("unit_rollups", sa.Column("ranking", JSONB(), nullable=True))
    op.add_column("unit_rollups", sa.Column("ranking_json", sa.Text(), nullable=True))
    op.execute("SELECT set_config('app.all_regions', 'on', true)")
    op.execute(_RANKINGS_FROM_ENTRIES)
    op.alter_column("unit_rollups", "ranking", nullable=False)
    op.alter_column("unit_rollups", "ranking_json", nullable=False)
    op.execute(_unit_dashboard(_RANKING_OF_ROLLUP))
    op.drop_table("unit_ranking")
