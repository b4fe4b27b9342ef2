"""Random scoring scenarios and the straightforward recomputation of the views they should produce.

A scenario is what happened upstream (plans and revisions, activities verified, rejected and
corrected, behaviour assessments, a late calendar change) and what raters did through the API in
between (rating decisions, confirmations and overrides, and judgements of qualitative indicators).
The API's answers are facts too: the recomputation takes the decisions and judgements the API
accepted, whatever the answer to the others was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from services.scoring.domain.achievement import (
    AchievementPolicy,
    Aggregation,
    Aspect,
    Contribution,
    Direction,
    Indicator,
    Judgement,
    NumericTarget,
    QualitativeTarget,
    Realisation,
    Target,
    assess_indicator,
    compute_realisation,
)
from services.scoring.domain.behaviour import behaviour_rating
from services.scoring.domain.performance import PlannedResult, ResultKind, assess_employee
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key, period_of, periods_in_year
from services.scoring.domain.predicate import predicate_of
from services.scoring.domain.rating import propose_result_rating
from services.scoring.domain.targets import period_target
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
from tests.conftest import new_region_id

YEAR = 2026
T0 = datetime(YEAR, 1, 1, tzinfo=UTC)


@dataclass
class Delivery:
    """An event as it travels: its envelope (fixed id, upstream time) and the event itself."""

    envelope: Envelope
    event: Event


def wrap(event: Event, at: datetime) -> Delivery:
    return Delivery(Envelope.wrap(event, producer="test", occurred_at=at), event)


# --- random scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RaterAction:
    """What a rater asks the API: a rating decision (``indicator_id`` None) or a judgement."""

    employee_id: str
    rater_id: str
    period: str
    body: dict[str, Any]
    indicator_id: str | None = None

    @property
    def path(self) -> str:
        if self.indicator_id is None:
            return f"/v1/employees/{self.employee_id}/ratings/{self.period}"
        return f"/v1/employees/{self.employee_id}/judgements/{self.period}/{self.indicator_id}"


@dataclass
class Scenario:
    """Raw events in the order they happened upstream, the raters' requests, and their accepted answers."""

    region: str
    deliveries: list[Delivery] = field(default_factory=list)
    actions: list[RaterAction] = field(default_factory=list)
    #: The API's answers to the accepted actions: decisions (201) and judgements (200).
    decisions: list[dict[str, Any]] = field(default_factory=list)
    judgements: list[dict[str, Any]] = field(default_factory=list)

    def accepted(self, action: RaterAction, answer: dict[str, Any]) -> None:
        """Record an accepted action's answer (the recomputation reads these)."""
        if action.indicator_id is None:
            self.decisions.append(answer | {"decided_at": datetime.fromisoformat(answer["decided_at"])})
        else:
            self.judgements.append(answer | {"judged_at": datetime.fromisoformat(answer["judged_at"])})


def _indicator(draw: st.DrawFn, employee: str, n: int) -> IndicatorSnapshot:
    if draw(st.integers(0, 2)) == 0:  # a qualitative indicator, judged by the rater
        return IndicatorSnapshot(
            indicator_id=f"{employee}-i{n}",
            code=f"code-{n}",
            name=f"Indicator {n}",
            aspect="quality",
            direction="higher_is_better",
            aggregation="last",
            unit_of_measure="-",
            qualitative_target="Inovasi layanan diterapkan",
        )
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
        # A revision may name another unit: the employee's summaries then move (and the unit rollups).
        unit_id=draw(st.sampled_from(["unit-1", "unit-2"])),
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
            # (A qualitative indicator stays as it is.)
            revised = [
                i
                if i.target is None
                else i.model_copy(update={"target": i.target + 10, "period_targets": {}})
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
        rater = f"{employee}-boss"
        periods = [
            *(p.key for p in periods_in_year(YEAR, PeriodKind.QUARTERLY)[:2]),
            f"{YEAR}-M02",
            str(YEAR),
        ]
        ratings = st.sampled_from(["ABOVE", "MEETS", "BELOW"])
        for _ in range(draw(st.integers(0, 3))):  # confirmations and overrides (these need a reason)
            reason = draw(st.sampled_from([None, "Menangani antrean tambahan saat banjir melanda"]))
            body = {"result_rating": draw(ratings), "behaviour_rating": draw(ratings), "reason": reason}
            scenario.actions.append(RaterAction(employee, rater, draw(st.sampled_from(periods)), body))
        for indicator in (i for i in indicators if i.target is None):
            for _ in range(draw(st.integers(1, 2))):
                judgement = draw(st.sampled_from([j.value for j in Judgement]))
                body = {"judgement": judgement, "note": "Catatan atasan"}
                action = RaterAction(
                    employee, rater, draw(st.sampled_from(periods)), body, indicator.indicator_id
                )
                scenario.actions.append(action)
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
        target: Target
        if snapshot.target is None:
            assert snapshot.qualitative_target is not None
            target = QualitativeTarget(snapshot.qualitative_target)
        else:
            value = period_target(aggregation, Fraction(snapshot.target), split, p)
            assert value is not None
            target = NumericTarget(value)
        return Indicator(
            snapshot.indicator_id,
            snapshot.code or snapshot.indicator_id,
            Aspect(snapshot.aspect.upper()),
            Direction(snapshot.direction.upper()),
            aggregation,
            target,
        )

    # The rater's latest judgement of each qualitative indicator and period, and latest decision.
    judged: dict[tuple[str, str, str], Judgement] = {}
    for answer in sorted(scenario.judgements, key=lambda a: a["judged_at"]):
        judged[(answer["employee_id"], answer["period"], answer["indicator_id"])] = Judgement(
            answer["judgement"]
        )
    decided: dict[tuple[str, str], dict[str, Any]] = {}
    for answer in sorted(scenario.decisions, key=lambda a: (a["decided_at"], a["decision_id"])):
        decided[(answer["employee_id"], answer["period"])] = answer

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
                    judgement = judged.get((employee, p.key, indicator.id))
                    if not isinstance(indicator.target, QualitativeTarget):
                        judgement = None
                    if found_realisation is not None and not found_realisation.contribution_count:
                        found_realisation = None
                    if judgement is not None or found_realisation is not None:
                        achievements[indicator.id] = assess_indicator(
                            indicator,
                            found_realisation or Realisation.empty(indicator.aggregation),
                            AchievementPolicy(),
                            judgement,
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
            decision = decided.get((employee, p.key))
            summaries[(employee, p.key)] = {
                "plan_id": plan.plan_id,
                "unit_id": plan.unit_id,
                "result_rating": decision["result_rating"] if decision else None,
                "behaviour_rating": decision["behaviour_rating"] if decision else None,
                "predicate": decision["predicate"] if decision else None,
                "overridden": decision["overridden"] if decision else None,
                "decision_reason": decision["reason"] if decision else None,
                "decided_by": decision["rater_id"] if decision else None,
                "decided_at": decision["decided_at"] if decision else None,
                "achievement": to_decimal(assessed.achievement),
                "verified_share": to_decimal(assessed.verified_share),
                "proposed_result_rating": proposal.rating.value,
                "proposed_behaviour_rating": behaviour.value if behaviour else None,
                "proposed_predicate": predicate_of(proposal.rating, behaviour).value if behaviour else None,
            }
    return progress, summaries
