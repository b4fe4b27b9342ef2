"""Scoring's views against a real PostgreSQL: handlers driven directly, as the consumer runner drives them.

The property test generates random event streams (several employees, plan revisions, activities that
are verified, rejected and corrected, behaviour assessments, a late calendar change), delivers them
shuffled, with duplicates and with batches that crash and are redelivered, and checks every view row
against a straightforward recomputation from the raw events.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scoring.adapters.tables import (
    employee_scores,
    flags,
    indicator_progress,
    runtime_tables,
)
from services.scoring.domain.achievement import (
    AchievementPolicy,
    Aggregation,
    Aspect,
    Contribution,
    Direction,
    Indicator,
    NumericTarget,
    assess_indicator,
    compute_realisation,
)
from services.scoring.domain.behaviour import behaviour_rating
from services.scoring.domain.performance import PlannedResult, ResultKind, assess_employee
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key, period_of, periods_in_year
from services.scoring.domain.predicate import predicate_of
from services.scoring.domain.rating import propose_result_rating
from services.scoring.domain.targets import period_target
from services.scoring.entrypoints.consumer import handlers
from services.scoring.service_layer.views import to_decimal
from shared.contracts import Envelope, Event
from shared.contracts.feedback import BehaviourAssessmentSubmitted
from shared.contracts.planning import (
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.contracts.reporting import ActivityCorrected, ActivityRejected, ActivityReported, ActivityVerified
from shared.db import REGION_SETTING
from shared.messaging.consumer import open_batch, run_batch_work
from tests.conftest import new_region_id, wait_until

pytestmark = pytest.mark.integration

YEAR = 2026
T0 = datetime(YEAR, 1, 1, tzinfo=UTC)
HANDLERS = {cls.event_type(): handler for cls, handler in handlers(None).items()}  # type: ignore[arg-type]


# --- a driver doing what the consumer runner does: dedup row, region, handler, one transaction ------


@dataclass
class Delivery:
    """An event as it travels: its envelope (fixed id, upstream time) and the event itself."""

    envelope: Envelope
    event: Event


def wrap(event: Event, at: datetime) -> Delivery:
    return Delivery(Envelope.wrap(event, producer="test", occurred_at=at), event)


async def deliver(
    session_factory: async_sessionmaker[AsyncSession],
    batch: Sequence[Delivery],
    *,
    crash_after: int | None = None,
    deferred: bool = True,
) -> None:
    """Apply a batch in one transaction like the runner; ``crash_after`` rolls it back midway.

    ``deferred`` gives handlers the runner's end-of-batch registry (views refreshed once per batch);
    without it each handler refreshes its views itself, as when it is called on its own.
    """
    async with session_factory() as session, session.begin():
        if deferred:
            open_batch(session)
        for position, item in enumerate(batch):
            if crash_after is not None and position == crash_after:
                await session.rollback()
                return
            inserted = await session.execute(
                insert(runtime_tables.processed_events)
                .values(event_id=item.envelope.event_id, topic=item.event.topic, partition=0, offset=position)
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(runtime_tables.processed_events.c.event_id)
            )
            if inserted.first() is None:
                continue
            await session.execute(select(func.set_config(REGION_SETTING, item.envelope.region_id, True)))
            await HANDLERS[item.envelope.type](session, item.event, item.envelope)
        await run_batch_work(session)


@pytest.fixture
async def scoring_db(start_service: Any) -> async_sessionmaker[AsyncSession]:
    """The scoring schema, migrated, and a session factory on it (no consumer: handlers are called)."""
    service = await start_service("scoring")
    factory: async_sessionmaker[AsyncSession] = service.context.session_factory
    return factory


async def rows_of(factory: async_sessionmaker[AsyncSession], region: str, table: Any) -> list[Any]:
    async with factory() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region, True)))
        return list((await session.execute(select(table).where(table.c.region_id == region))).all())


# --- random scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    """Raw events in the order they happened upstream, with what the reference needs to know."""

    region: str
    deliveries: list[Delivery] = field(default_factory=list)


def _indicator(draw: st.DrawFn, employee: str, n: int) -> IndicatorSnapshot:
    aggregation = draw(st.sampled_from(["sum", "average", "last", "ratio"]))
    direction = draw(st.sampled_from(["higher_is_better", "lower_is_better"]))
    annual = Decimal(draw(st.integers(0, 400)))
    split = draw(st.booleans())
    return IndicatorSnapshot(
        indicator_id=f"{employee}-i{n}",
        code=f"code-{n}",
        name=f"Indicator {n}",
        aspect=draw(st.sampled_from(["quantity", "quality", "time", "cost"])),
        direction=direction,
        aggregation=aggregation,
        unit_of_measure="unit",
        target=annual,
        period_targets={f"{YEAR}-Q{q}": annual / 4 for q in range(1, 5)}
        if split and aggregation == "sum"
        else {},
    )


def _plan(
    draw: st.DrawFn,
    region: str,
    employee: str,
    plan_id: str,
    version: int,
    indicators: list[IndicatorSnapshot],
) -> WorkPlanApproved:
    kinds = [draw(st.sampled_from(["main", "main", "additional"])) for _ in indicators]
    kinds[0] = "main"
    return WorkPlanApproved(
        region_id=region,
        plan_id=plan_id,
        employee_id=employee,
        rater_id=f"{employee}-boss",
        unit_id="unit-1",
        job_type="clerk",
        year=YEAR,
        version=version,
        results=[
            PlannedResultSnapshot(result_id=f"{plan_id}-r{n}", kind=kind, text="RHK", indicators=[indicator])
            for n, (kind, indicator) in enumerate(zip(kinds, indicators, strict=True))
        ],
    )


LIFECYCLES = (
    ("reported",),
    ("reported", "verified"),
    ("reported", "rejected"),
    ("reported", "rejected", "corrected"),
    ("reported", "rejected", "corrected", "verified"),
    ("reported", "verified", "reported-again"),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    region = new_region_id()
    scenario = Scenario(region)
    clock = [T0]

    def at() -> datetime:
        clock[0] += timedelta(seconds=draw(st.integers(1, 5)))
        return clock[0]

    def emit(event: Event) -> None:
        scenario.deliveries.append(wrap(event, at()))

    quantities = st.decimals(min_value=0, max_value=50, places=2)
    for e in range(draw(st.integers(1, 3))):
        employee = f"{region}-e{e}"
        indicators = [_indicator(draw, employee, n) for n in range(draw(st.integers(1, 3)))]
        emit(_plan(draw, region, employee, f"{employee}-p1", 1, indicators))
        if draw(st.booleans()):  # a revision: v2 replaces v1 (new targets, same indicators)
            revised = [
                i.model_copy(update={"target": (i.target or 0) + 10, "period_targets": {}})
                for i in indicators
            ]
            emit(_plan(draw, region, employee, f"{employee}-p2", 2, revised))
            emit(
                WorkPlanSuperseded(
                    region_id=region,
                    plan_id=f"{employee}-p1",
                    employee_id=employee,
                    year=YEAR,
                    reason="revised",
                )
            )
        for a in range(draw(st.integers(0, 6))):
            indicator = draw(st.sampled_from(indicators))
            ratio = indicator.aggregation == "ratio"
            activity_id = f"{employee}-a{a}"
            # Late December in UTC is already next year in Jakarta: period edges are exercised too.
            occurred = datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(
                days=draw(st.integers(0, 364)), hours=draw(st.integers(0, 23))
            )
            quantity = draw(quantities)
            denominator = quantity + draw(quantities) if ratio else None
            for step in draw(st.sampled_from(LIFECYCLES)):
                if step in ("reported", "reported-again"):
                    emit(
                        ActivityReported(
                            region_id=region,
                            activity_id=activity_id,
                            employee_id=employee,
                            plan_id="p",
                            result_id="r",
                            indicator_id=indicator.indicator_id,
                            occurred_at=occurred,
                            quantity=quantity,
                            denominator=denominator,
                            description="Kegiatan",
                        )
                    )
                elif step == "verified":
                    emit(
                        ActivityVerified(
                            region_id=region, activity_id=activity_id, employee_id=employee, verifier_id="b"
                        )
                    )
                elif step == "rejected":
                    emit(
                        ActivityRejected(
                            region_id=region,
                            activity_id=activity_id,
                            employee_id=employee,
                            verifier_id="b",
                            note="Bukti kurang",
                        )
                    )
                else:
                    occurred = occurred + timedelta(days=draw(st.integers(-40, 40)))
                    quantity = draw(quantities)
                    denominator = quantity + draw(quantities) if ratio else None
                    emit(
                        ActivityCorrected(
                            region_id=region,
                            activity_id=activity_id,
                            employee_id=employee,
                            occurred_at=occurred,
                            quantity=quantity,
                            denominator=denominator,
                            description="Diperbaiki",
                        )
                    )
        for n in range(draw(st.integers(0, 2))):
            emit(
                BehaviourAssessmentSubmitted(
                    region_id=region,
                    assessment_id=f"{employee}-b{n}",
                    employee_id=employee,
                    assessor_id=f"{employee}-boss",
                    assessor_role=draw(st.sampled_from(["rater", "peer"])),
                    period=draw(st.sampled_from([f"{YEAR}-Q1", f"{YEAR}-Q2", str(YEAR)])),
                    scores={
                        "service_oriented": draw(st.integers(1, 5)),
                        "accountable": draw(st.integers(1, 5)),
                    },
                )
            )
    if draw(st.booleans()):  # the region's calendar, possibly arriving after everything else
        emit(
            RegionRegistered(
                region_id=region,
                name="Kota Uji",
                timezone="Asia/Makassar",
                period_kind=draw(st.sampled_from(["monthly", "quarterly"])),
            )
        )
    return scenario


# --- the straightforward recomputation -----------------------------------------------------------


def expected_views(
    scenario: Scenario,
) -> tuple[dict[tuple[str, str, str], dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
    """Every progress row and every employee summary, recomputed from the raw events in upstream order."""
    events = [d.event for d in scenario.deliveries]
    stamps = {id(d.event): d.envelope.occurred_at for d in scenario.deliveries}
    timezone, kind = "Asia/Jakarta", PeriodKind.QUARTERLY
    for event in events:
        if isinstance(event, RegionRegistered):
            timezone, kind = event.timezone, PeriodKind(event.period_kind.upper())

    def period(at: datetime) -> Period:
        return period_of(at.astimezone(ZoneInfo(timezone)).date(), kind)

    approved = {e.plan_id: e for e in events if isinstance(e, WorkPlanApproved)}
    superseded = {e.plan_id for e in events if isinstance(e, WorkPlanSuperseded)}
    in_force: dict[str, WorkPlanApproved] = {}
    for plan in approved.values():
        if plan.plan_id not in superseded and (
            plan.employee_id not in in_force or plan.version > in_force[plan.employee_id].version
        ):
            in_force[plan.employee_id] = plan

    # Fold each activity's events in the order they happened.
    activities: dict[str, dict[str, Any]] = {}
    for event in events:
        if isinstance(event, ActivityReported):
            state = activities.setdefault(event.activity_id, {"status": "UNVERIFIED", "corrected": False})
            state.update(employee=event.employee_id, indicator=event.indicator_id)
            if not state["corrected"]:
                state.update(at=event.occurred_at, q=event.quantity, d=event.denominator)
        elif isinstance(event, ActivityVerified):
            activities[event.activity_id]["status"] = "VERIFIED"
        elif isinstance(event, ActivityRejected):
            activities[event.activity_id]["status"] = "REJECTED"
        elif isinstance(event, ActivityCorrected):
            activities[event.activity_id].update(
                status="UNVERIFIED",
                corrected=True,
                at=event.occurred_at,
                q=event.quantity,
                d=event.denominator,
            )

    def planned(employee: str, indicator_id: str) -> tuple[IndicatorSnapshot, str] | None:
        plan = in_force.get(employee)
        for result in plan.results if plan else []:
            for indicator in result.indicators:
                if indicator.indicator_id == indicator_id:
                    return indicator, result.kind
        return None

    def domain_indicator(snapshot: IndicatorSnapshot, p: Period) -> Indicator:
        aggregation = Aggregation(snapshot.aggregation.upper())
        split = {k: Fraction(v) for k, v in snapshot.period_targets.items()}
        assert snapshot.target is not None
        target = period_target(aggregation, Fraction(snapshot.target), split, p)
        assert target is not None
        return Indicator(
            snapshot.indicator_id,
            snapshot.code or snapshot.indicator_id,
            Aspect(snapshot.aspect.upper()),
            Direction(snapshot.direction.upper()),
            aggregation,
            NumericTarget(target),
        )

    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for activity_id, state in activities.items():
        p = period(state["at"])
        for key in (p.key, f"{p.year:04d}"):
            grouped.setdefault((state["employee"], state["indicator"], key), []).append(
                state | {"id": activity_id}
            )

    progress: dict[tuple[str, str, str], dict[str, Any]] = {}
    realisations: dict[tuple[str, str, str], Any] = {}
    for (employee, indicator_id, key), states in grouped.items():
        # The plan is for one year: activities moved into another year count toward no target.
        found = planned(employee, indicator_id) if parse_period_key(key).year == YEAR else None
        aggregation = Aggregation(found[0].aggregation.upper()) if found else Aggregation.SUM
        counted = [s for s in states if s["status"] != "REJECTED"]
        items = [
            Contribution(
                s["id"],
                s["at"],
                Fraction(s["q"]),
                s["status"] == "VERIFIED",
                Fraction(s["d"]) if aggregation is Aggregation.RATIO else None,
            )
            for s in counted
        ]
        realisation = compute_realisation(aggregation, items)
        achievement = None
        if found and items:
            achievement = assess_indicator(
                domain_indicator(found[0], parse_period_key(key)), realisation, AchievementPolicy()
            ).achievement
        realisations[(employee, indicator_id, key)] = realisation
        progress[(employee, indicator_id, key)] = {
            "activity_count": len(counted),
            "verified_count": realisation.verified_count,
            "rejected_count": len(states) - len(counted),
            "quantity_sum": sum((Decimal(s["q"]) for s in counted), Decimal(0)),
            "realisation": to_decimal(realisation.value),
            "verified_share": to_decimal(realisation.verified_share),
            "achievement": to_decimal(achievement),
        }

    summaries: dict[tuple[str, str], dict[str, Any]] = {}
    for employee, plan in in_force.items():
        for p in (*periods_in_year(YEAR, kind), Period(YEAR, PeriodKind.YEAR)):
            results = tuple(
                PlannedResult(
                    r.result_id,
                    ResultKind(r.kind.upper()),
                    tuple(domain_indicator(i, p) for i in r.indicators),
                )
                for r in plan.results
            )
            achievements = {}
            for result in results:
                for indicator in result.indicators:
                    found_realisation = realisations.get((employee, indicator.id, p.key))
                    if found_realisation is not None and found_realisation.contribution_count:
                        achievements[indicator.id] = assess_indicator(
                            indicator, found_realisation, AchievementPolicy()
                        )
            assessed = assess_employee(results, achievements)
            proposal = propose_result_rating(assessed.achievement, assessed.verified_share)
            rater_assessments = [
                e
                for e in events
                if isinstance(e, BehaviourAssessmentSubmitted)
                and e.employee_id == employee
                and e.assessor_role == "rater"
                and e.period == p.key
            ]
            latest = max(rater_assessments, key=lambda e: stamps[id(e)], default=None)
            behaviour = behaviour_rating(latest.proposed_rating, latest.scores) if latest else None
            summaries[(employee, p.key)] = {
                "plan_id": plan.plan_id,
                "achievement": to_decimal(assessed.achievement),
                "verified_share": to_decimal(assessed.verified_share),
                "proposed_result_rating": proposal.rating.value,
                "proposed_behaviour_rating": behaviour.value if behaviour else None,
                "proposed_predicate": predicate_of(proposal.rating, behaviour).value if behaviour else None,
            }
    return progress, summaries


# --- the property --------------------------------------------------------------------------------


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(scenario=scenarios(), data=st.data())
async def test_views_equal_a_recomputation_from_the_raw_events_whatever_the_delivery(
    scoring_db: async_sessionmaker[AsyncSession], scenario: Scenario, data: st.DataObject
) -> None:
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    stream = list(scenario.deliveries)
    rng.shuffle(stream)  # reordered across (and within) employees
    stream += rng.sample(
        scenario.deliveries, k=min(len(scenario.deliveries), rng.randint(0, 5))
    )  # redeliveries
    rng.shuffle(stream)
    position = 0
    while position < len(stream):
        batch = stream[position : position + rng.randint(1, 12)]
        deferred = rng.random() < 0.8  # mostly as the runner applies batches; sometimes event by event
        if rng.random() < 0.2:  # the consumer dies mid-batch: nothing of it is kept, it is redelivered
            await deliver(scoring_db, batch, crash_after=rng.randint(0, len(batch)), deferred=deferred)
        await deliver(scoring_db, batch, deferred=deferred)
        position += len(batch)

    expected_progress, expected_summaries = expected_views(scenario)
    event_ids = {str(d.envelope.event_id) for d in scenario.deliveries}
    progress = {
        (row.employee_id, row.indicator_id, row.period): row
        for row in await rows_of(scoring_db, scenario.region, indicator_progress)
    }
    assert set(progress) == set(expected_progress)
    for progress_key, expected in expected_progress.items():
        row = progress[progress_key]
        assert {name: getattr(row, name) for name in expected} == expected, progress_key
        assert row.last_event_id in event_ids
        assert row.updated_at is not None
    summaries = {
        (row.employee_id, row.period): row
        for row in await rows_of(scoring_db, scenario.region, employee_scores)
    }
    assert set(summaries) == set(expected_summaries)
    for key, expected in expected_summaries.items():
        row = summaries[key]
        assert {name: getattr(row, name) for name in expected} == expected, key
        assert row.last_event_id in event_ids


async def test_one_batch_across_regions_refreshes_each_region_under_its_own_restriction(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    """A batch's deferred work switches to each region in turn, then restores the runner's region."""
    regions = [new_region_id(), new_region_id()]
    batch: list[Delivery] = []
    for region in regions:
        employee = f"{region}-e"
        indicator = IndicatorSnapshot(
            indicator_id=f"{employee}-i",
            code="code",
            name="Indicator",
            aspect="quantity",
            direction="higher_is_better",
            aggregation="sum",
            unit_of_measure="unit",
            target=Decimal(40),
        )
        batch.append(
            wrap(
                WorkPlanApproved(
                    region_id=region,
                    plan_id=f"{employee}-p",
                    employee_id=employee,
                    rater_id="boss",
                    unit_id="unit-1",
                    job_type="clerk",
                    year=YEAR,
                    version=1,
                    results=[
                        PlannedResultSnapshot(result_id="r", kind="main", text="RHK", indicators=[indicator])
                    ],
                ),
                T0,
            )
        )
        for n in range(3):
            batch.append(
                wrap(
                    ActivityReported(
                        region_id=region,
                        activity_id=f"{employee}-a{n}",
                        employee_id=employee,
                        plan_id="p",
                        result_id="r",
                        indicator_id=indicator.indicator_id,
                        occurred_at=T0 + timedelta(days=40),
                        quantity=Decimal(5),
                        description="Kegiatan",
                    ),
                    T0 + timedelta(days=40, seconds=n),
                )
            )
    async with scoring_db() as session, session.begin():
        open_batch(session)
        for item in batch:
            await session.execute(select(func.set_config(REGION_SETTING, item.envelope.region_id, True)))
            await HANDLERS[item.envelope.type](session, item.event, item.envelope)
        await run_batch_work(session)
        assert await session.scalar(select(func.current_setting(REGION_SETTING, True))) == regions[-1]
    for region in regions:
        progress = {row.period: row for row in await rows_of(scoring_db, region, indicator_progress)}
        assert set(progress) == {f"{YEAR}-Q1", str(YEAR)}
        # Built by the three reports and the plan that gave them a target.
        assert [(row.activity_count, row.events_applied) for row in progress.values()] == [(3, 4), (3, 4)]
        assert progress[str(YEAR)].achievement == Decimal("0.3750")  # 15 of 40
        summaries = await rows_of(scoring_db, region, employee_scores)
        assert {row.period for row in summaries} == {f"{YEAR}-Q{q}" for q in range(1, 5)} | {str(YEAR)}


async def test_one_evidence_file_claimed_by_two_employees_at_once_is_flagged(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    """Two consumers (a replay's workers, two instances) claim the same file in concurrent
    transactions: the second waits for the first, sees its claim, and flags both employees."""
    region, digest = new_region_id(), "cd" * 32

    def report(employee: str) -> Delivery:
        return wrap(
            ActivityReported(
                region_id=region,
                activity_id=f"{employee}-a",
                employee_id=employee,
                plan_id="p",
                result_id="r",
                indicator_id="i",
                occurred_at=T0,
                quantity=Decimal(1),
                description="Kegiatan",
                evidence_sha256=[digest],
            ),
            T0,
        )

    first_applied = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with scoring_db() as session, session.begin():
            item = report("e-1")
            await session.execute(select(func.set_config(REGION_SETTING, region, True)))
            await HANDLERS[item.envelope.type](session, item.event, item.envelope)
            first_applied.set()
            await release_first.wait()

    async def second() -> None:
        await first_applied.wait()
        await deliver(scoring_db, [report("e-2")], deferred=False)

    async def second_is_waiting() -> bool:
        async with scoring_db() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND wait_event = 'advisory' AND datname = current_database()"
                )
            )
            return bool(waiting)

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    try:
        await first_applied.wait()
        # Without the lock the second would not wait: it would commit without seeing the first claim.
        assert await wait_until(second_is_waiting, timeout=20)
    finally:
        release_first.set()
        await asyncio.gather(*tasks)
    found = await rows_of(scoring_db, region, flags)
    assert sorted(row.subject_id for row in found if row.kind == "shared_evidence") == [
        f"e-1/{digest}",
        f"e-2/{digest}",
    ]
