"""Unit dashboards (predicates and their distribution check, citizens' signals, trend, ranking),
and what the region's dashboard shares with them.

Both read the unit rollups (``unit_rollups``, kept by every summary refresh: service_layer/rollups.py)
rather than the unit's employee summaries: a unit-period is one row, its ranking already in order.
Each is one statement (the region's in region_dashboards.py): a round trip costs the service more
CPU than its rows do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Boolean, String, bindparam, column, select, text
from sqlalchemy.dialects.postgresql import JSONB

from services.scoring.adapters.tables import (
    employees,
)
from services.scoring.domain.calendar import DEFAULT_PERIOD_KIND
from services.scoring.domain.periods import PeriodKind, parse_period_key, periods_in_year
from services.scoring.domain.predicate import Predicate
from services.scoring.domain.rules import RuleBook
from services.scoring.service_layer.queries.common import (
    TEXT_ARRAY,
    distribution_of,
    ensure_known_unit,
    mean_of,
)
from services.scoring.service_layer.schemas import (
    RankingEntry,
    UnitDashboardRead,
)
from services.scoring.service_layer.views import cached_rule_book, employee_assignment
from shared.auth import Principal, Role, ensure_may_read_unit
from shared.region_reads import Reads
from shared.region_time import in_zone

# The dashboards' parts are plain values, each answer validated once as a whole (a model made per
# part was a validation call each: fourteen a region dashboard).


def predicate_counts(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """Per predicate, as the answers' ``PredicateCount`` takes it."""
    return [
        {"predicate": p.value, "label_id": p.label_id, "count": counts.get(p.value, 0)} for p in Predicate
    ]


def live_predicates(counts: Mapping[str, int]) -> Counter[Predicate]:
    """The live predicates a rollup counted, counted (the distribution check takes them so)."""
    return Counter({_PREDICATES[value]: count for value, count in counts.items()})


#: Each predicate by its value (a look-up, not an ``Enum`` call per unit and predicate).
_PREDICATES = {predicate.value: predicate for predicate in Predicate}


@cache
def period_keys(year: int, kind: PeriodKind) -> tuple[str, ...]:
    """The keys of a year's periods of a kind, in order (a dashboard's trend)."""
    return tuple(period.key for period in periods_in_year(year, kind))


@cache
def keys_of_year(year: int) -> list[str]:
    """Every period key a year may have a rollup of, whatever the region's calendar (the rollups'
    primary key finds them before the calendar is known)."""
    return [period.key for kind in PeriodKind for period in periods_in_year(year, kind)]


#: A dashboard statement's region's rule sets: their dates (ISO text, see ``TEXT_ARRAY``), and their
#: settings as text, in date order.
RULE_SETS_COLUMNS = """(SELECT array_agg(to_char(effective_from, 'YYYY-MM-DD') ORDER BY effective_from)
          FROM rule_sets WHERE region_id = :region_id) AS rules_from,
       (SELECT array_agg(settings::text ORDER BY effective_from)
          FROM rule_sets WHERE region_id = :region_id) AS rules"""

RULE_SETS_TYPES = (column("rules_from", TEXT_ARRAY), column("rules", TEXT_ARRAY))


def rule_book_of(region_id: str, found: Any) -> RuleBook:
    """The region's rule book from the rule sets a dashboard statement gives (``RULE_SETS_COLUMNS``):
    the process's one book of the region while they are the same (``views.cached_rule_book``), so
    that the settings are not decoded and the rules are the same objects from read to read."""
    dates = [date.fromisoformat(day) for day in found.rules_from or ()]
    return cached_rule_book(region_id, tuple(zip(dates, found.rules or (), strict=True)))


class _Rollup(NamedTuple):
    """A unit rollup's figures as the dashboard statement gives them (the ranking comes apart)."""

    period: str
    employees: int
    measured: int
    achievement_sum: Decimal | None
    decided: int
    predicate_counts: dict[str, int]

    @classmethod
    def of(cls, fields: dict[str, Any]) -> _Rollup:
        total = fields["achievement_sum"]
        return cls(
            period=fields["period"],
            employees=fields["employees"],
            measured=fields["measured"],
            achievement_sum=None if total is None else Decimal(total),
            decided=fields["decided"],
            predicate_counts=fields["predicate_counts"],
        )


#: The fields of a ranking entry in the answer, in ``RankingEntry``'s order.
_RANKING_FIELDS = tuple(RankingEntry.model_fields)

