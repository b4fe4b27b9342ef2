"""A group's outcomes counted in the reporting metric: accepted, duplicate, and rejected for items
refused, taken (someone else's id) or changed (a resend that differs)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast
from zoneinfo import ZoneInfo

from prometheus_client import REGISTRY

from services.reporting.adapters.intake_store import IntakeTransaction
from services.reporting.service_layer.activities import SubmissionRules
from services.reporting.service_layer.intake import Claim, write_group
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal

ZONE = ZoneInfo("Asia/Jakarta")
OCCURRED = (datetime.now(UTC) - timedelta(hours=1)).astimezone(timezone(timedelta(hours=7)))
INDICATOR = {
    "indicator_id": "ind-1",
    "employee_id": "e-1",
    "plan_id": "p-1",
    "result_id": "r-1",
    "year": OCCURRED.astimezone(ZONE).year,
    "aggregation": "sum",
    "qualitative": False,
    "rater_id": "h-1",
}


class _Transaction:
    """Inserts every id emitted but those stored before (``s-...``, another employee's)."""

    def __init__(self, region_id: str) -> None:
        self.region_id = region_id
        self.emitted: list[str] = []

    async def indicators_among(self, indicator_ids: Sequence[str]) -> list[dict[str, Any]]:
        return [dict(INDICATOR)] if "ind-1" in indicator_ids else []

    def emitter(self, *_: object) -> Callable[..., None]:
        return lambda activity_id, *_: self.emitted.append(activity_id)

    async def insert(self, count: int, audit_entries: Sequence[dict[str, Any]], now: datetime) -> set[str]:
        return {activity_id for activity_id in self.emitted if not activity_id.startswith("s-")}

    async def activities_among(self, activity_ids: Sequence[str]) -> list[dict[str, Any]]:
        return [
            {"activity_id": activity_id, "employee_id": "e-9", "status": "submitted"}
            for activity_id in activity_ids
            if activity_id.startswith("s-")
        ]


def _item(
    activity_id: str, *, indicator_id: str = "ind-1", description: str = "Melayani warga"
) -> ActivityCreate:
    return ActivityCreate.model_validate(
        {
            "activity_id": activity_id,
            "indicator_id": indicator_id,
            "occurred_at": OCCURRED.isoformat(),
            "quantity": 3,
            "description": description,
        }
    )


def _count(region_id: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "kinerja_reporting_activities_total", {"region": region_id, "outcome": outcome}
    )
    return value or 0.0


def test_a_groups_outcomes_are_counted_by_kind():
    region_id = f"counts-{uuid.uuid4().hex[:8]}"
    principal = Principal("e-1", region_id, frozenset(), "e-1")
    batch = [
        _item("activity-0"),
        _item("activity-0"),  # a duplicate of the item before
        _item("activity-1", indicator_id="ind-x"),  # not in the plan: rejected
        _item("activity-2"),
        _item("s-other-1"),  # another employee's: taken
        _item("activity-0", description="Melayani warga lain"),  # changed
    ]
    claims = [
        Claim(principal, "e-1", [(n, item.__dict__) for n, item in enumerate(batch)], None, batch=True),
        Claim(principal, "e-1", [(0, _item("activity-3").__dict__)], None),  # a single submission, accepted
    ]

    transaction = cast("IntakeTransaction", _Transaction(region_id))
    results = asyncio.run(write_group(transaction, claims, SubmissionRules.at_now(300), ZONE))

    kinds = [outcome.outcome for result in results for outcome in result.outcomes]
    assert kinds == ["accepted", "duplicate", "rejected", "accepted", "taken", "changed", "accepted"]
    assert {kind: _count(region_id, kind) for kind in ("accepted", "duplicate", "rejected")} == {
        "accepted": 3,
        "duplicate": 1,
        "rejected": 3,
    }
