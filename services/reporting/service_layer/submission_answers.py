"""What a submission answers: a batch's items as one claim and its per-item JSON, a single one's activity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson
from pydantic import TypeAdapter, ValidationError

from services.reporting.metrics import ACTIVITIES_SUBMITTED, BATCH_SIZE
from services.reporting.service_layer.activities import ACTIVITY_ID_TAKEN
from services.reporting.service_layer.intake_claims import Claim, ItemOutcome
from services.reporting.service_layer.intake_values import SUBMITTED
from services.reporting.service_layer.schemas import (
    MAX_BATCH_ITEMS,
    ActivityFields,
    ActivityWithoutNul,
    BatchItemOutcome,
)
from shared.auth import Principal
from shared.i18n import refusal_body
from shared.observability import region_label
from shared.validation import describe

#: A batch's items validated in one call: item by item, each ``model_validate`` call cost
#: ~1.4 µs more an item than the list's one pass (bench/README.md, session 20). Read from decoded
#: values (a body the one-pass reading left, among them any holding a NUL): their texts are checked.
_ACTIVITY_LIST = TypeAdapter(list[ActivityWithoutNul])


def batch_claim(
    principal: Principal,
    employee_id: str,
    raw_items: Sequence[object],
    client_address: str | None,
    *,
    validated: bool = False,
) -> tuple[Claim, dict[int, BatchItemOutcome]]:
    """A batch's well-formed items as one claim, and a rejection for each malformed one.

    ``validated``: the items are an ``ActivityCreate``'s fields already (read so from the request's
    JSON: ``ActivityFields``).
    """
    BATCH_SIZE.observe(len(raw_items))
    if validated:
        items = cast("list[ActivityFields]", raw_items)
        return Claim(principal, employee_id, list(enumerate(items)), client_address, batch=True), {}
    try:
        valid = _ACTIVITY_LIST.validate_python(raw_items)
    except ValidationError:
        # Some item is malformed: each judged on its own, so every other item is still taken and
        # each malformed one answered with its own errors (rare: a phone's app sends what it built).
        return _claim_item_by_item(principal, employee_id, raw_items, client_address)
    fields = [(index, item.__dict__) for index, item in enumerate(valid)]
    return Claim(principal, employee_id, fields, client_address, batch=True), {}


def _claim_item_by_item(
    principal: Principal, employee_id: str, raw_items: Sequence[object], client_address: str | None
) -> tuple[Claim, dict[int, BatchItemOutcome]]:
    items: list[tuple[int, ActivityFields]] = []
    malformed: dict[int, BatchItemOutcome] = {}
    for index, raw in enumerate(raw_items):
        try:
            items.append((index, ActivityWithoutNul.model_validate(raw).__dict__))
        except ValidationError as exc:
            raw_id = raw.get("activity_id") if isinstance(raw, dict) else None
            malformed[index] = _invalid_item(index, raw_id if isinstance(raw_id, str) else None, exc)
            ACTIVITIES_SUBMITTED.labels(region_label(principal.region), "rejected").inc()
    claim = Claim(principal, employee_id, items, client_address, batch=True, malformed=len(malformed))
    return claim, malformed


def batch_answer(
    size: int,
    outcomes: Sequence[ItemOutcome],
    malformed: dict[int, BatchItemOutcome],
    submitted: Sequence[tuple[int, str]] = (),
) -> bytes:
    """The JSON answer to a batch (``BatchRead``): one outcome per item, in request order; ``submitted``:
    the items accepted as submitted, as their index and id (``ClaimResult.submitted``).

    Written as plain dicts: a model per item (up to 500) and their serialization cost more than
    judging and storing the items did. Each outcome's item is made and counted in one pass, in
    place: a call an item, an index of them and two passes to count cost ~1,800 instructions an
    item more (5,900 against 4,050, callgrind; session 25). An item accepted as submitted (most of
    them) is written as its index's head, its id and a fixed tail joined (``_SUBMITTED_HEADS``),
    the same bytes as its dict's.
    """
    if len(submitted) == size and not outcomes and not malformed:
        return _all_submitted(submitted)
    items: list[bytes | None] = [None] * size
    for index, invalid in malformed.items():
        items[index] = orjson.dumps(invalid.model_dump(mode="json"))
    for index, activity_id in submitted:
        items[index] = _SUBMITTED_HEADS[index] + activity_id.encode() + _SUBMITTED_TAIL
    accepted, duplicates = len(submitted), 0
    for outcome in outcomes:
        kind: str = outcome.outcome
        status, error = outcome.status, None
        if kind == "accepted":
            accepted += 1
        elif kind == "duplicate":
            duplicates += 1
        else:
            kind, status = "rejected", None
            error = refusal_body(outcome.refusal if outcome.refusal is not None else ACTIVITY_ID_TAKEN)
        items[outcome.index] = orjson.dumps(
            {
                "index": outcome.index,
                "activity_id": outcome.activity_id,
                "outcome": kind,
                "status": status,
                "error": error,
            }
        )
    if None in items:
        raise ValueError("a batch's answer lacks an item's outcome")
    rejected = size - accepted - duplicates
    return b'{"accepted":%d,"duplicates":%d,"rejected":%d,"items":[%s]}' % (
        accepted,
        duplicates,
        rejected,
        b",".join(cast("list[bytes]", items)),
    )


#: An item accepted as submitted, as orjson writes its dict: the part before its id (one an index a
#: batch may hold), its id, and the rest. An activity id is its JSON's text between the quotes (its
#: pattern: letters, digits, ``_`` and ``-``): orjson writing it cost ~490 instructions an item more
#: (callgrind, session 35). A dict an item and its encoding cost ~2,400 instructions an item more
#: (session 33), the item's bytes formatted (``%d``, ``%s``) ~1,150 more (session 34).
_SUBMITTED_HEADS = tuple(b'{"index":%d,"activity_id":"' % index for index in range(MAX_BATCH_ITEMS))
_SUBMITTED_TAIL = b'","outcome":"accepted","status":"%s","error":null}' % SUBMITTED.encode()


def _all_submitted(submitted: Sequence[tuple[int, str]]) -> bytes:
    """The answer to a batch whose every item was accepted as submitted (most batches), in request
    order (``submitted`` is): its items' JSON, as ``batch_answer`` writes each, joined once from each
    id and the text between two ids (``_BETWEEN_IDS``), as text, then encoded once. Each item's bytes
    made (its id encoded and two joins an item) cost ~1,100 instructions an item more, the pieces
    chained by ``itertools`` ~450 more than placed in a list of their size (callgrind, session 38)."""
    size = len(submitted)
    pieces = [""] * (2 * size + 2)  # the head, each item's text before its id and its id, the tail
    pieces[0] = f'{{"accepted":{size},"duplicates":0,"rejected":0,"items":['
    pieces[1:-1:2] = _BETWEEN_IDS[:size]
    pieces[2:-1:2] = [activity_id for _, activity_id in submitted]
    pieces[-1] = _LAST_TAIL
    return "".join(pieces).encode()


#: The text before each id of a batch whose every item was accepted as submitted (``_all_submitted``):
#: the previous item's tail and the item's head, the first item's head alone; and the last's tail.
_BETWEEN_IDS = tuple(
    (_SUBMITTED_TAIL + b"," if index else b"").decode() + _SUBMITTED_HEADS[index].decode()
    for index in range(MAX_BATCH_ITEMS)
)
_LAST_TAIL = _SUBMITTED_TAIL.decode() + "]}"


def _invalid_item(index: int, activity_id: str | None, exc: ValidationError) -> BatchItemOutcome:
    error = describe(exc.errors(), subject=("item", "butir"))
    return BatchItemOutcome(index=index, activity_id=activity_id, outcome="rejected", error=error)


def single_answer(outcome: ItemOutcome) -> tuple[Mapping[str, Any], bool]:
    """A single submission's answer: the activity as stored and whether it is new, or the error to raise."""
    if outcome.outcome in ("changed", "rejected") and outcome.refusal is not None:
        raise outcome.refusal
    if outcome.outcome in ("taken", "rejected") or outcome.activity is None:
        raise ACTIVITY_ID_TAKEN
    return outcome.activity, outcome.outcome == "accepted"
