"""A region's dated rule sets as stored (JSON settings) and as the domain uses them (RuleBook)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import closed_periods, rule_sets
from services.scoring.domain.achievement import AchievementPolicy, Aspect
from services.scoring.domain.diagnosis import TrainingCatalogue, TrainingEntry
from services.scoring.domain.periods import Period, parse_period_key
from services.scoring.domain.rating import BehaviourValue, OverridePolicy, RatingThresholds
from services.scoring.domain.rewards import RewardPolicy
from services.scoring.domain.rules import NATIONAL_DEFAULT, NoRuleInForceError, RuleBook, RuleSet
from shared.refusals import Refusal
from shared.region_reads import Reads


def _fraction(value: Any, default: Fraction) -> Fraction:
    return default if value is None else Fraction(str(value))


def rule_set_from_settings(effective_from: date, settings: dict[str, Any]) -> RuleSet:
    """The domain rule set a stored settings document stands for (absent keys keep national defaults)."""
    base = NATIONAL_DEFAULT
    rating = settings.get("rating", {})
    thresholds = RatingThresholds(
        above_min_achievement=_fraction(
            rating.get("above_min_achievement"), base.rating.above_min_achievement
        ),
        above_min_verified_share=_fraction(
            rating.get("above_min_verified_share"), base.rating.above_min_verified_share
        ),
        meets_min_achievement=_fraction(
            rating.get("meets_min_achievement"), base.rating.meets_min_achievement
        ),
    )
    training = TrainingCatalogue(
        tuple(
            TrainingEntry(
                code=entry["code"],
                kind=entry["kind"],
                title_id=entry["title_id"],
                title_en=entry["title_en"],
                aspects=frozenset(Aspect(a.upper()) for a in entry.get("aspects", [])),
                values=frozenset(BehaviourValue(v.upper()) for v in entry.get("values", [])),
                job_types=frozenset(entry.get("job_types", [])),
            )
            for entry in settings.get("training", [])
        )
    )
    return replace(
        base,
        effective_from=effective_from,
        achievement=AchievementPolicy(cap=_fraction(settings.get("achievement_cap"), base.achievement.cap)),
        rating=thresholds,
        override=OverridePolicy(
            min_reason_length=int(settings.get("override_min_reason_length", base.override.min_reason_length))
        ),
        rewards=RewardPolicy(top_k=int(settings.get("reward_top_k", base.rewards.top_k))),
        training=training,
    )


#: Built once: every consumer batch reads the rule book of each of its regions.
_RULE_SETS = select(rule_sets.c.effective_from, rule_sets.c.settings).where(
    rule_sets.c.region_id == bindparam("region_id")
)


async def rule_book(session: Reads, region_id: str) -> RuleBook:
    """The region's rule book: its own dated rule sets over the national defaults."""
    rows = (await session.execute(_RULE_SETS, {"region_id": region_id})).all()
    return RuleBook({region_id: [rule_set_from_settings(row.effective_from, row.settings) for row in rows]})


async def rule_set_for(session: Reads, region_id: str, period: Period) -> RuleSet:
    """The rule set scoring a period: the one in force on its first day (422 before any rule)."""
    return rule_set_in(await rule_book(session, region_id), region_id, period)


def rule_set_in(book: RuleBook, region_id: str, period: Period) -> RuleSet:
    """The rule set of a loaded rule book scoring a period (422 before any rule)."""
    try:
        return book.for_period(region_id, period)
    except NoRuleInForceError as exc:
        raise Refusal(
            "no_rules_for_period",
            "No rating rules apply to %(period)s: %(exc)s.",
            field="period",
            params={"period": period.key, "exc": exc},
        ) from exc


async def closed_through(session: AsyncSession, region_id: str) -> date | None:
    """The last day of the latest closed period of a region, if any."""
    keys = (
        await session.scalars(select(closed_periods.c.period).where(closed_periods.c.region_id == region_id))
    ).all()
    ends = [parse_period_key(key).end for key in keys]
    return max(ends) if ends else None
