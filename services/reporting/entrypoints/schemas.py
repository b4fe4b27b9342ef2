"""Bodies only the HTTP API reads or returns: a batch sync and a review note (the use cases' own are in
service_layer/schemas.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.service_layer.schemas import BatchItemOutcome

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
