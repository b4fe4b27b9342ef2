"""Bodies only the HTTP API reads or returns: a batch sync and a review note (the use cases' own are in
service_layer/schemas.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.reporting.service_layer.schemas import ActivityCreate, BatchItemOutcome

#: The most items one offline sync may send; a phone with more sends several batches.
MAX_BATCH_ITEMS = 500


class BatchCreate(BaseModel):
    """Activities queued on a phone while offline, sent in one request."""

    model_config = ConfigDict(extra="forbid")

    # Items stay raw here (even a non-object): each is validated on its own, so one bad item is a
    # per-item rejection instead of a 422 for the whole sync.
    items: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        description="Each item an ActivityCreate; at most 500 per request.",
        json_schema_extra={"items": {"$ref": "#/components/schemas/ActivityCreate"}},
    )


class _ActivityFromJson(ActivityCreate):
    """An ``ActivityCreate`` read from a batch's JSON text, its numbers first made the Python numbers
    a JSON decoder gives. Read from the text itself, pydantic makes a JSON number's decimal from the
    float's shortest digits (``5.0`` became ``Decimal('5')``, ``1e16`` seventeen digits), not from
    Python's ``str`` of it (``Decimal('5.0')``, ``Decimal('1E+16')``) as from the decoded values: the
    feed, the event and a refusal's message would have shown them otherwise."""

    @field_validator("quantity", "denominator", "latitude", "longitude", mode="before")
    @classmethod
    def _as_decoded(cls, value: object) -> object:
        return value


class ValidatedBatch(BatchCreate):
    """A batch whose every item validated as it was read from the JSON text (``valid_batch``)."""

    items: list[_ActivityFromJson] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


def valid_batch(body: bytes) -> ValidatedBatch | None:
    """The batch read from its JSON text in one pass when every item is valid, else None (the body
    is then decoded and its items judged one by one, each malformed one answered with its errors).

    pydantic reads and validates the text at once: decoding it into dicts, then validating those,
    cost 5% more of a batch item's instructions (bench/README.md, session 21). A test holds it equal
    to what the decoded values give.
    """
    try:
        return ValidatedBatch.model_validate_json(body)
    except ValidationError:
        return None


class BatchRead(BaseModel):
    """Per-item outcomes of a batch; one bad item never rejects the rest."""

    accepted: int
    duplicates: int
    rejected: int
    items: list[BatchItemOutcome]


class VerificationCreate(BaseModel):
    """A rater verifies an activity, optionally with a note."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class RejectionCreate(BaseModel):
    """A rater rejects an activity; the note tells the employee what to correct."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=3, max_length=2000)
