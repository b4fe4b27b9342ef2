"""Event handlers that keep scoring's facts and views current; each applies one event exactly once.

The consumer runner guarantees "once" with the processed-events row. Each handler records the fact
the event carries and notes the view rows it touches; the rows are then refreshed from all stored
facts (see views.py), so the views equal a recomputation from the raw events whatever order they
arrived in. Activity changes are folded and stored, and each touched row refreshed, once at the
end of the batch (``PendingViews``, the batch's deferred work), set-based. During ``kinerja
replay`` the touched rows go to the replay's ``ViewBacklog`` (the scope's ``replay_backlog``)
instead and are refreshed once, when every event is applied. Handlers write only through the
scope they are given (``shared.messaging.scope``). An event about a period closed before it
happened is kept in ``late_events`` and never changes the frozen views.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any, TypeVar

import orjson
from sqlalchemy import String, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scoring.adapters.sql_arrays import array_of, keys_table, per_key
from services.scoring.adapters.tables import (
    WHOLE_UNIT,
    behaviour_assessments,
    complaint_breaches,
    contributions,
    employees,
    evidence_claims,
    field_visits,
    late_events,
    plan_indicators,
    plans,
    region_settings,
    unit_satisfaction,
    units,
)
from services.scoring.domain.activity import (
    ActivityIdentity,
    ActivityMeasure,
    ActivityState,
    ActivityStatus,
    Stamp,
)
from services.scoring.domain.calendar import Calendar, period_is_frozen
from services.scoring.domain.objectivity import EvidenceClaim, SharedEvidence, shared_evidence
from services.scoring.domain.periods import PeriodKind, parse_period_key
from services.scoring.metrics import LATE_EVENTS
from services.scoring.service_layer.flags import FlagKind, raise_flag
from services.scoring.service_layer.views import (
    EmployeeYear,
    ProgressDelta,
    ProgressKey,
    RegionFacts,
    SummaryKey,
    Touch,
    calendar,
    closures,
    is_frozen,
    note_activity_change,
    now,
    refresh_plan_in_force,
    refresh_views,
    region_facts,
    touch,
)
from shared.contracts import Envelope, Event
from shared.contracts.feedback import (
    BehaviourAssessmentSubmitted,
    ComplaintDeadlineBreached,
    SatisfactionIndexChanged,
)
from shared.contracts.planning import (
    EmployeeUpserted,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.contracts.reporting import (
    ActivityCorrected,
    ActivityRejected,
    ActivityReported,
    ActivityVerified,
    EvidenceAttached,
    FieldVisitLogged,
)
from shared.db import REGION_SETTING, insert_from_arrays
from shared.messaging.consumer import EventRejected
from shared.messaging.scope import Batch, HandlerScope
from shared.read_models import stored_if_newer
from shared.refusals import Refusal
from shared.region_time import as_sent, utc_offset_minutes


def _stamp(envelope: Envelope) -> Stamp:
    return Stamp(envelope.occurred_at, str(envelope.event_id))


def _event_id(envelope: Envelope) -> str:
    return str(envelope.event_id)


async def _divert_late(session: AsyncSession, envelope: Envelope, *, period: str, subject_id: str) -> None:
    """Keep an event for a closed period aside: recorded, visible to auditors, never applied."""
    await session.execute(
        insert(late_events)
        .values(
            event_id=_event_id(envelope),
            region_id=envelope.region_id,
            event_type=envelope.type,
            period=period,
            subject_id=subject_id,
            payload=envelope.payload,
            occurred_at=envelope.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["region_id", "event_id"])
    )
    LATE_EVENTS.labels(envelope.type).inc()


def _period_key(key: str) -> str:
    """A period key from another service, refused (dead-lettered) when it names no period."""
    try:
        return parse_period_key(key).key
    except Refusal as exc:
        raise EventRejected(f"not a period: {key!r}") from exc


# --- deferring the views to the end of the batch -----------------------------------------------------


@dataclass
class _ActivityChange:
    """One activity event, folded into the activity's state when the batch ends."""

    envelope: Envelope
    activity_id: str
    employee_id: str
    change: Callable[[ActivityState], ActivityState]


@dataclass
class _RegionWork:
    changes: list[_ActivityChange] = field(default_factory=list)
    progress: dict[ProgressKey, Touch] = field(default_factory=dict)
    summaries: dict[SummaryKey, Touch] = field(default_factory=dict)
    employee_years: dict[EmployeeYear, Touch] = field(default_factory=dict)
    deltas: dict[ProgressKey, ProgressDelta] = field(default_factory=dict)


