"""Materialized views: progress per indicator, summaries per employee, unit rollups, satisfaction."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from services.scoring.adapters.tables.base import metadata, stamps
from services.scoring.domain.predicate import Predicate

#: The ids of the views' secondary indexes, read by equality alone, compared as bytes without their
#: collation's look-ups (``text_pattern_ops``, migration 0026): a refresh writes an entry into each
#: for every row it inserts. The primary keys keep the default class (a key's index must).
_IDS_AS_BYTES = dict.fromkeys(("region_id", "employee_id", "unit_id", "period"), "text_pattern_ops")

#: Per employee, indicator and period (a sub-period key such as 2026-Q3, or the year 2026).
#: The totals are exact; realisation follows from them by domain.achievement.realisation_from_totals.
indicator_progress = Table(
    "indicator_progress",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("employee_id", String(64), primary_key=True),
    Column("indicator_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("quantity_sum", Numeric(20, 4), nullable=False),
    Column("denominator_sum", Numeric(20, 4), nullable=False),
    Column("activity_count", Integer, nullable=False),
    Column("verified_quantity_sum", Numeric(20, 4), nullable=False),
    Column("verified_denominator_sum", Numeric(20, 4), nullable=False, server_default=text("0")),
    Column("verified_count", Integer, nullable=False),
    Column("verified_last_quantity", Numeric(18, 4)),
    Column("rejected_count", Integer, nullable=False, server_default=text("0")),
    Column("last_occurred_at", DateTime(timezone=True)),
    Column("last_activity_id", String(64)),
    Column("last_quantity", Numeric(18, 4)),
    Column("target", Numeric(18, 4)),
    Column("realisation", Numeric(20, 4)),
    Column("verified_share", Numeric(9, 4)),
    Column("achievement", Numeric(9, 4)),
    Column("events_applied", Integer, nullable=False),
    *stamps(),
    # The latest verified activity (time, id): lets the totals be kept incrementally (migration 0003).
    Column("verified_last_occurred_at", DateTime(timezone=True)),
    Column("verified_last_activity_id", String(64)),
    Index(
        "ix_indicator_progress_region_id_employee_id_period",
        "region_id",
        "employee_id",
        "period",
        postgresql_ops=_IDS_AS_BYTES,
    ),
)

#: Per employee and period: achievement, the proposals, the rater's decision and the predicate.
employee_scores = Table(
    "employee_scores",
    metadata,
    Column("employee_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("region_id", String(64), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("job_type", String(64), nullable=False),
    Column("rater_id", String(64)),
    Column("achievement", Numeric(9, 4)),
    Column("main_achievement", Numeric(9, 4)),
    Column("additional_bonus", Numeric(9, 4), nullable=False),
    Column("verified_share", Numeric(9, 4)),
    Column("activity_count", Integer, nullable=False),
    Column("indicator_outcomes", JSONB, nullable=False),
    Column("rule_set_from", Date, nullable=False),
    Column("proposed_result_rating", String(16), nullable=False),
    Column("proposal_reasons", JSONB, nullable=False),
    Column("behaviour_assessment_id", String(64)),
    Column("proposed_behaviour_rating", String(16)),
    Column("proposed_predicate", String(32)),
    Column("result_rating", String(16)),
    Column("behaviour_rating", String(16)),
    Column("predicate", String(32)),
    Column("overridden", Boolean),
    Column("decision_reason", Text),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    *stamps(),
    PrimaryKeyConstraint("region_id", "employee_id", "period", name="pk_employee_scores"),
    Index(
        "ix_employee_scores_region_id_unit_id_period",
        "region_id",
        "unit_id",
        "period",
        postgresql_ops=_IDS_AS_BYTES,
    ),
)

#: Per unit and period, what the dashboards show of its employee summaries (the rows with that unit
#: and period), kept by every summary refresh (service_layer/rollups.py) rather than aggregated per
#: read: counts, the exact sum of achievements, predicates counted; the ranking is ``unit_ranking``.
unit_rollups = Table(
    "unit_rollups",
    metadata,
    Column("region_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("employees", Integer, nullable=False),
    Column("measured", Integer, nullable=False),  # employees with an achievement
    Column("achievement_sum", Numeric),  # exact; None when nobody is measured
    Column("decided", Integer, nullable=False),  # employees with a rater's predicate
    Column("predicate_counts", JSONB, nullable=False),  # {predicate: employees}, live predicates
    PrimaryKeyConstraint("region_id", "unit_id", "period", name="pk_unit_rollups"),
)

#: Where an entry ranks in its unit-period, as one number to sort by: the live predicate's place
#: (best first; none, or one unknown, ranks as the lowest), then an achievement before none, the
#: higher first (numeric(9, 4): ten thousand times one is under 10**9 either side of zero). Ties
#: are ordered by the employee id as Python compares strings (``COLLATE "C"``).
_BEST_FIRST = sorted(Predicate, key=lambda p: -p.rank)
RANK_KEY = (
    f"array_position(ARRAY[{', '.join(repr(p.value) for p in _BEST_FIRST)}], "
    f"coalesce(predicate, '{_BEST_FIRST[-1].value}')::text)::bigint * 2147483648 "
    "+ CASE WHEN achievement IS NULL THEN 2000000000 ELSE 1000000000 - (achievement * 10000)::bigint END"
)

#: Per employee and period, the summary's entry in its unit-period's ranking (the rewards order:
#: ``domain.rewards.ranking_key``), kept with the rollups (service_layer/rollups.py): what the
#: rollup counts, where the entry ranks, and the entry as the unit dashboard answers it after its
#: rank. The dashboard orders a unit-period's entries as it reads them: no index holds what
#: changes, so that a changed entry is updated in place (HOT, on pages kept with room: migration
#: 0020), writing no index entry.
unit_ranking = Table(
    "unit_ranking",
    metadata,
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("achievement", Numeric(9, 4)),
    Column("predicate", String(32)),  # the live predicate: the rater's, else the proposal
    Column("decided", Boolean, nullable=False),  # the rater decided a predicate
    Column("rater_id", String(64)),  # a rater's dashboard shows their own team's entries
    Column("entry", Text, nullable=False),  # ``RankingEntry``'s JSON after its rank: "employee_id":..}
    Column("rank_key", BigInteger, Computed(RANK_KEY, persisted=True)),
    PrimaryKeyConstraint("region_id", "employee_id", "period", name="pk_unit_ranking"),
    Index(
        "ix_unit_ranking_region_id_unit_id_period",
        "region_id",
        "unit_id",
        "period",
        postgresql_ops=_IDS_AS_BYTES,
    ),
)

#: The ``service_id`` of a unit's own satisfaction index, over every response the unit received.
WHOLE_UNIT = ""

#: A unit's satisfaction index (IKM) per period: its own (``WHOLE_UNIT``) and each service's.
unit_satisfaction = Table(
    "unit_satisfaction",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("unit_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("satisfaction_index", Numeric(6, 2), nullable=False),
    Column("grade", String(4), nullable=False),
    Column("respondents", Integer, nullable=False),
    Column("sample_adequate", Boolean),
    *stamps(),
)