#: A rater's ranking (``:everyone`` false: their own team's) as the answer writes it, written by
#: PostgreSQL from the rollup's entries: ``RankingEntry``'s fields in its order, compact, each value
#: the entry's own JSON (``->``'s text). The rollup's statement (service_layer/rollups.py) writes
#: each entry in the answer's types: the rank an integer, the ids and the predicate text or null,
#: the achievement as the numeric's text, which is how the answer writes a ``Decimal``. Everyone
#: else's is the whole ranking, which that statement keeps written as the answer's (``ranking_json``).
_RANKING_JSON = (
    "'[' || coalesce(string_agg('{' || "
    + " || ',' || ".join(f"'\"{name}\":' || (e -> '{name}')::text" for name in _RANKING_FIELDS)
    + " || '}', ',' ORDER BY n), '') || ']'"
)

#: A unit's dashboard in one round trip: the unit with its region's calendar, the unit's rollups of
#: the year (their figures), the period's ranking as the answer's JSON, its satisfaction indices of
#: the period, its complaint breaches of the year by (period, stage), and the region's rule sets.
_UNIT_DASHBOARD = (
    text(
        f"""
SELECT u.name AS unit_name,
       u.organisation_predicate,
       u.unit_id IS NOT NULL AS unit_known,
       (SELECT period_kind FROM region_settings WHERE region_id = :region_id) AS period_kind,
       (SELECT jsonb_agg(jsonb_build_object(
                   'period', r.period, 'employees', r.employees, 'measured', r.measured,
                   'achievement_sum', r.achievement_sum::text, 'decided', r.decided,
                   'predicate_counts', r.predicate_counts))
          FROM unit_rollups r
         WHERE r.region_id = :region_id AND r.unit_id = :unit_id
           AND r.period = ANY(:year_keys)) AS rollups,
       coalesce((SELECT CASE WHEN :everyone THEN r.ranking_json ELSE (
                     SELECT {_RANKING_JSON}
                       FROM jsonb_array_elements(r.ranking) WITH ORDINALITY AS x(e, n)
                      WHERE e ->> 'rater_id' = :rater_id) END
                   FROM unit_rollups r
                  WHERE r.region_id = :region_id AND r.unit_id = :unit_id AND r.period = :period),
                '[]') AS ranking,
       (SELECT jsonb_agg(jsonb_build_object(
                   'unit_id', s.unit_id, 'service_id', s.service_id, 'period', s.period,
                   'satisfaction_index', s.satisfaction_index::text, 'grade', s.grade,
                   'respondents', s.respondents, 'sample_adequate', s.sample_adequate,
                   'updated_at', s.updated_at) ORDER BY s.service_id)
          FROM unit_satisfaction s
         WHERE s.region_id = :region_id AND s.unit_id = :unit_id AND s.period = :period) AS satisfaction,
       (SELECT jsonb_agg(jsonb_build_array(b.period, b.stage, b.breaches))
          FROM (SELECT period, stage, count(*) AS breaches
                  FROM complaint_breaches
                 WHERE region_id = :region_id AND unit_id = :unit_id AND period LIKE :year_pattern
                 GROUP BY period, stage) AS b) AS breaches,
       {RULE_SETS_COLUMNS}
  FROM (SELECT 1) AS one
  LEFT JOIN units u ON u.region_id = :region_id AND u.unit_id = :unit_id
"""
    )
    .bindparams(
        *(
            bindparam(name, type_=String)
            for name in ("region_id", "unit_id", "period", "year_pattern", "rater_id")
        ),
        bindparam("year_keys", type_=TEXT_ARRAY),
        bindparam("everyone", type_=Boolean),
    )
    .columns(
        column("unit_name", String),
        column("organisation_predicate", String),
        column("unit_known", Boolean),
        column("period_kind", String),
        column("rollups", JSONB),
        column("ranking", String),
        column("satisfaction", JSONB),
        column("breaches", JSONB),
        *RULE_SETS_TYPES,
    )
)


def trend(
    keys: Sequence[str], totals: Mapping[str, Any], breaches_by_period: Counter[str]
) -> list[dict[str, Any]]:
    """Per period of the year: employees, mean achievement (from the rollups' exact sums), breaches,
    as the answers' ``TrendPoint`` takes them."""
    points = []
    for key in keys:
        total = totals.get(key)
        points.append(
            {
                "period": key,
                "employees": total.employees if total else 0,
                "achievement_mean": mean_of(total.achievement_sum, total.measured) if total else None,
                "complaint_breaches": breaches_by_period[key],
            }
        )
    return points