class PendingViews:
    """A batch's activity changes and touched view rows, applied and refreshed once, set-based.

    The batch's deferred work (``HandlerScope.deferred``), so a row touched by many events of a
    batch is recomputed once, and a batch's activities are read and stored with one statement each.
    """

    def __init__(self, batch: Batch[ViewBacklog]) -> None:
        self._batch = batch
        self._regions: dict[str, _RegionWork] = {}

    def region(self, region_id: str) -> _RegionWork:
        """The work left for one region."""
        work = self._regions.get(region_id)
        if work is None:
            work = self._regions[region_id] = _RegionWork()
        return work

    async def run(self) -> None:
        """At the end of the batch: what ``flush`` does."""
        await self.flush()

    async def flush(self) -> None:
        """Store the pending activity changes and refresh every touched row, region by region."""
        session = self._batch.session
        regions, self._regions = self._regions, {}
        if not regions:
            return
        restricted_to = await session.scalar(select(func.current_setting(REGION_SETTING, True)))
        for region_id, work in regions.items():
            if region_id != restricted_to:
                await session.execute(select(func.set_config(REGION_SETTING, region_id, True)))
            facts = await region_facts(session, region_id)
            await _apply_changes(self._batch, facts, work)
            if (backlog := self._batch.replay_backlog) is not None:
                backlog.record(region_id, work)
            else:
                await refresh_views(
                    session,
                    facts,
                    progress=work.progress,
                    summaries=work.summaries,
                    employee_years=work.employee_years,
                    deltas=work.deltas,
                )
            if region_id != restricted_to and restricted_to:
                await session.execute(select(func.set_config(REGION_SETTING, restricted_to, True)))


class ViewBacklog:
    """The view rows a replay touched, refreshed once when every event is applied (not per batch).

    A rebuild is fast only if each employee's summaries are computed once, not after every batch
    that touched them (a year of events touches each summary hundreds of times). The rows follow
    from the stored facts, so refreshing at the end gives what the per-batch refreshes would; the
    touches are merged as within one batch (``Touch``), so frozen periods stay frozen.
    """

    def __init__(self) -> None:
        self._regions: dict[str, _RegionWork] = {}

    def record(self, region_id: str, work: _RegionWork) -> None:
        """Keep a batch's touched rows of one region for the end (its activity deltas are not needed)."""
        kept = self._regions.setdefault(region_id, _RegionWork())
        _merge(kept.progress, work.progress)
        _merge(kept.summaries, work.summaries)
        _merge(kept.employee_years, work.employee_years)

    @property
    def owners(self) -> int:
        """The employees whose rows are recorded (across regions)."""
        return sum(len(_employees_of(work)) for work in self._regions.values())

    def merge(self, other: ViewBacklog) -> None:
        """Add what another process's backlog recorded."""
        for region_id, work in other._regions.items():
            self.record(region_id, work)

    def split(self, owners_per_piece: int) -> list[ViewBacklog]:
        """Pieces of one region and at most that many employees (one's rows depend on no one else's)."""
        pieces = []
        for region_id, work in sorted(self._regions.items()):
            employees = _employees_of(work)
            for start in range(0, len(employees), owners_per_piece):
                chunk = set(employees[start : start + owners_per_piece])
                piece = ViewBacklog()
                piece._regions[region_id] = _RegionWork(
                    progress={k: t for k, t in work.progress.items() if k[0] in chunk},
                    summaries={k: t for k, t in work.summaries.items() if k[0] in chunk},
                    employee_years={k: t for k, t in work.employee_years.items() if k[0] in chunk},
                )
                pieces.append(piece)
        return pieces

    async def finish(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        """Refresh every recorded row from the facts, in one transaction."""
        async with session_factory() as session, session.begin():
            for region_id, work in sorted(self._regions.items()):
                await session.execute(select(func.set_config(REGION_SETTING, region_id, True)))
                await refresh_views(
                    session,
                    await region_facts(session, region_id),
                    progress=work.progress,
                    summaries=work.summaries,
                    employee_years=work.employee_years,
                )


def _merge(into: dict[Any, Touch], touches: dict[Any, Touch]) -> None:
    for key, found in touches.items():
        touch(into, key, found.event_id, found.at, found.count)


def _employees_of(work: _RegionWork) -> list[str]:
    return sorted(
        {key[0] for key in work.progress}
        | {key[0] for key in work.summaries}
        | {key[0] for key in work.employee_years}
    )


#: What scoring's handlers act with: a replay leaves its view work to a ``ViewBacklog``.
ScoringScope = HandlerScope[ViewBacklog]
E = TypeVar("E", bound=Event)


def _deferring(
    apply: Callable[[AsyncSession, E, Envelope, PendingViews], Awaitable[None]],
) -> Callable[[ScoringScope, E, Envelope], Awaitable[None]]:
    """A handler whose view work waits for the end of the batch (its ``PendingViews``)."""

    async def handler(scope: ScoringScope, event: E, envelope: Envelope) -> None:
        await apply(scope.session, event, envelope, scope.deferred(PendingViews))

    handler.__name__ = apply.__name__
    handler.__qualname__ = apply.__qualname__
    handler.__doc__ = apply.__doc__
    return handler


# --- region, organisation and plans --------------------------------------------------------------


@_deferring
async def on_region_registered(
    session: AsyncSession, event: RegionRegistered, envelope: Envelope, pending: PendingViews
) -> None:
    """Keep the region's calendar; if it changed, move activities to the periods they now fall in."""
    # Activity changes of the batch so far fall into periods by the calendar they arrived under.
    await pending.flush()
    before = await calendar(session, event.region_id)
    statement = insert(region_settings).values(
        region_id=event.region_id, timezone=event.timezone, period_kind=event.period_kind
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id"],
            set_={"timezone": statement.excluded.timezone, "period_kind": statement.excluded.period_kind},
        )
    )
    after = await calendar(session, event.region_id)
    if after != before:
        await _rederive_periods(session, envelope, after, pending)


