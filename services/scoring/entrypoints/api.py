"""HTTP API of the scoring service: scorecards, dashboards, rating decisions, periods, rules, flags.

Each route looks up its region's zone first, before its session or work takes a connection (since
``shared.region_zones`` reads through a side connection, a look-up never waits for the pool anyway).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.scoring.domain.periods import parse_period_key
from services.scoring.entrypoints.schemas import AnalysisRead
from services.scoring.metrics import PERIODS_CLOSED, RATING_DECISIONS, SCORECARDS_READ
from services.scoring.service_layer import analysis, governance, judgements, ratings
from services.scoring.service_layer.analysis_schemas import (
    FlagRead,
    RaterObjectivityRead,
    RewardGroupRead,
    UnitDiagnosisRead,
)
from services.scoring.service_layer.governance_schemas import (
    CloseWarning,
    LateEventRead,
    PeriodCloseCreate,
    PeriodRead,
    RuleSetCreate,
    RuleSetRead,
)
from services.scoring.service_layer.queries import dashboards, region_dashboards, scorecards
from services.scoring.service_layer.schemas import (
    JudgementCreate,
    JudgementRead,
    OverridesRead,
    RatingDecisionCreate,
    RatingDecisionRead,
    RegionDashboardRead,
    ScorecardRead,
    UnitDashboardRead,
)
from shared.auth import Principal, Role
from shared.contracts.periods import PeriodKey
from shared.guarded_route import GuardedRoute
from shared.hot_route import hot_route
from shared.http import JsonBytesResponse, json_response
from shared.region_reads import region_read
from shared.region_time import shown_in
from shared.region_zones import region_zone
from shared.route_roles import require_roles
from shared.route_work import Context, RegionSession, RegionWork, context_of

router = APIRouter(prefix="/v1", tags=["scoring"], route_class=GuardedRoute)

PeriodQuery = Annotated[PeriodKey, Query()]

Reader = require_roles(Role.EMPLOYEE, Role.RATER, Role.REGION_ADMIN, Role.AUDITOR)
Overseer = require_roles(Role.REGION_ADMIN, Role.AUDITOR)
DashboardReader = require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)
RaterOnly = require_roles(Role.RATER)
RegionAdmin = require_roles(Role.REGION_ADMIN)


# The three hot reads are hot routes (shared.hot_route): served without FastAPI's dependency
# solving, each opens its lean read (shared.region_reads) itself and answers its JSON as it is.


@hot_route(router, "GET", "/employees/{employee_id}/scorecard", response_model=ScorecardRead)
async def get_scorecard(
    employee_id: str, period: PeriodQuery, request: Request, principal: Principal = Reader
) -> Response:
    """An employee's live scorecard: their own, their team's (rater), any in the region (HR, auditors)."""
    context = context_of(request)
    zone = await region_zone(context, principal.region)
    async with region_read(context.engine, principal.region) as session:
        card = await scorecards.scorecard(
            session=session, principal=principal, employee_id=employee_id, period=period, zone=zone
        )
    SCORECARDS_READ.inc()
    return JsonBytesResponse(scorecards.scorecard_json(card))


@hot_route(router, "GET", "/units/{unit_id}/dashboard", response_model=UnitDashboardRead)
async def get_unit_dashboard(
    unit_id: str, period: PeriodQuery, request: Request, principal: Principal = DashboardReader
) -> Response:
    """A unit's dashboard for a period (raters: their own unit, their own team by name)."""
    context = context_of(request)
    zone = await region_zone(context, principal.region)
    async with region_read(context.engine, principal.region) as session:
        figures, ranking = await dashboards.unit_dashboard(
            session=session, principal=principal, unit_id=unit_id, period=period, zone=zone
        )
    return JsonBytesResponse(dashboards.with_ranking(figures, ranking))


