"""Closing periods (frozen from then on) and the region's dated rule changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import closed_periods, employee_scores, plans, rule_sets, units
from services.scoring.domain.periods import Period, PeriodKind, parse_period_key
from services.scoring.domain.rules import RetroactiveRuleError
from services.scoring.service_layer.analysis import analyse_period
from services.scoring.service_layer.flags import Emit
from services.scoring.service_layer.governance_schemas import (
    CloseWarning,
    PeriodCloseCreate,
    PeriodRead,
    RuleSetCreate,
    RuleSetRead,
)
from services.scoring.service_layer.queries.common import distribution_check, is_closed
from services.scoring.service_layer.rules import closed_through, rule_book, rule_set_from_settings
from services.scoring.service_layer.views import calendar, refresh_employee_years
from shared.auth import Principal
from shared.i18n import phrase_message
from shared.refusals import Label, Phrase, Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


def undecided_warning(unit_id: str, undecided: int) -> CloseWarning:
    """The warning that a unit still has employees without a confirmed rating."""
    explanation = Phrase("%(count)s employee(s) without a confirmed rating", {"count": undecided})
    return CloseWarning(
        unit_id=unit_id,
        message=phrase_message(explanation, "en"),
        message_id=phrase_message(explanation, "id"),
    )


async def close_warnings(session: AsyncSession, region_id: str, period: Period) -> list[CloseWarning]:
    """What a region administrator should know before closing: distribution breaches, open decisions."""
    rows = (
        await session.execute(
            select(employee_scores).where(
                employee_scores.c.region_id == region_id, employee_scores.c.period == period.key
            )
        )
    ).all()
    organisation = {
        row.unit_id: row.organisation_predicate
        for row in (await session.execute(select(units).where(units.c.region_id == region_id))).all()
    }
    by_unit: dict[str, list[Any]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    warnings = []
    for unit_id, members in sorted(by_unit.items()):
        check = await distribution_check(session, region_id, period, organisation.get(unit_id), members)
        if check is not None:
            warnings += [
                CloseWarning(unit_id=unit_id, message=warning.message_en, message_id=warning.message_id)
                for warning in check.warnings
            ]
        undecided = sum(1 for row in members if row.predicate is None)
        if undecided:
            warnings.append(undecided_warning(unit_id, undecided))
    return warnings


async def _period_of_region(session: AsyncSession, region_id: str, key: str) -> Period:
    period = parse_period_key(key)
    kind = (await calendar(session, region_id)).kind
    if period.kind not in (kind, PeriodKind.YEAR):
        raise Refusal(
            "wrong_period_kind",
            "This region assesses %(kind)s periods and the year, not %(period)s.",
            field="period",
            params={"kind": Label(kind.label_en.lower(), kind.label_id.lower()), "period": key},
        )
    return period


async def close_period(
    *, uow: UnitOfWork, emit: Emit, principal: Principal, period: str, close_in: PeriodCloseCreate
) -> PeriodRead:
    """Freeze a period: later events for it are kept aside, its views never change again."""
    session = uow.session
    region_id = principal.region
    parsed = await _period_of_region(session, region_id, period)
    if await is_closed(session, region_id, parsed):
        raise Refusal(
            "period_closed",
            "Period %(period)s is already closed.",
            field="period",
            kind=RefusalKind.CONFLICT,
            params={"period": parsed.key},
        )
    warnings = await close_warnings(session, region_id, parsed)
    if warnings and not close_in.acknowledge_warnings:
        shown = warnings[:10]
        raise Refusal(
            "unacknowledged_warnings",
            "Closing %(period)s has %(count)s warning(s); review them and acknowledge: %(warnings)s",
            field="acknowledge_warnings",
            kind=RefusalKind.CONFLICT,
            params={
                "period": parsed.key,
                "count": len(warnings),
                "warnings": Label(
                    "; ".join(f"{w.unit_id}: {w.message}" for w in shown),
                    "; ".join(f"{w.unit_id}: {w.message_id}" for w in shown),
                ),
            },
        )
    raised = await analyse_period(session, emit, region_id=region_id, period=parsed)
    closed_at = datetime.now(UTC)
    await session.execute(
        insert(closed_periods).values(
            region_id=region_id, period=parsed.key, closed_at=closed_at, closed_by=principal.subject
        )
    )
    return PeriodRead(
        period=parsed.key,
        closed_at=closed_at,
        closed_by=principal.subject,
        warnings=warnings,
        flags_raised=raised,
    )


async def list_closed(session: AsyncSession, region_id: str) -> list[PeriodRead]:
    """The region's closed periods."""
    rows = (
        await session.execute(
            select(closed_periods)
            .where(closed_periods.c.region_id == region_id)
            .order_by(closed_periods.c.period)
        )
    ).all()
    return [
        PeriodRead(
            period=row.period, closed_at=row.closed_at, closed_by=row.closed_by, warnings=[], flags_raised=0
        )
        for row in rows
    ]