_MOVE_CONTRIBUTION = (
    contributions.update()
    .where(contributions.c.region_id == bindparam("r"), contributions.c.activity_id == bindparam("a"))
    .values(period=bindparam("p"), year=bindparam("y"))
)


async def _rederive_periods(
    session: AsyncSession, envelope: Envelope, cal: Calendar, pending: PendingViews
) -> None:
    region_id = envelope.region_id
    rows = (
        await session.execute(
            select(
                contributions.c.activity_id,
                contributions.c.employee_id,
                contributions.c.occurred_at,
                contributions.c.period,
            ).where(contributions.c.region_id == region_id, contributions.c.occurred_at.is_not(None))
        )
    ).all()
    closed = await closures(session, region_id)
    affected: set[tuple[str, int]] = set()
    moves: list[dict[str, Any]] = []
    for row in rows:
        period = cal.period_of(row.occurred_at)
        if period.key == row.period:
            continue
        if row.period is not None and period_is_frozen(closed, row.period, envelope.occurred_at):
            continue  # a frozen period keeps its activities
        moves.append({"r": region_id, "a": row.activity_id, "p": period.key, "y": period.year})
        affected.add((row.employee_id, period.year))
    if moves:
        await session.execute(_MOVE_CONTRIBUTION, moves)  # one executemany, however many activities
    # The period keys themselves may have changed (quarters to months): every planned employee too.
    planned = (
        await session.execute(select(plans.c.employee_id, plans.c.year).where(plans.c.region_id == region_id))
    ).all()
    affected |= {(row.employee_id, row.year) for row in planned}
    years = pending.region(region_id).employee_years
    for employee_id, year in sorted(affected):
        touch(years, (employee_id, year), _event_id(envelope), envelope.occurred_at)


async def on_unit_upserted(scope: ScoringScope, event: UnitUpserted, envelope: Envelope) -> None:
    """Keep the unit and its organisation predicate (the newest fact wins)."""
    session = scope.session
    statement = insert(units).values(
        unit_id=event.unit_id,
        region_id=event.region_id,
        name=event.name,
        parent_unit_id=event.parent_unit_id,
        organisation_predicate=event.organisation_predicate,
        stamp_at=envelope.occurred_at,
        last_event_id=_event_id(envelope),
        updated_at=now(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "unit_id"],
            set_={
                name: statement.excluded[name]
                for name in ("name", "parent_unit_id", "organisation_predicate", "stamp_at", "last_event_id")
            }
            | {"updated_at": now()},
            where=units.c.stamp_at <= statement.excluded.stamp_at,
        )
    )


def _upsert_employee_statement() -> Any:
    # Built once: it runs for every organisation event (statement building cost more than the SQL).
    statement = insert(employees)
    columns = ("name", "unit_id", "position", "job_type", "supervisor_id", "effective_from", "stamp_at")
    return statement.on_conflict_do_update(
        index_elements=["region_id", "employee_id", "effective_from"],
        set_={name: statement.excluded[name] for name in (*columns, "last_event_id", "updated_at")},
        where=stored_if_newer(employees, statement.excluded, stamp_id="last_event_id"),
    ).returning(employees.c.employee_id)


_UPSERT_EMPLOYEE = _upsert_employee_statement()


