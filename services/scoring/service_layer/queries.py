"""Read side of scoring: scorecards and dashboards straight from the materialized views."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import indicator_progress, indicator_targets, unit_satisfaction
from services.scoring.domain.achievement import Direction, achievement_ratio
from services.scoring.domain.periods import InvalidPeriodError, parse_period_key
from services.scoring.domain.rating import propose_result_rating
from services.scoring.entrypoints.schemas import (
    IndicatorScore,
    SatisfactionRead,
    ScorecardRead,
    UnitDashboardRead,
)
from shared.auth import Principal, Role
from shared.errors import NotFound, Unprocessable

ACHIEVEMENT_CAP = Fraction(3, 2)


def _decimal(value: Fraction | None, places: int = 4) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places))


def _realisation(aggregation: str, row: Any) -> tuple[Fraction | None, Fraction | None]:
    """Realisation and verified share from the progress row, as the indicator aggregates."""
    count = getattr(row, "activity_count", 0) or 0
    if count == 0:
        return (Fraction(0), None) if aggregation == "sum" else (None, None)
    total = Fraction(row.quantity_sum)
    verified_total = Fraction(row.verified_quantity_sum)
    verified_count = row.verified_count
    if aggregation == "sum":
        share = verified_total / total if total else Fraction(verified_count, count)
        return total, share
    if aggregation == "average":
        return total / count, Fraction(verified_count, count)
    if aggregation == "last":
        return Fraction(row.last_quantity), Fraction(verified_count, count)
    denominator = Fraction(row.denominator_sum)
    return (total / denominator if denominator else None), Fraction(verified_count, count)


def _parse_period(period: str) -> None:
    try:
        parse_period_key(period)
    except InvalidPeriodError as exc:
        raise Unprocessable("invalid_period", f"{exc}", field="period") from exc


async def scorecard(
    *, session: AsyncSession, principal: Principal, employee_id: str, period: str
) -> ScorecardRead:
    """An employee's scorecard; every number traceable to the activities behind it."""
    _parse_period(period)
    year = int(period[:4])
    targets = (
        await session.execute(
            select(indicator_targets).where(
                indicator_targets.c.employee_id == employee_id,
                indicator_targets.c.region_id == principal.region,
                indicator_targets.c.year == year,
                indicator_targets.c.active.is_(True),
            )
        )
    ).all()
    if not targets:
        raise NotFound("no_scorecard", "No approved plan for this employee and year.", field="employee_id")
    allowed = (
        principal.has(Role.REGION_ADMIN, Role.AUDITOR)
        or principal.employee_id == employee_id
        or (principal.has(Role.RATER) and principal.employee_id == targets[0].rater_id)
    )
    if not allowed:
        raise NotFound("no_scorecard", "No scorecard you may see for this employee.")
    progress = {
        row.indicator_id: row
        for row in (
            await session.execute(
                select(indicator_progress).where(
                    indicator_progress.c.employee_id == employee_id, indicator_progress.c.period == period
                )
            )
        ).all()
    }
    scores: list[IndicatorScore] = []
    achievements: list[Fraction] = []
    shares: list[Fraction] = []
    for target_row in targets:
        row = progress.get(target_row.indicator_id)
        realisation, share = _realisation(target_row.aggregation, row)
        split = target_row.period_targets.get(period)
        target = Decimal(split) if split is not None else target_row.target
        achievement = None
        if target is not None and realisation is not None:
            achievement = achievement_ratio(
                Direction(target_row.direction.upper()), Fraction(target), realisation, cap=ACHIEVEMENT_CAP
            )
        if target_row.result_kind == "main":
            achievements.append(achievement or Fraction(0))
            if share is not None:
                shares.append(share)
        scores.append(
            IndicatorScore(
                indicator_id=target_row.indicator_id,
                name=target_row.name,
                result_id=target_row.result_id,
                result_kind=target_row.result_kind,
                direction=target_row.direction,
                aggregation=target_row.aggregation,
                unit_of_measure=target_row.unit_of_measure,
                target=target,
                realisation=_decimal(realisation),
                verified_share=_decimal(share),
                achievement=_decimal(achievement),
                activity_count=row.activity_count if row else 0,
                verified_count=row.verified_count if row else 0,
                last_activity_at=row.last_occurred_at if row else None,
                events_applied=row.events_applied if row else 0,
                updated_at=row.updated_at if row else None,
            )
        )
    overall = sum(achievements, Fraction(0)) / len(achievements) if achievements else None
    overall_share = sum(shares, Fraction(0)) / len(shares) if shares else None
    proposal = propose_result_rating(overall, overall_share)
    return ScorecardRead(
        employee_id=employee_id,
        region_id=principal.region,
        period=period,
        achievement=_decimal(overall),
        verified_share=_decimal(overall_share),
        proposed_result_rating=proposal.rating.value,
        proposal_reasons=[reason.message_en for reason in proposal.reasons],
        indicators=scores,
    )


async def unit_dashboard(
    *, session: AsyncSession, principal: Principal, unit_id: str, period: str
) -> UnitDashboardRead:
    """A unit's dashboard: its people's achievement and its citizens' satisfaction."""
    _parse_period(period)
    satisfaction = (
        await session.execute(
            select(unit_satisfaction).where(
                and_(
                    unit_satisfaction.c.unit_id == unit_id,
                    unit_satisfaction.c.period == period,
                    unit_satisfaction.c.region_id == principal.region,
                )
            )
        )
    ).all()
    employees = (
        await session.execute(
            select(indicator_targets.c.employee_id)
            .where(
                indicator_targets.c.unit_id == unit_id,
                indicator_targets.c.region_id == principal.region,
                indicator_targets.c.active.is_(True),
            )
            .distinct()
        )
    ).all()
    return UnitDashboardRead(
        unit_id=unit_id,
        region_id=principal.region,
        period=period,
        employees=len(employees),
        satisfaction=[SatisfactionRead.model_validate(dict(row._mapping)) for row in satisfaction],
    )
