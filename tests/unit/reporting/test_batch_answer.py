"""A batch's answer holds each item's outcome in request order, as orjson writes the items' dicts,
whatever way each item's JSON is made."""

from __future__ import annotations

import orjson

from services.reporting.service_layer.activities import ACTIVITY_ID_TAKEN, UNKNOWN_INDICATOR
from services.reporting.service_layer.intake_claims import ItemOutcome
from services.reporting.service_layer.schemas import MAX_BATCH_ITEMS, BatchItemOutcome
from services.reporting.service_layer.submission_answers import batch_answer
from shared.i18n import refusal_body


def test_each_items_outcome_is_written_as_its_dict():
    outcomes = [
        ItemOutcome(0, "accepted-0", "accepted", "submitted"),
        ItemOutcome(2, "accepted-2", "accepted", "submitted"),
        ItemOutcome(3, "duplicate-3", "duplicate", "verified"),
        ItemOutcome(4, "rejected-4", "rejected", refusal=UNKNOWN_INDICATOR),
        ItemOutcome(5, "taken-5", "taken"),
        ItemOutcome(6, "accepted-6", "accepted", "submitted"),
    ]
    malformed = {1: BatchItemOutcome(index=1, activity_id=None, outcome="rejected", error={"code": "x"})}

    answer = batch_answer(7, outcomes[::-1], malformed)  # in request order, however they come

    def item(
        index: int, activity_id: str | None, outcome: str, status: str | None = None, error: object = None
    ) -> dict[str, object]:
        return {"index": index, "activity_id": activity_id, "outcome": outcome} | {
            "status": status,
            "error": error,
        }

    expected = {
        "accepted": 3,
        "duplicates": 1,
        "rejected": 3,
        "items": [
            item(0, "accepted-0", "accepted", "submitted"),
            item(1, None, "rejected", error={"code": "x"}),
            item(2, "accepted-2", "accepted", "submitted"),
            item(3, "duplicate-3", "duplicate", "verified"),
            item(4, "rejected-4", "rejected", error=refusal_body(UNKNOWN_INDICATOR)),
            item(5, "taken-5", "rejected", error=refusal_body(ACTIVITY_ID_TAKEN)),
            item(6, "accepted-6", "accepted", "submitted"),
        ],
    }
    assert answer == orjson.dumps(expected)


def test_items_accepted_as_submitted_are_written_as_their_outcomes_would_be():
    size = MAX_BATCH_ITEMS  # every index a batch may hold
    ids = [f"activity-{index:04d}_x" for index in range(size)]
    submitted = [(index, activity_id) for index, activity_id in enumerate(ids) if index % 7]
    others = [ItemOutcome(index, ids[index], "duplicate", "verified") for index in range(0, size, 7)]
    as_outcomes = [
        ItemOutcome(index, activity_id, "accepted", "submitted") for index, activity_id in submitted
    ]

    answer = batch_answer(size, others, {}, submitted)

    assert answer == batch_answer(size, as_outcomes + others, {})
    assert orjson.loads(answer)["accepted"] == len(submitted)


def test_a_batch_whose_every_item_was_accepted_as_submitted_is_written_as_its_outcomes_would_be():
    for size in (1, 2, 17, MAX_BATCH_ITEMS):
        submitted = [(index, f"{index:04d}-activity_x") for index in range(size)]
        as_outcomes = [
            ItemOutcome(index, activity_id, "accepted", "submitted") for index, activity_id in submitted
        ]

        answer = batch_answer(size, [], {}, submitted)

        assert answer == batch_answer(size, as_outcomes, {})
        assert orjson.loads(answer)["accepted"] == size