@_deferring
async def on_employee_upserted(
    session: AsyncSession, event: EmployeeUpserted, envelope: Envelope, pending: PendingViews
) -> None:
    """Keep the team read model (unit, job type, rater), one row per dated assignment; of two events
    for one date the newer wins (shared/read_models.py)."""
    changed = await session.execute(
        _UPSERT_EMPLOYEE,
        {
            "employee_id": event.employee_id,
            "region_id": event.region_id,
            "name": event.name,
            "unit_id": event.unit_id,
            "position": event.position,
            "job_type": event.job_type,
            "supervisor_id": event.supervisor_id,
            "effective_from": event.effective_from,
            "stamp_at": envelope.occurred_at,
            "last_event_id": _event_id(envelope),
            "updated_at": now(),
        },
    )
    if changed.first() is None:
        return
    # The summaries name the employee's unit, job type and rater: every year of them.
    touch(
        pending.region(event.region_id).employee_years,
        (event.employee_id, None),
        _event_id(envelope),
        envelope.occurred_at,
    )


def _upsert_approved_plan_statement() -> Any:
    statement = insert(plans)
    return statement.on_conflict_do_update(
        index_elements=["region_id", "plan_id"],
        # A supersession that arrived first stays: approval never un-supersedes a plan.
        set_={
            name: statement.excluded[name]
            for name in (
                "version",
                "rater_id",
                "unit_id",
                "job_type",
                "approved",
                "last_event_id",
                "updated_at",
            )
        },
    )


# Built once: they run for every plan event.
_UPSERT_APPROVED_PLAN = _upsert_approved_plan_statement()
_INSERT_PLAN_INDICATORS = insert(plan_indicators).on_conflict_do_nothing(
    index_elements=["region_id", "plan_id", "indicator_id"]
)


@_deferring
async def on_work_plan_approved(
    session: AsyncSession, event: WorkPlanApproved, envelope: Envelope, pending: PendingViews
) -> None:
    """Keep the approved plan and its targets; the highest approved version in force is scored."""
    await session.execute(
        _UPSERT_APPROVED_PLAN,
        {
            "plan_id": event.plan_id,
            "region_id": event.region_id,
            "employee_id": event.employee_id,
            "year": event.year,
            "version": event.version,
            "rater_id": event.rater_id,
            "unit_id": event.unit_id,
            "job_type": event.job_type,
            "approved": True,
            "superseded": False,
            "last_event_id": _event_id(envelope),
            "updated_at": now(),
        },
    )
    rows = [
        {
            "plan_id": event.plan_id,
            "indicator_id": indicator.indicator_id,
            "region_id": event.region_id,
            "employee_id": event.employee_id,
            "year": event.year,
            "position": position,
            "result_id": result.result_id,
            "result_kind": result.kind,
            "result_text": result.text,
            "code": indicator.code,
            "name": indicator.name,
            "aspect": indicator.aspect,
            "direction": indicator.direction,
            "aggregation": indicator.aggregation,
            "unit_of_measure": indicator.unit_of_measure,
            "target": indicator.target,
            "qualitative_target": indicator.qualitative_target,
            "period_targets": {key: str(value) for key, value in indicator.period_targets.items()},
        }
        for position, (result, indicator) in enumerate(
            (result, indicator) for result in event.results for indicator in result.indicators
        )
    ]
    if rows:
        await session.execute(_INSERT_PLAN_INDICATORS, rows)
    await _plan_changed(session, envelope, event.employee_id, event.year, pending)


@_deferring
async def on_work_plan_superseded(
    session: AsyncSession, event: WorkPlanSuperseded, envelope: Envelope, pending: PendingViews
) -> None:
    """A plan no longer in force stops counting (kept even if its approval has not arrived yet)."""
    statement = insert(plans).values(
        plan_id=event.plan_id,
        region_id=event.region_id,
        employee_id=event.employee_id,
        year=event.year,
        approved=False,
        superseded=True,
        last_event_id=_event_id(envelope),
        updated_at=now(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "plan_id"],
            set_={"superseded": True, "last_event_id": statement.excluded.last_event_id, "updated_at": now()},
        )
    )
    await _plan_changed(session, envelope, event.employee_id, event.year, pending)


async def _plan_changed(
    session: AsyncSession, envelope: Envelope, employee_id: str, year: int, pending: PendingViews
) -> None:
    await refresh_plan_in_force(session, region_id=envelope.region_id, employee_id=employee_id, year=year)
    touch(
        pending.region(envelope.region_id).employee_years,
        (employee_id, year),
        _event_id(envelope),
        envelope.occurred_at,
    )


# --- activities ------------------------------------------------------------------------------------


