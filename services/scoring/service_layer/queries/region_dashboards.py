"""A region's dashboard: every unit's figures side by side, from the units' rollups, in one statement."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import String, bindparam, column, text
from sqlalchemy.dialects.postgresql import JSONB

from services.scoring.adapters.tables import WHOLE_UNIT
from services.scoring.domain.calendar import DEFAULT_PERIOD_KIND
from services.scoring.domain.periods import PeriodKind, parse_period_key
from services.scoring.domain.rules import RuleSet
from services.scoring.service_layer.queries.common import TEXT_ARRAY, distribution_report, mean_of
from services.scoring.service_layer.queries.dashboards import (
    RULE_SETS_TYPES,
    keys_of_year,
    live_predicates,
    period_keys,
    predicate_counts,
    rule_book_of,
    trend,
)
from services.scoring.service_layer.schemas import RegionDashboardRead
from shared.auth import Principal
from shared.region_reads import RegionCall, RegionReader

#: The region's calendar, every unit's rollup of the period, its units, its complaint breaches of
#: the year by (unit, period, stage), each unit's own satisfaction index of the period, its rule sets,
#: and its rollups summed per period of the year (the trend), in one round trip (scoring's migration
#: 0015, ``region_dashboard_read``, which sets the region first).
_REGION_DASHBOARD = RegionCall(
    text("SELECT * FROM region_dashboard_read(:region_id, :period, :year_keys, :year_pattern, :whole_unit)")
    .bindparams(
        *(bindparam(name, type_=String) for name in ("region_id", "period", "year_pattern", "whole_unit")),
        bindparam("year_keys", type_=TEXT_ARRAY),
    )
    .columns(
        column("period_kind", String),
        *(column(name, JSONB) for name in ("rollups", "units", "breaches", "indices")),
        *RULE_SETS_TYPES,
        column("trend", JSONB),
    )
)


class _Totals(NamedTuple):
    """A unit's rollup of the period, or the region's rollups summed for a period of the trend."""

    employees: int
    measured: int
    achievement_sum: Decimal | None
    predicate_counts: dict[str, int]


def _totals(employees: int, measured: int, achievement_sum: str | None, counts: Any = None) -> _Totals:
    return _Totals(
        employees, measured, None if achievement_sum is None else Decimal(achievement_sum), counts or {}
    )


async def region_dashboard(
    *, session: RegionReader, principal: Principal, period: str
) -> RegionDashboardRead:
    """A region's dashboard: every unit's figures side by side, from the units' rollups."""
    parsed = parse_period_key(period)
    key_asked = parsed.key
    region_id = principal.region
    found = (
        await session.execute(
            _REGION_DASHBOARD,
            {
                "region_id": region_id,
                "period": key_asked,
                "year_pattern": f"{parsed.year:04d}%",
                "whole_unit": WHOLE_UNIT,
                "year_keys": keys_of_year(parsed.year),
            },
        )
    ).one()
    by_unit = {unit_id: _totals(*figures) for unit_id, *figures in found.rollups or ()}
    known_units = {unit_id: (name, predicate) for unit_id, name, predicate in found.units or ()}
    breaches: Counter[str] = Counter()  # the period's, by unit
    breaches_by_period: Counter[str] = Counter()  # the year's, by period (the trend's)
    for unit_id, key, count in found.breaches or ():
        breaches_by_period[key] += count
        if parsed.kind is PeriodKind.YEAR or key == key_asked:
            breaches[unit_id] += count
    # The unit's own index (service ""), over every response it received: a mean of its services'
    # indices would weigh a service answered twice like one answered two hundred times.
    indices = {unit_id: Decimal(index) for unit_id, index in found.indices or ()}
    book = rule_book_of(region_id, found)
    summaries = []
    region_counts: Counter[str] = Counter()
    rules_in_force: dict[str, RuleSet] = {}  # taken from the book once, when the first unit needs it
    for unit_id in sorted(set(by_unit) | set(known_units) | set(breaches)):
        rollup = by_unit.get(unit_id)
        counts = rollup.predicate_counts if rollup else {}
        region_counts.update(counts)
        name, organisation_predicate = known_units.get(unit_id, (None, None))
        check = await distribution_report(
            session,
            region_id,
            parsed,
            organisation_predicate,
            live_predicates(counts),
            rules_in_force,
            rule_book=book,
        )
        summaries.append(
            {  # as the answer's ``UnitSummary`` takes it (the answer is validated once, below)
                "unit_id": unit_id,
                "unit_name": name,
                "employees": rollup.employees if rollup else 0,
                "achievement_mean": mean_of(rollup.achievement_sum, rollup.measured) if rollup else None,
                "distribution_compliant": check.compliant if check else None,
                "complaint_breaches": breaches[unit_id],
                "satisfaction_index": indices.get(unit_id),
            }
        )
    measured = [rollup for rollup in by_unit.values() if rollup.measured]
    kind = PeriodKind(found.period_kind.upper()) if found.period_kind else DEFAULT_PERIOD_KIND
    return RegionDashboardRead.model_validate(
        {
            "region_id": region_id,
            "period": key_asked,
            "employees": sum(rollup.employees for rollup in by_unit.values()),
            "achievement_mean": mean_of(
                sum((rollup.achievement_sum or Decimal(0) for rollup in measured), Decimal(0)),
                sum(rollup.measured for rollup in measured),
            ),
            "predicates": predicate_counts(region_counts),
            "units": summaries,
            "trend": trend(
                period_keys(parsed.year, kind),
                {key: _totals(*figures) for key, *figures in found.trend or ()},
                breaches_by_period,
            ),
        }
    )
