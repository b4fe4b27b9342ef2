"""A group's outcomes counted in the reporting metric: accepted, duplicate, and rejected for items
refused, taken (someone else's id) or changed (a resend that differs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from prometheus_client import REGISTRY

from services.reporting.service_layer.activities import SubmissionRules
from services.reporting.service_layer.intake_claims import Claim
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal
from tests.unit.reporting.intake_group import GroupTransaction, written

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

    # "s-other-1" was stored before, another employee's.
    stored = {"s-other-1": {"activity_id": "s-other-1", "employee_id": "e-9", "status": "submitted"}}
    transaction = GroupTransaction(region_id, {"ind-1": INDICATOR}, stored)
    results = written(transaction, claims, SubmissionRules.at_now(300), ZONE)

    kinds = [outcome.outcome for result in results for outcome in result.outcomes]
    assert kinds == ["accepted", "duplicate", "rejected", "accepted", "taken", "changed", "accepted"]
    assert {kind: _count(region_id, kind) for kind in ("accepted", "duplicate", "rejected")} == {
        "accepted": 3,
        "duplicate": 1,
        "rejected": 3,
    }