def _state_of(row: Row[Any] | None) -> ActivityState:
    if row is None:
        return ActivityState()
    identity = (
        ActivityIdentity(row.employee_id, row.indicator_id, row.result_id or "") if row.reported else None
    )
    measure = (
        ActivityMeasure(
            as_sent(row.occurred_at, row.occurred_utc_offset),
            Fraction(row.quantity),
            None if row.denominator is None else Fraction(row.denominator),
        )
        if row.occurred_at is not None
        else None
    )
    return ActivityState(
        identity=identity,
        measure=measure,
        measure_stamp=Stamp(row.measure_stamp_at, row.measure_stamp_id) if row.measure_stamp_at else None,
        measure_corrected=row.measure_corrected,
        status=ActivityStatus(row.status),
        status_stamp=Stamp(row.status_stamp_at, row.status_stamp_id) if row.status_stamp_at else None,
        evidence=tuple(row.evidence_sha256),
    )


_PLACES = Decimal("0.0001")


def _measure(occurred_at: datetime, quantity: Decimal | None, denominator: Decimal | None) -> ActivityMeasure:
    # Stored with four decimals: the state compares equal to what is read back.
    def exact(value: Decimal) -> Fraction:
        return Fraction(*value.quantize(_PLACES).as_integer_ratio())  # ints: Fraction's fast path

    return ActivityMeasure(
        occurred_at, exact(quantity or Decimal(0)), None if denominator is None else exact(denominator)
    )


def _stored_values(state: ActivityState, employee_id: str, cal: Calendar) -> dict[str, Any]:
    """The contributions row of an activity's state (without its keys and build record)."""
    identity, measure = state.identity, state.measure
    period = cal.period_of(measure.occurred_at) if measure else None
    return {
        "employee_id": employee_id,
        "indicator_id": identity.indicator_id if identity else None,
        "result_id": identity.result_id if identity else None,
        "evidence_sha256": list(state.evidence),
        "period": period.key if period else None,
        "year": period.year if period else None,
        "occurred_at": measure.occurred_at if measure else None,
        "occurred_utc_offset": utc_offset_minutes(measure.occurred_at) if measure else None,
        "quantity": Decimal(measure.quantity.numerator) / Decimal(measure.quantity.denominator)
        if measure
        else None,
        "denominator": (
            Decimal(measure.denominator.numerator) / Decimal(measure.denominator.denominator)
            if measure and measure.denominator is not None
            else None
        ),
        "reported": identity is not None,
        "status": state.status.value,
        "measure_stamp_at": state.measure_stamp.at if state.measure_stamp else None,
        "measure_stamp_id": state.measure_stamp.event_id if state.measure_stamp else None,
        "measure_corrected": state.measure_corrected,
        "status_stamp_at": state.status_stamp.at if state.status_stamp else None,
        "status_stamp_id": state.status_stamp.event_id if state.status_stamp else None,
    }


def _counted_keys(row: dict[str, Any] | None) -> set[tuple[str, str]]:
    """The (indicator, period) rows an activity counts in: its period and its year."""
    if row is None or not row["reported"] or row["period"] is None:
        return set()
    return {(row["indicator_id"], row["period"]), (row["indicator_id"], row["period"][:4])}


