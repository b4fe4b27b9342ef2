"""A group's transaction for unit tests of ``write_group``: no database, its answers given."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any, cast

from services.reporting.adapters.intake_store import IntakeTransaction
from services.reporting.service_layer.activities import SubmissionRules
from services.reporting.service_layer.intake import write_group
from services.reporting.service_layer.intake_claims import Claim, ClaimResult


class GroupTransaction:
    """Answers the plan indicators of ``indicators`` (an id -> its row) and inserts every activity
    id emitted but those ``stored`` before (an id -> its stored row, which ``activities_among``
    answers)."""

    def __init__(
        self,
        region_id: str,
        indicators: Mapping[str, dict[str, Any]],
        stored: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.region_id = region_id
        self.indicators = indicators
        self.stored = stored or {}
        self.emitted: list[str] = []

    async def indicators_among(self, indicator_ids: Sequence[str]) -> list[dict[str, Any]]:
        return [dict(self.indicators[i]) for i in indicator_ids if i in self.indicators]

    def emitter(self, *_: object) -> Callable[..., None]:
        return lambda activity_id, *_: self.emitted.append(activity_id)

    async def insert(self, count: int, audit_entries: Sequence[dict[str, Any]], now: datetime) -> set[str]:
        return {activity_id for activity_id in self.emitted if activity_id not in self.stored}

    async def activities_among(self, activity_ids: Sequence[str]) -> list[dict[str, Any]]:
        return [self.stored[activity_id] for activity_id in activity_ids if activity_id in self.stored]


def written(
    transaction: GroupTransaction, claims: Sequence[Claim], rules: SubmissionRules, zone: tzinfo
) -> list[ClaimResult]:
    """``write_group``'s results for the claims, written in ``transaction``."""
    return asyncio.run(write_group(cast("IntakeTransaction", transaction), claims, rules, zone))