@hot_route(router, "GET", "/region/dashboard", response_model=RegionDashboardRead)
async def get_region_dashboard(
    period: PeriodQuery, request: Request, principal: Principal = Overseer
) -> Response:
    """The caller's region, unit by unit, for a period."""
    context = context_of(request)
    zone = await region_zone(context, principal.region)
    async with region_read(context.engine, principal.region) as session:
        dashboard = await region_dashboards.region_dashboard(
            session=session, principal=principal, period=period
        )
    return json_response(shown_in(dashboard, zone))


@router.post(
    "/employees/{employee_id}/ratings/{period}",
    response_model=RatingDecisionRead,
    status_code=status.HTTP_201_CREATED,
)
async def decide_ratings(
    employee_id: str,
    period: PeriodKey,
    decision_in: RatingDecisionCreate,
    work: RegionWork,
    context: Context,
    principal: Principal = RaterOnly,
) -> RatingDecisionRead:
    """The employee's rater confirms the proposals, or overrides them with a reason (kept for audit)."""
    zone = await region_zone(context, principal.region)
    decision = await ratings.decide(
        uow=work.uow, principal=principal, employee_id=employee_id, period=period, decision_in=decision_in
    )
    work.record(
        "rating.override" if decision.overridden else "rating.confirm",
        f"{employee_id}/{decision.period}",
        detail=decision.reason,
    )
    work.after_commit(RATING_DECISIONS.labels("override" if decision.overridden else "confirm").inc)
    return shown_in(decision, zone)


@router.put("/employees/{employee_id}/judgements/{period}/{indicator_id}", response_model=JudgementRead)
async def judge_indicator(
    employee_id: str,
    period: PeriodKey,
    indicator_id: str,
    judgement_in: JudgementCreate,
    work: RegionWork,
    context: Context,
    principal: Principal = RaterOnly,
) -> JudgementRead:
    """The employee's rater judges a qualitative indicator; the scorecard and proposal follow at once."""
    zone = await region_zone(context, principal.region)
    judged = await judgements.judge(
        uow=work.uow,
        principal=principal,
        employee_id=employee_id,
        period=period,
        indicator_id=indicator_id,
        judgement_in=judgement_in,
    )
    work.record(
        "indicator.judge",
        f"{employee_id}/{judged.period}/{indicator_id}",
        detail=f"{judged.judgement}: {judged.note}" if judged.note else judged.judgement,
    )
    return shown_in(judged, zone)


@router.get("/overrides", response_model=OverridesRead)
async def get_overrides(
    period: PeriodQuery, session: RegionSession, context: Context, principal: Principal = Overseer
) -> OverridesRead:
    """Rating decisions of the region and period: overrides listed with reasons and counted per rater."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await ratings.overrides(session=session, principal=principal, period=period),
        zone,
    )


@router.get("/periods", response_model=list[PeriodRead])
async def get_closed_periods(
    session: RegionSession, context: Context, principal: Principal = Overseer
) -> list[PeriodRead]:
    """The region's closed (frozen) periods."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await governance.list_closed(session, principal.region),
        zone,
    )


@router.get("/periods/{period}/warnings", response_model=list[CloseWarning])
async def get_close_warnings(
    period: PeriodKey, session: RegionSession, context: Context, principal: Principal = Overseer
) -> list[CloseWarning]:
    """What closing the period would freeze as it is: distribution breaches and undecided ratings."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await governance.close_warnings(session, principal.region, parse_period_key(period)),
        zone,
    )


@router.post("/periods/{period}/close", response_model=PeriodRead, status_code=status.HTTP_201_CREATED)
async def close_period(
    period: PeriodKey,
    close_in: PeriodCloseCreate,
    work: RegionWork,
    context: Context,
    principal: Principal = RegionAdmin,
) -> PeriodRead:
    """Close a period (BKPSDM): its views are frozen; the period's flags are raised."""
    zone = await region_zone(context, principal.region)
    closed = await governance.close_period(
        uow=work.uow,
        emit=work.uow.emit,
        principal=principal,
        period=period,
        close_in=close_in,
    )
    work.record(
        "period.close",
        closed.period,
        detail="; ".join(f"{w.unit_id}: {w.message}" for w in closed.warnings)[:2000] or None,
    )
    work.after_commit(PERIODS_CLOSED.inc)
    return shown_in(closed, zone)