async def _apply_changes(batch: Batch[ViewBacklog], facts: RegionFacts, work: _RegionWork) -> None:
    """Fold the batch's activity events, in order, into the activities' states and store them.

    The activities are read (locked) and written with one statement each; every view row an
    activity counted in before or counts in after a change is touched by that change's event.
    """
    session = batch.session
    if not work.changes:
        return
    region_id = facts.region_id
    activity_ids = sorted({change.activity_id for change in work.changes})
    states: dict[str, ActivityState] = {}
    rows: dict[str, dict[str, Any]] = {}
    ids = keys_table("k", {"activity_id": (activity_ids, String())})
    for stored in await session.execute(
        per_key(
            ids,
            select(contributions)
            .where(contributions.c.region_id == region_id, contributions.c.activity_id == ids.c.activity_id)
            .with_for_update(),
            "c",
        )
    ):
        states[stored.activity_id] = _state_of(stored)
        rows[stored.activity_id] = dict(stored._mapping)
    before_batch = dict(rows)  # each activity as the progress rows' stored totals count it
    changed: dict[str, dict[str, Any]] = {}
    evidence: list[tuple[_ActivityChange, ActivityState]] = []
    for change in work.changes:
        envelope = change.envelope
        row = rows.get(change.activity_id)
        if row is not None and row["employee_id"] != change.employee_id:
            raise EventRejected(f"activity {change.activity_id} belongs to another employee")
        before = states.get(change.activity_id, ActivityState())
        after = change.change(before)
        if after != before:
            values = _stored_values(after, change.employee_id, facts.calendar)
            keys = {row["period"] if row is not None else None, values["period"]} - {None}
            late = next((key for key in sorted(keys) if facts.is_frozen(key, envelope.occurred_at)), None)
            if late is not None:
                await _divert_late(session, envelope, period=late, subject_id=change.employee_id)
                continue
            event_id = _event_id(envelope)
            if replace(after, evidence=before.evidence) != before:  # evidence alone counts in no total
                for indicator_id, key in _counted_keys(row) | _counted_keys(values):
                    progress_key = (change.employee_id, indicator_id, key)
                    touch(work.progress, progress_key, event_id, envelope.occurred_at)
            states[change.activity_id] = after
            rows[change.activity_id] = values
            changed[change.activity_id] = values | {
                "activity_id": change.activity_id,
                "region_id": region_id,
                "last_event_id": event_id,
            }
            # Claims are checked once the activity is reported and whenever it names a new file,
            # whichever of the two arrives first.
            if (
                after.identity is not None
                and after.evidence
                and (before.identity is None or after.evidence != before.evidence)
            ):
                evidence.append((change, after))
    for activity_id, values in changed.items():
        note_activity_change(
            work.deltas, activity_id, values["employee_id"], before_batch.get(activity_id), values
        )
    if changed:
        stamp = now()
        stored = [changed[activity_id] | {"updated_at": stamp} for activity_id in sorted(changed)]
        arrays = {name: [row[name] for row in stored] for name in _CONTRIBUTION_COLUMNS}
        arrays["evidence_sha256"] = [orjson.dumps(digests).decode() for digests in arrays["evidence_sha256"]]
        await session.execute(_STORE_CONTRIBUTIONS, arrays)
    if evidence:
        await _check_shared_evidence(batch, region_id, evidence, facts.calendar)


_STORED_COLUMNS = tuple(_stored_values(ActivityState(), "", Calendar("UTC", PeriodKind.QUARTERLY)))
_CONTRIBUTION_COLUMNS = ("activity_id", "region_id", *_STORED_COLUMNS, "last_event_id", "updated_at")


def _store_contributions_statement() -> Any:
    # Built once, and one statement for a batch's activities however many (arrays, not rows).
    statement = insert_from_arrays(contributions, _CONTRIBUTION_COLUMNS)
    return statement.on_conflict_do_update(
        index_elements=["region_id", "activity_id"],
        set_={
            name: statement.excluded[name]
            for name in _CONTRIBUTION_COLUMNS
            if name not in ("region_id", "activity_id")
        },
    )


_STORE_CONTRIBUTIONS = _store_contributions_statement()


def _activity_change(
    pending: PendingViews,
    envelope: Envelope,
    event: ActivityReported | ActivityVerified | ActivityRejected | ActivityCorrected | EvidenceAttached,
    change: Callable[[ActivityState], ActivityState],
) -> None:
    pending.region(envelope.region_id).changes.append(
        _ActivityChange(envelope, event.activity_id, event.employee_id, change)
    )


@_deferring
async def on_activity_reported(
    _: AsyncSession, event: ActivityReported, envelope: Envelope, pending: PendingViews
) -> None:
    """An activity counts toward its indicator from its report on (with any earlier verification)."""
    identity = ActivityIdentity(event.employee_id, event.indicator_id, event.result_id)
    measure = _measure(event.occurred_at, event.quantity, event.denominator)
    _activity_change(
        pending,
        envelope,
        event,
        lambda s: s.reported(identity, measure, _stamp(envelope), event.evidence_sha256),
    )


@_deferring
async def on_activity_verified(
    _: AsyncSession, event: ActivityVerified, envelope: Envelope, pending: PendingViews
) -> None:
    """Count an activity as verified; kept and applied later if its report has not arrived yet."""
    stamp, evidence = _stamp(envelope), event.evidence_sha256
    _activity_change(pending, envelope, event, lambda s: s.verified_at(stamp).with_evidence(evidence))


@_deferring
async def on_activity_rejected(
    _: AsyncSession, event: ActivityRejected, envelope: Envelope, pending: PendingViews
) -> None:
    """A rejected activity stops counting."""
    stamp, evidence = _stamp(envelope), event.evidence_sha256
    _activity_change(pending, envelope, event, lambda s: s.rejected_at(stamp).with_evidence(evidence))


