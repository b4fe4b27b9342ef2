"""The progress refresh: each employee-indicator-period row (indicator_progress) brought up to date.

A row's totals follow from its stored totals and the batch's activity changes (``deltas.py``) or,
when they cannot, from its contributions (``contribution_totals.py``); its target, realisation and
achievement then follow from the planned indicator and the region's rules for the period.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.sql_arrays import key_rows, per_key
from services.scoring.adapters.tables import indicator_progress
from services.scoring.domain.achievement import (
    Aggregation,
    Indicator,
    IndicatorAchievement,
    NumericTarget,
    RealisationTotals,
    assess_indicator,
    realisation_from_totals,
)
from services.scoring.domain.periods import Period, parse_period_key
from services.scoring.service_layer.views.contribution_totals import totals_from_contributions
from services.scoring.service_layer.views.deltas import NeedsRecompute, ProgressDelta, advanced_totals
from services.scoring.service_layer.views.facts import RegionFacts
from services.scoring.service_layer.views.named_rows import named_rows
from services.scoring.service_layer.views.plans import PlannedIndicators, plan_indicators_in_force
from services.scoring.service_layer.views.touches import ProgressKey, Touch, progress_keys_table
from services.scoring.service_layer.views.values import (
    exact,
    insert_new,
    now,
    to_decimal,
    to_fraction,
    upsert_when_changed,
)
from shared.json_rows import json_rows


def totals_of(row: Any) -> RealisationTotals:
    """The exact totals a progress row stores (or a row's totals named as its columns)."""
    return RealisationTotals(
        count=row.activity_count,
        quantity=exact(row.quantity_sum),
        denominator=exact(row.denominator_sum),
        latest_quantity=to_fraction(row.last_quantity),
        verified_count=row.verified_count,
        verified_quantity=exact(row.verified_quantity_sum),
        verified_denominator=exact(row.verified_denominator_sum),
        verified_latest_quantity=to_fraction(row.verified_last_quantity),
    )


class FreshProgress(NamedTuple):
    """A progress row as a refresh left it: what a summary reads of it (the columns
    ``summary_inputs`` reads back otherwise) and its indicator's assessment, if it made one."""

    indicator_id: str
    activity_count: int
    quantity_sum: Any
    denominator_sum: Any
    last_quantity: Any
    verified_count: int
    verified_quantity_sum: Any
    verified_denominator_sum: Any
    verified_last_quantity: Any
    assessed: IndicatorAchievement | None


#: The touched progress rows as a refresh left them (None: the row does not exist).
FreshRows = dict[ProgressKey, FreshProgress | None]


async def refresh_progress(
    session: AsyncSession,
    facts: RegionFacts,
    touched: dict[ProgressKey, Touch],
    deltas: dict[ProgressKey, ProgressDelta] | None = None,
    recompute: set[ProgressKey] | None = None,
    planned: PlannedIndicators | None = None,
    none_stored: bool = False,
) -> FreshRows:
    """Bring the touched employee-indicator-period rows up to date, all at once; returns each as
    it now stands, so the summaries of their periods need not read them back.

    With ``deltas`` a row's totals follow from its stored totals plus the batch's changes (a key
    without a delta keeps its totals); the rows in ``recompute`` (or all, without ``deltas``), and
    those whose latest activity was withdrawn, are recomputed from their contributions.
    ``none_stored``: none of the rows is stored yet (``refresh_views``): they are inserted plainly.
    """
    fresh: FreshRows = {}
    if not touched:
        return fresh
    region_id = facts.region_id
    keys = sorted(touched)
    # Locked: the new totals are computed from these (another consumer of the same rows waits).
    # None stored, none is read (each key was looked up in vain).
    current = (
        {}
        if none_stored
        else {
            (row.employee_id, row.indicator_id, row.period): row
            for row in named_rows(
                await session.execute(_CURRENT_PROGRESS, {"region_id": region_id, "keys": key_rows(keys)})
            )
        }
    )
    totals, from_contributions = _advanced(keys, current, deltas, recompute)
    if from_contributions:
        totals |= await totals_from_contributions(session, region_id, from_contributions)
    planned_by_year = (
        planned
        if planned is not None
        else await plan_indicators_in_force(session, region_id, (employee_id for employee_id, _, _ in keys))
    )
    upserts, deletes = _progress_rows(facts, keys, touched, current, totals, planned_by_year, fresh)
    if upserts:
        # One JSON parameter for every row (an executemany encoded each value on its own).
        columns = tuple(upserts[0])
        statement = (
            insert_new(indicator_progress, columns)
            if none_stored
            else upsert_when_changed(indicator_progress, columns, _PROGRESS_KEY, _STAMPS, ("events_applied",))
        )
        await session.execute(statement, {"rows": json_rows(upserts, columns), "updated_at": now()})
    if deletes:
        # Rows known to exist, each deleted by its primary key (an index look-up whatever the
        # statistics say; a join to the keys was planned as a scan of the region's rows).
        await session.execute(
            _DELETE_PROGRESS,
            [
                {"r": region_id, "e": employee_id, "i": indicator_id, "p": period}
                for employee_id, indicator_id, period in deletes
            ],
        )
    return fresh


#: What the refresh reads of a stored progress row: its key and its totals, from which the new
#: totals follow. Not the rest: the upsert compares the content (``upsert_when_changed``) and adds
#: the events applied, so its target, realisation, shares and stamps are never read back (each
#: ``numeric`` or ``timestamptz`` decoded cost ~4k instructions).
_STORED_COLUMNS = tuple(
    indicator_progress.c[name]
    for name in (
        "employee_id",
        "indicator_id",
        "period",
        "activity_count",
        "quantity_sum",
        "denominator_sum",
        "verified_count",
        "verified_quantity_sum",
        "verified_denominator_sum",
        "rejected_count",
        "last_quantity",
        "last_occurred_at",
        "last_activity_id",
        "verified_last_quantity",
        "verified_last_occurred_at",
        "verified_last_activity_id",
    )
)


def _current_progress_statement() -> Any:
    key_table, progress = progress_keys_table(), indicator_progress.c
    query = (
        select(*_STORED_COLUMNS)
        .where(
            progress.region_id == bindparam("region_id"),
            progress.employee_id == key_table.c.employee_id,
            progress.indicator_id == key_table.c.indicator_id,
            progress.period == key_table.c.period,
        )
        .with_for_update()
    )
    return per_key(key_table, query, "p")


#: The touched rows as stored (built once: see ``sql_arrays``).
_CURRENT_PROGRESS = _current_progress_statement()
_PROGRESS_KEY = ("region_id", "employee_id", "indicator_id", "period")
#: What a row's upsert leaves as stored when its content is unchanged.
_STAMPS = ("last_event_id", "updated_at")
_DELETE_PROGRESS = delete(indicator_progress).where(
    indicator_progress.c.region_id == bindparam("r"),
    indicator_progress.c.employee_id == bindparam("e"),
    indicator_progress.c.indicator_id == bindparam("i"),
    indicator_progress.c.period == bindparam("p"),
)


def _advanced(
    keys: list[ProgressKey],
    current: dict[ProgressKey, Any],
    deltas: dict[ProgressKey, ProgressDelta] | None,
    recompute: set[ProgressKey] | None,
) -> tuple[dict[ProgressKey, Any], list[ProgressKey]]:
    """The rows' totals that follow from their stored totals and the batch's changes, and the keys
    that must be recomputed from their contributions instead."""
    totals: dict[ProgressKey, Any] = {}
    from_contributions: list[ProgressKey] = []
    for key in keys:
        if deltas is None or (recompute is not None and key in recompute):
            from_contributions.append(key)
            continue
        try:
            totals[key] = advanced_totals(current.get(key), deltas.get(key) or ProgressDelta())
        except NeedsRecompute:
            from_contributions.append(key)
    return totals, from_contributions


def _progress_rows(
    facts: RegionFacts,
    keys: list[ProgressKey],
    touched: dict[ProgressKey, Touch],
    current: dict[ProgressKey, Any],
    totals: dict[ProgressKey, Any],
    planned_by_year: PlannedIndicators,
    fresh: FreshRows,
) -> tuple[list[dict[str, Any]], list[ProgressKey]]:
    """The rows to upsert (each with its whole content: the upsert writes those that changed) and
    the stored rows to delete, with each row as it now stands noted in ``fresh``: the refresh's
    work between its statements."""
    region_id = facts.region_id
    upserts: list[dict[str, Any]] = []
    deletes: list[ProgressKey] = []
    for key in keys:
        employee_id, indicator_id, period_key = key
        row, totals_row = current.get(key), totals.get(key)
        if totals_row is None or (totals_row.activity_count == 0 and totals_row.rejected_count == 0):
            fresh[key] = None
            if row is not None:
                deletes.append(key)
            continue
        period = parse_period_key(period_key)
        planned = planned_by_year.get((employee_id, period.year))
        indicator = facts.plans.indicator(planned, indicator_id, period) if planned else None
        values, assessed = _progress_values(facts, totals_row, indicator, period)
        fresh[key] = FreshProgress(
            indicator_id,
            values["activity_count"],
            values["quantity_sum"],
            values["denominator_sum"],
            values["last_quantity"],
            values["verified_count"],
            values["verified_quantity_sum"],
            values["verified_denominator_sum"],
            values["verified_last_quantity"],
            assessed,
        )
        # Every row goes to the upsert, which writes only those whose content changed (adding
        # their events to those the stored row counts).
        found = touched[key]
        values.update(
            employee_id=employee_id,
            indicator_id=indicator_id,
            period=period_key,
            region_id=region_id,
            events_applied=found.events,
            last_event_id=found.event_id,
            updated_at=None,  # the statement's stamp (``STAMPED``)
        )
        upserts.append(values)
    return upserts, deletes


def _progress_values(
    facts: RegionFacts, totals_row: Any, indicator: Indicator | None, period: Period
) -> tuple[dict[str, Any], IndicatorAchievement | None]:
    """A progress row's content from its totals and its planned indicator (if any), and the
    indicator's assessment when it has activities (the summary's, for an unjudged indicator)."""
    aggregation = indicator.aggregation if indicator is not None else Aggregation.SUM
    realisation = realisation_from_totals(aggregation, totals_of(totals_row))
    target: Fraction | None = None
    assessed: IndicatorAchievement | None = None
    if indicator is not None:
        if isinstance(indicator.target, NumericTarget):
            target = indicator.target.value
        if totals_row.activity_count:
            assessed = assess_indicator(indicator, realisation, facts.rules(period).achievement)
    return {
        "quantity_sum": totals_row.quantity_sum,
        "denominator_sum": totals_row.denominator_sum,
        "activity_count": totals_row.activity_count,
        "verified_quantity_sum": totals_row.verified_quantity_sum,
        "verified_denominator_sum": totals_row.verified_denominator_sum,
        "verified_count": totals_row.verified_count,
        "verified_last_quantity": totals_row.verified_last_quantity,
        "verified_last_occurred_at": totals_row.verified_last_occurred_at,
        "verified_last_activity_id": totals_row.verified_last_activity_id,
        "rejected_count": totals_row.rejected_count,
        "last_occurred_at": totals_row.last_occurred_at,
        "last_activity_id": totals_row.last_activity_id,
        "last_quantity": totals_row.last_quantity,
        "target": to_decimal(target),
        "realisation": to_decimal(realisation.value),
        "verified_share": to_decimal(realisation.verified_share),
        "achievement": to_decimal(assessed.achievement if assessed else None),
    }, assessed
