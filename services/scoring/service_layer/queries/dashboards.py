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
    UnitDashboardRead,
)
from services.scoring.service_layer.views import cached_rule_book, employee_assignment
from shared.auth import Principal, Role, ensure_may_read_unit
from shared.region_reads import RegionCall, RegionReader
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
RULE_SETS_TYPES = (column("rules_from", TEXT_ARRAY), column("rules", TEXT_ARRAY))


def rule_book_of(region_id: str, found: Any) -> RuleBook:
    """The region's rule book from the rule sets a dashboard statement gives (``RULE_SETS_TYPES``):
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


#: A unit's dashboard in one round trip (scoring's migration 0015, ``unit_dashboard_read``, which
#: sets the region first): the unit with its region's calendar, the unit's rollups of the year (their
#: figures), the period's ranking as the answer's JSON (the rollup's ``ranking_json``, which the
#: consumer writes as ``RankingEntry``'s fields in order; a rater's own team's written from the
#: rollup's entries the same way), its satisfaction indices of the period, its complaint breaches of
#: the year by (period, stage), and the region's rule sets.
_UNIT_DASHBOARD = RegionCall(
    text(
        "SELECT * FROM unit_dashboard_read(:region_id, :unit_id, :period, :year_keys, :year_pattern,"
        " :everyone, :rater_id)"
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
    *, session: RegionReader, principal: Principal, unit_id: str, period: str, zone: tzinfo
) -> tuple[UnitDashboardRead, bytes]:
    """A unit's dashboard: predicates and their distribution check, citizens' signals, trend, ranking.

    One round trip reads all of it (``_UNIT_DASHBOARD``); a rater's own unit takes three more (the
    read's transaction, the rater's unit, its end), an unknown unit four. The
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