@_deferring
async def on_activity_corrected(
    _: AsyncSession, event: ActivityCorrected, envelope: Envelope, pending: PendingViews
) -> None:
    """A corrected activity counts again, with its new values, awaiting verification."""
    measure = _measure(event.occurred_at, event.quantity, event.denominator)
    _activity_change(
        pending,
        envelope,
        event,
        lambda s: s.corrected(measure, _stamp(envelope)).with_evidence(event.evidence_sha256),
    )


@_deferring
async def on_evidence_attached(
    _: AsyncSession, event: EvidenceAttached, envelope: Envelope, pending: PendingViews
) -> None:
    """An evidence file attached after the report: counted on the activity, its claim checked.

    Kept if the report has not arrived yet; the review events also name the files attached by
    then (topics written before this event existed), and all of them make one set.
    """
    _activity_change(pending, envelope, event, lambda s: s.with_evidence((event.sha256,)))


_CLAIM_COLUMNS = ("sha256", "activity_id", "region_id", "employee_id")
_STORE_CLAIMS = insert_from_arrays(evidence_claims, _CLAIM_COLUMNS).on_conflict_do_nothing(
    index_elements=["region_id", "sha256", "activity_id"]
)


#: Transaction locks on evidence files, taken in one order (by lock key) so that two never wait on
#: each other in a cycle.
_LOCK_FILES = text(
    "SELECT pg_advisory_xact_lock(lock_key) FROM (SELECT DISTINCT hashtextextended(file, 0) AS lock_key "
    "FROM unnest(CAST(:keys AS text[])) AS file ORDER BY lock_key OFFSET 0) AS ordered"
)


async def _check_shared_evidence(
    batch: Batch[ViewBacklog],
    region_id: str,
    reports: list[tuple[_ActivityChange, ActivityState]],
    cal: Calendar,
) -> None:
    """Flag evidence files (bukti dukung) claimed by more than one employee, a batch's reports at once.

    The claims already stored for the batch's files are read once; each report then adds its claims,
    in order, and is checked against everything claimed so far (as if the reports came one by one).
    """
    wanted: list[tuple[_ActivityChange, ActivityState, list[str]]] = []
    for change, state in reports:
        assert state.identity is not None
        digests = []
        for digest in state.evidence:
            try:
                digests.append(EvidenceClaim(change.employee_id, digest).sha256)
            except ValueError:
                continue  # not a SHA-256 digest: nothing to compare
        if digests:
            wanted.append((change, state, digests))
    if not wanted:
        return
    session = batch.session
    claimed: dict[str, dict[str, str]] = {}  # file -> activity -> employee
    every_digest = sorted({digest for _, _, digests in wanted for digest in digests})
    # Another consumer (a replay's other worker, another instance) may be claiming the same file
    # for another employee right now: neither would see the other's uncommitted claim.
    await session.execute(_LOCK_FILES, {"keys": [f"{region_id}/{digest}" for digest in every_digest]})
    c = evidence_claims.c
    for row in await session.execute(
        select(c.sha256, c.activity_id, c.employee_id).where(
            c.region_id == region_id, c.sha256 == any_(array_of(every_digest, String()))
        )
    ):
        claimed.setdefault(row.sha256, {})[row.activity_id] = row.employee_id
    new_claims: list[tuple[str, str, str]] = []
    for change, state, digests in wanted:
        for digest in digests:
            claims = claimed.setdefault(digest, {})
            if change.activity_id not in claims:
                claims[change.activity_id] = change.employee_id
                new_claims.append((digest, change.activity_id, change.employee_id))
        shared = shared_evidence(
            EvidenceClaim(employee_id, digest, activity_id)
            for digest in digests
            for activity_id, employee_id in claimed[digest].items()
        )
        if shared:
            assert state.measure is not None
            await _flag_shared_evidence(
                batch, change.envelope, shared, cal.period_of(state.measure.occurred_at).key
            )
    if new_claims:
        await session.execute(
            _STORE_CLAIMS,
            {
                "sha256": [digest for digest, _, _ in new_claims],
                "activity_id": [activity_id for _, activity_id, _ in new_claims],
                "region_id": [region_id] * len(new_claims),
                "employee_id": [employee_id for _, _, employee_id in new_claims],
            },
        )


async def _flag_shared_evidence(
    batch: Batch[ViewBacklog], envelope: Envelope, found: tuple[SharedEvidence, ...], period: str
) -> None:
    """Flag each employee claiming a shared file; the flags are caused by the activity's event."""
    for shared in found:
        for employee_id in shared.employee_ids:
            await raise_flag(
                batch.session,
                partial(batch.emit, caused_by=envelope),
                region_id=envelope.region_id,
                kind=FlagKind.SHARED_EVIDENCE,
                subject_id=f"{employee_id}/{shared.sha256}",
                period=period,
                details={
                    "employee_id": employee_id,
                    "sha256": shared.sha256,
                    "employee_ids": list(shared.employee_ids),
                    "activity_ids": list(shared.contribution_ids),
                },
            )