def with_ranking(figures: UnitDashboardRead, ranking: bytes) -> bytes:
    """The unit dashboard's answer: its figures (their ``ranking`` left out) and the ranking's JSON,
    which is the answer's last field."""
    head = figures.model_dump_json(exclude={"ranking"}).encode()
    return b'%s,"ranking":%s}' % (head[:-1], ranking)


async def unit_dashboard(
    *, session: Reads, principal: Principal, unit_id: str, period: str, zone: tzinfo
) -> tuple[UnitDashboardRead, bytes]:
    """A unit's dashboard: predicates and their distribution check, citizens' signals, trend, ranking.

    One statement reads all of it (``_UNIT_DASHBOARD``); a rater's own unit takes one more. The
    answer's figures come with ``ranking`` empty, beside the ranking's JSON (``with_ranking``).
    Shown as ``shared.region_time.shown_in`` shows an answer in the region's ``zone``: its only
    times, the satisfaction indices' updates, are put in the zone as it is built, rather than found
    again by walking the validated answer and copying each model that holds one.
    """
    parsed = parse_period_key(period)
    key_asked = parsed.key
    region_id = principal.region
    found = (
        await session.execute(
            _UNIT_DASHBOARD,
            {
                "region_id": region_id,
                "unit_id": unit_id,
                "period": key_asked,
                "year_keys": keys_of_year(parsed.year),
                "year_pattern": f"{parsed.year:04d}%",
                # A rater sees only their own team by name (and only in their own unit, below).
                "everyone": principal.has(Role.REGION_ADMIN, Role.AUDITOR),
                "rater_id": principal.employee_id,
            },
        )
    ).one()
    if not found.unit_known:
        await ensure_known_unit(session, region_id, unit_id)

    async def unit_of(employee_id: str) -> str | None:
        found: str | None = await session.scalar(
            employee_assignment(
                select(employees.c.unit_id).where(
                    employees.c.region_id == region_id, employees.c.employee_id == employee_id
                )
            )
        )
        return found

    # A rater sees the dashboard of their own unit (and only their own team by name, below).
    await ensure_may_read_unit(principal, unit_id, unit_of=unit_of)
    kind = PeriodKind(found.period_kind.upper()) if found.period_kind else DEFAULT_PERIOD_KIND
    keys = period_keys(parsed.year, kind)
    wanted = {*keys, key_asked}
    rollups = {
        rollup.period: rollup
        for rollup in (_Rollup.of(fields) for fields in found.rollups or ())
        if rollup.period in wanted
    }
    breaches: Counter[str] = Counter()
    breaches_by_period: Counter[str] = Counter()
    for key, stage, count in found.breaches or ():
        breaches_by_period[key] += count
        if parsed.kind is PeriodKind.YEAR or key == key_asked:
            breaches[stage] += count
    current = rollups.get(key_asked)
    counts: Mapping[str, int] = current.predicate_counts if current else {}
    employee_count = current.employees if current else 0
    organisation_predicate = found.organisation_predicate
    book = rule_book_of(region_id, found)
    figures = UnitDashboardRead.model_validate(
        {
            "unit_id": unit_id,
            "region_id": region_id,
            "period": key_asked,
            "unit_name": found.unit_name,
            "organisation_predicate": organisation_predicate,
            "employees": employee_count,
            "achievement_mean": mean_of(current.achievement_sum, current.measured) if current else None,
            "predicates": predicate_counts(counts),
            "without_predicate": employee_count - sum(counts.values()),
            "decided": current.decided if current else 0,
            "distribution": await distribution_of(
                session, region_id, parsed, organisation_predicate, live_predicates(counts), rule_book=book
            ),
            "satisfaction": [
                entry | {"updated_at": in_zone(datetime.fromisoformat(entry["updated_at"]), zone)}
                for entry in found.satisfaction or ()
            ],
            "complaint_breaches": sum(breaches.values()),
            "complaint_breaches_by_stage": dict(sorted(breaches.items())),
            "trend": trend(keys, rollups, breaches_by_period),
            "ranking": [],
        }
    )
    return figures, found.ranking.encode()
