"""The rows an employee's scorecard is made of: its summary with what shows beside it, its plan's
indicators with their progress, and the activities behind them (scorecards.py builds the answer).

One row, read in one round trip by a function that sets the region, then reads (scoring's migrations
0018 and 0019, where the statement is: ``scorecard_read`` for a period, ``scorecard_of_year_read``
for a year, ``scorecard_team_read`` and ``scorecard_team_of_year_read`` the same with the team
supervisor; ``shared.region_reads.RegionCall``). Each activity's JSON is kept in its contributions row
(``scorecard_json``, written with the activity); the functions string them together.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, String, bindparam, text

from services.scoring.domain.periods import Period, PeriodKind
from shared.region_reads import RegionCall, RegionReader

#: A plan indicator with its progress row of the period (its fields None when there is none), as
#: the functions give each (a ``scorecard_indicator``, fields in this order).
IndicatorRow = namedtuple(
    "IndicatorRow",
    [
        "indicator_id",
        "code",
        "name",
        "result_id",
        "result_kind",
        "aspect",
        "direction",
        "aggregation",
        "unit_of_measure",
        "target",
        "qualitative_target",
        "period_targets",
        "progress_indicator_id",
        "progress_target",
        "realisation",
        "verified_share",
        "achievement",
        "activity_count",
        "verified_count",
        "rejected_count",
        "last_occurred_at",
        "last_activity_id",
        "events_applied",
        "last_event_id",
        "updated_at",
    ],
)


def indicators_with_progress(rows: Iterable[tuple[Any, ...]] | None) -> list[Any]:
    """The plan's indicators with their progress (``indicator_rows``), read by column name."""
    return [IndicatorRow(*row) for row in rows or ()]


_PERSON = ("region_id", "employee_id", "period", "year_key")


def _period_call(function: str) -> RegionCall:
    """A period's scorecard row; the columns as the function names them."""
    return RegionCall(
        text(f"SELECT * FROM {function}(:region_id, :employee_id, :period, :year_key)").bindparams(
            *(bindparam(name, type_=String) for name in _PERSON)
        )
    )


def _year_call(function: str) -> RegionCall:
    """A year's: the same, with the year's activities and field visits."""
    return RegionCall(
        text(
            f"SELECT * FROM {function}(:region_id, :employee_id, :period, :year_key, :pattern, :year)"
        ).bindparams(
            *(bindparam(name, type_=String) for name in (*_PERSON, "pattern")),
            bindparam("year", type_=Integer),
        )
    )


#: By (whole year, with the team supervisor): the statement (migration 0019).
_STATEMENTS = {
    (False, False): _period_call("scorecard_read"),
    (True, False): _year_call("scorecard_of_year_read"),
    (False, True): _period_call("scorecard_team_read"),
    (True, True): _year_call("scorecard_team_of_year_read"),
}


def scorecard_summary_statement(whole_year: bool, team: bool = True) -> RegionCall:
    """The scorecard's statement for a period, or for a whole year; with the employee's supervisor
    in the team read model (``team``), or without it (null: five plan nodes fewer)."""
    return _STATEMENTS[whole_year, team]


async def scorecard_summary(
    session: RegionReader, region_id: str, employee_id: str, period: Period, *, team: bool
) -> Any:
    """The employee-period view row (None without one) with what the scorecard shows beside it.

    Whether the period (or its year) is closed, the employee's supervisor in the team read model
    (``team``; null otherwise), the rater's behaviour assessment behind the proposal, the latest
    rating decision, the field visits, the plan's indicators with their progress
    (``indicator_rows``) and the activities of the period by indicator, as the answer's JSON
    (``activity_indicators``, ``activity_lists``): one round trip instead of ten, each part through
    an index.
    """
    whole_year = period.kind is PeriodKind.YEAR
    parameters = {
        "region_id": region_id,
        "employee_id": employee_id,
        "period": period.key,
        "year_key": f"{period.year:04d}",
    } | ({"pattern": f"{period.year:04d}%", "year": period.year} if whole_year else {})
    return (await session.execute(scorecard_summary_statement(whole_year, team), parameters)).first()
