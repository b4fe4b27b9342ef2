"""Random scoring scenarios: what happened upstream and what raters did, as the consumer receives it.

A scenario is what happened upstream (plans and revisions, activities verified, rejected and
corrected, behaviour assessments, a late calendar change) and what raters did through the API in
between (rating decisions, confirmations and overrides, and judgements of qualitative indicators).
The API's answers are facts too: the recomputation takes the decisions and judgements the API
accepted, whatever the answer to the others was. ``scoring_expected_views`` recomputes the views
a scenario should produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from services.scoring.domain.achievement import (
    Judgement,
)
from services.scoring.domain.periods import PeriodKind, periods_in_year
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


def counted_plan(region: str, employee: str, indicator_id: str = "i") -> Delivery:
    """The employee's approved plan for YEAR (``{employee}-p``, at T0): one result with one indicator
    counting a quantity towards a target of 40."""
    indicator = IndicatorSnapshot(
        indicator_id=indicator_id,
        code="code",
        name="Indicator",
        aspect="quantity",
        direction="higher_is_better",
        aggregation="sum",
        unit_of_measure="unit",
        target=Decimal(40),
    )
    result = PlannedResultSnapshot(result_id="r", kind="main", text="RHK", indicators=[indicator])
    approved = WorkPlanApproved(
        region_id=region,
        plan_id=f"{employee}-p",
        employee_id=employee,
        rater_id="boss",
        unit_id="unit-1",
        job_type="clerk",
        year=YEAR,
        version=1,
        results=[result],
    )
    return wrap(approved, T0)


def evidenced_report(region: str, employee: str, evidence: list[str]) -> ActivityReported:
    """The employee's one activity (``{employee}-a``, at T0) with these evidence files' digests."""
    return ActivityReported(
        region_id=region,
        activity_id=f"{employee}-a",
        employee_id=employee,
        plan_id="p",
        result_id="r",
        indicator_id="i",
        occurred_at=T0,
        quantity=Decimal(1),
        description="Kegiatan",
        evidence_sha256=evidence,
    )


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