async def on_field_visit_logged(scope: ScoringScope, event: FieldVisitLogged, envelope: Envelope) -> None:
    """Keep a supervisor's field visit (kunjungan lapangan) on each employee's record."""
    session = scope.session
    period = (await calendar(session, event.region_id)).period_of(event.visited_at).key
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await _divert_late(session, envelope, period=period, subject_id=event.supervisor_id)
        return
    rows = [
        {
            "visit_id": event.visit_id,
            "employee_id": employee_id,
            "region_id": event.region_id,
            "supervisor_id": event.supervisor_id,
            "visited_at": event.visited_at,
            "visited_utc_offset": utc_offset_minutes(event.visited_at),
            "period": period,
            "location": event.location,
            "findings": event.findings,
            "follow_up": event.follow_up,
            "last_event_id": _event_id(envelope),
        }
        for employee_id in sorted(set(event.employee_ids))
    ]
    if rows:
        await session.execute(
            insert(field_visits)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["region_id", "visit_id", "employee_id"])
        )


# --- feedback ----------------------------------------------------------------------------------------


async def on_satisfaction_index_changed(
    scope: ScoringScope, event: SatisfactionIndexChanged, envelope: Envelope
) -> None:
    """Keep the latest satisfaction index (IKM) of a unit (or one of its services) and period."""
    session = scope.session
    period = _period_key(event.period)
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await _divert_late(session, envelope, period=period, subject_id=event.unit_id)
        return
    statement = insert(unit_satisfaction).values(
        unit_id=event.unit_id,
        period=period,
        service_id=event.service_id or WHOLE_UNIT,
        region_id=event.region_id,
        satisfaction_index=event.index,
        grade=event.grade,
        respondents=event.respondents,
        sample_adequate=event.sample_adequate,
        last_event_id=_event_id(envelope),
        updated_at=now(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "unit_id", "period", "service_id"],
            set_={
                name: statement.excluded[name]
                for name in (
                    "satisfaction_index",
                    "grade",
                    "respondents",
                    "sample_adequate",
                    "last_event_id",
                    "updated_at",
                )
            },
            # An older index arriving late never replaces a newer one (more respondents = newer).
            where=unit_satisfaction.c.respondents <= statement.excluded.respondents,
        )
    )


@_deferring
async def on_behaviour_assessment_submitted(
    session: AsyncSession, event: BehaviourAssessmentSubmitted, envelope: Envelope, pending: PendingViews
) -> None:
    """Keep a BerAKHLAK assessment; the rater's latest one proposes the behaviour rating."""
    period = _period_key(event.period)
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await _divert_late(session, envelope, period=period, subject_id=event.employee_id)
        return
    inserted = await session.execute(
        insert(behaviour_assessments)
        .values(
            assessment_id=event.assessment_id,
            region_id=event.region_id,
            employee_id=event.employee_id,
            assessor_id=event.assessor_id,
            assessor_role=event.assessor_role,
            period=period,
            scores=event.scores,
            proposed_rating=event.proposed_rating,
            submitted_at=envelope.occurred_at,
            last_event_id=_event_id(envelope),
        )
        .on_conflict_do_nothing(index_elements=["region_id", "assessment_id"])
        .returning(behaviour_assessments.c.assessment_id)
    )
    if inserted.first() is not None and event.assessor_role == "rater":
        touch(
            pending.region(event.region_id).summaries,
            (event.employee_id, period),
            _event_id(envelope),
            envelope.occurred_at,
        )


async def on_complaint_deadline_breached(
    scope: ScoringScope, event: ComplaintDeadlineBreached, envelope: Envelope
) -> None:
    """Count a missed complaint deadline against the unit, in the period the deadline fell in."""
    session = scope.session
    period = (await calendar(session, event.region_id)).period_of(event.due_at).key
    if await is_frozen(session, event.region_id, period, envelope.occurred_at):
        await _divert_late(session, envelope, period=period, subject_id=event.unit_id)
        return
    await session.execute(
        insert(complaint_breaches)
        .values(
            complaint_id=event.complaint_id,
            stage=event.stage,
            region_id=event.region_id,
            unit_id=event.unit_id,
            due_at=event.due_at,
            period=period,
            last_event_id=_event_id(envelope),
            updated_at=now(),
        )
        .on_conflict_do_nothing(index_elements=["region_id", "complaint_id", "stage"])
    )
