"""The straightforward recomputation of the views a random scoring scenario should produce.

It walks the scenario's deliveries in order with the domain's rules alone (no database, no batching,
no deferred refresh), so a difference from the service's views points at the service's machinery.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

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
from shared.contracts.feedback import BehaviourAssessmentSubmitted
from shared.contracts.planning import (
    IndicatorSnapshot,
    RegionRegistered,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.contracts.reporting import ActivityCorrected, ActivityRejected, ActivityReported, ActivityVerified
from tests.integration.scoring_scenarios import YEAR, Scenario


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