def _settings(rule_in: RuleSetCreate) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "rating": {key: str(value) for key, value in rule_in.rating.model_dump().items() if value is not None}
    }
    if rule_in.achievement_cap is not None:
        settings["achievement_cap"] = str(rule_in.achievement_cap)
    if rule_in.override_min_reason_length is not None:
        settings["override_min_reason_length"] = rule_in.override_min_reason_length
    if rule_in.reward_top_k is not None:
        settings["reward_top_k"] = rule_in.reward_top_k
    if rule_in.training:
        settings["training"] = [entry.model_dump() for entry in rule_in.training]
    return settings


async def add_rule_set(*, uow: UnitOfWork, principal: Principal, rule_in: RuleSetCreate) -> RuleSetRead:
    """A rule change from its date on; it may not reach into closed periods. Open periods are re-scored."""
    session = uow.session
    region_id = principal.region
    settings = _settings(rule_in)
    try:
        rule_set = rule_set_from_settings(rule_in.effective_from, settings)
    except ValueError as exc:
        raise Refusal(
            "invalid_rules", "The rule set is not valid: %(exc)s.", field="rating", params={"exc": exc}
        ) from exc
    book = await rule_book(session, region_id)
    try:
        book.with_rule_set(region_id, rule_set, closed_through=await closed_through(session, region_id))
    except RetroactiveRuleError as exc:
        raise Refusal(
            "retroactive_rule",
            "%(exc)s: a rule change never rewrites closed periods.",
            field="effective_from",
            kind=RefusalKind.CONFLICT,
            params={"exc": exc},
        ) from exc
    except ValueError as exc:
        raise Refusal(
            "rule_exists",
            "A rule set effective %(effective_from)s exists already.",
            field="effective_from",
            kind=RefusalKind.CONFLICT,
            params={"effective_from": rule_in.effective_from.isoformat()},
        ) from exc
    created_at = datetime.now(UTC)
    await session.execute(
        insert(rule_sets).values(
            region_id=region_id,
            effective_from=rule_in.effective_from,
            settings=settings,
            created_by=principal.subject,
            created_at=created_at,
        )
    )
    planned = (
        await session.execute(
            select(plans.c.employee_id, plans.c.year)
            .where(plans.c.region_id == region_id, plans.c.year >= rule_in.effective_from.year)
            .distinct()
        )
    ).all()
    # Every planned employee-year at once: one set-based refresh, not one per employee.
    await refresh_employee_years(
        session,
        region_id=region_id,
        employee_years=sorted((row.employee_id, row.year) for row in planned),
        event_id=f"rule-set:{rule_in.effective_from.isoformat()}",
        at=created_at,
    )
    return RuleSetRead(
        effective_from=rule_in.effective_from,
        settings=settings,
        created_by=principal.subject,
        created_at=created_at,
    )


async def list_rule_sets(session: AsyncSession, region_id: str) -> list[RuleSetRead]:
    """The region's own rule sets, oldest first (national defaults apply before the first)."""
    rows = (
        await session.execute(
            select(rule_sets).where(rule_sets.c.region_id == region_id).order_by(rule_sets.c.effective_from)
        )
    ).all()
    return [RuleSetRead.model_validate(dict(row._mapping)) for row in rows]