@router.get("/periods/{period}/late-events", response_model=list[LateEventRead])
async def get_late_events(
    period: PeriodKey, session: RegionSession, context: Context, principal: Principal = Overseer
) -> list[LateEventRead]:
    """Events that arrived after the period closed: kept, never applied to its frozen views."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await analysis.list_late_events(session, region_id=principal.region, period=period),
        zone,
    )


@router.post("/periods/{period}/analysis", response_model=AnalysisRead)
async def analyse_period(
    period: PeriodKey, work: RegionWork, context: Context, principal: Principal = RegionAdmin
) -> AnalysisRead:
    """Run the period's checks now (system problems, rater objectivity, volumes); new findings are flagged."""
    zone = await region_zone(context, principal.region)
    parsed = parse_period_key(period)
    raised = await analysis.analyse_period(
        work.uow.session, work.uow.emit, region_id=principal.region, period=parsed
    )
    found = await analysis.list_flags(work.uow.session, region_id=principal.region, period=parsed.key)
    work.record("period.analyse", parsed.key)
    return shown_in(
        AnalysisRead(period=parsed.key, flags_raised=raised, flags=found),
        zone,
    )


@router.get("/flags", response_model=list[FlagRead])
async def get_flags(
    session: RegionSession,
    context: Context,
    period: Annotated[PeriodKey | None, Query()] = None,
    principal: Principal = Overseer,
) -> list[FlagRead]:
    """Flags raised in the region (anomalies, system problems, rater objectivity)."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await analysis.list_flags(session, region_id=principal.region, period=period),
        zone,
    )


@router.get("/units/{unit_id}/diagnosis", response_model=UnitDiagnosisRead)
async def get_unit_diagnosis(
    unit_id: str,
    period: PeriodQuery,
    session: RegionSession,
    context: Context,
    principal: Principal = Overseer,
) -> UnitDiagnosisRead:
    """System problems versus individual shortfalls in a unit, with recommended development."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await analysis.unit_diagnosis(session, region_id=principal.region, unit_id=unit_id, period=period),
        zone,
    )


@router.get("/raters/objectivity", response_model=list[RaterObjectivityRead])
async def get_rater_objectivity(
    period: PeriodQuery, session: RegionSession, context: Context, principal: Principal = Overseer
) -> list[RaterObjectivityRead]:
    """Per rater: leniency or severity against the proposals, and the override rate."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await analysis.objectivity(session, region_id=principal.region, period=period),
        zone,
    )


@router.get("/rewards", response_model=list[RewardGroupRead])
async def get_rewards(
    period: PeriodQuery, session: RegionSession, context: Context, principal: Principal = Overseer
) -> list[RewardGroupRead]:
    """Top performers per unit and job type, for recognition."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await analysis.rewards(session, region_id=principal.region, period=period),
        zone,
    )


@router.get("/rules", response_model=list[RuleSetRead])
async def get_rules(
    session: RegionSession, context: Context, principal: Principal = Overseer
) -> list[RuleSetRead]:
    """The region's dated rule sets."""
    zone = await region_zone(context, principal.region)
    return shown_in(
        await governance.list_rule_sets(session, principal.region),
        zone,
    )


@router.post("/rules", response_model=RuleSetRead, status_code=status.HTTP_201_CREATED)
async def add_rules(
    rule_in: RuleSetCreate, work: RegionWork, context: Context, principal: Principal = RegionAdmin
) -> RuleSetRead:
    """A rule change effective from a date (never into closed periods); open periods are re-scored."""
    zone = await region_zone(context, principal.region)
    created = await governance.add_rule_set(uow=work.uow, principal=principal, rule_in=rule_in)
    work.record("rules.add", created.effective_from.isoformat())
    return shown_in(created, zone)
