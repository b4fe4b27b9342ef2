"""A group's items judged by the rules with each value in its place: the item's time against the
rules' moment, its quantity against its denominator, the indicator's aggregation and whether it is
qualitative (the intake reads the last two from an untyped row: a swap would pass type checks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from services.reporting.service_layer.activities import SubmissionRules
from services.reporting.service_layer.intake_claims import Claim
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal
from tests.unit.reporting.intake_group import GroupTransaction, written

ZONE = ZoneInfo("Asia/Jakarta")
PHONE = timezone(timedelta(hours=7))
OCCURRED = (datetime.now(UTC) - timedelta(hours=1)).astimezone(PHONE)
_ROW = {"employee_id": "e-1", "plan_id": "p-1", "result_id": "r-1", "year": OCCURRED.astimezone(ZONE).year}
_ROW = _ROW | {"rater_id": "h-1"}
INDICATORS = {
    "count": _ROW | {"indicator_id": "count", "aggregation": "sum", "qualitative": False},
    "note": _ROW | {"indicator_id": "note", "aggregation": "sum", "qualitative": True},
    "ratio": _ROW | {"indicator_id": "ratio", "aggregation": "ratio", "qualitative": False},
}


def _item(
    activity_id: str, indicator_id: str, occurred: datetime = OCCURRED, **numbers: int
) -> ActivityCreate:
    sent = {"activity_id": activity_id, "indicator_id": indicator_id, "occurred_at": occurred.isoformat()}
    return ActivityCreate.model_validate(sent | numbers | {"description": "Melayani warga"})


def _verdicts(items: list[ActivityCreate]) -> dict[str, str]:
    """Each item's outcome, or the code of the rule it broke, once a batch of them was written."""
    principal = Principal("e-1", "checks", frozenset(), "e-1")
    claim = Claim(principal, "e-1", [(n, item.__dict__) for n, item in enumerate(items)], None, batch=True)
    [result] = written(GroupTransaction("checks", INDICATORS), [claim], SubmissionRules.at_now(300), ZONE)
    return {
        outcome.activity_id: outcome.refusal.code if outcome.refusal is not None else outcome.outcome
        for outcome in result.outcomes
    }


def test_each_items_values_are_judged_in_their_place():
    items = [
        _item("ratio-below", "ratio", quantity=3, denominator=10),
        _item("ratio-above", "ratio", quantity=10, denominator=3),
        _item("count-missing", "count"),
        _item("note-missing", "note"),
        _item("count-future", "count", OCCURRED + timedelta(hours=2), quantity=1),
    ]
    assert _verdicts(items) == {
        "ratio-below": "accepted",
        "ratio-above": "quantity_above_denominator",
        "count-missing": "quantity_required",
        "note-missing": "accepted",
        "count-future": "in_the_future",
    }


def test_a_quantity_found_fine_for_one_indicator_is_judged_again_for_another():
    # The intake remembers the quantities it found fine by indicator: the same numbers sent for
    # another indicator, or found fine first and sent again, are judged by that indicator's rule.
    items = [
        _item("count-five", "count", quantity=5),
        _item("ratio-five", "ratio", quantity=5),  # no denominator: a ratio needs one
        _item("note-none", "note"),
        _item("count-none", "count"),  # fine for a qualitative indicator, not for a count
        _item("ratio-5-of-4", "ratio", quantity=5, denominator=4),
        _item("count-5-of-4", "count", quantity=5, denominator=4),  # only a ratio takes one
        _item("count-five-again", "count", quantity=5),
        _item("ratio-4-of-5", "ratio", quantity=4, denominator=5),
        _item("ratio-4-of-5-again", "ratio", quantity=4, denominator=5),
    ]
    assert _verdicts(items) == {
        "count-five": "accepted",
        "ratio-five": "denominator_required",
        "note-none": "accepted",
        "count-none": "quantity_required",
        "ratio-5-of-4": "quantity_above_denominator",
        "count-5-of-4": "denominator_not_applicable",
        "count-five-again": "accepted",
        "ratio-4-of-5": "accepted",
        "ratio-4-of-5-again": "accepted",
    }
