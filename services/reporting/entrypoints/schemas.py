"""Bodies only the HTTP API reads or returns: a batch sync and a review note (the use cases' own are in
service_layer/schemas.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

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


def _exact(name: str) -> TypeAdapter[Decimal | None]:
    """How ``ActivityCreate`` reads one of its decimals from a Python value, constraints and all."""
    return TypeAdapter(Annotated[Decimal | None, *ActivityCreate.model_fields[name].metadata])


_EXACT = {name: _exact(name) for name in ("quantity", "denominator", "latitude", "longitude")}
#: A whole quantity with fewer digits than ``max_digits`` less ``decimal_places`` allow.
_WHOLE_QUANTITY_BELOW = 10**14


class _ActivityFromJson(ActivityCreate):
    """An ``ActivityCreate`` read from a batch's JSON text: each decimal made from the Python number
    a JSON decoder gives, as ``ActivityCreate`` makes it from the decoded body.

    Read from the text itself, pydantic makes a JSON number's decimal from the float's shortest
    digits (``5.0`` became ``Decimal('5')``, ``1e16`` seventeen digits), not from Python's ``str``
    of it (``Decimal('5.0')``, ``Decimal('1E+16')``): the feed, the event and a refusal's message
    would have shown them otherwise. The usual numbers (a whole quantity, a coordinate in range
    with at most six places) are made here at once, their bounds checked on the float: pydantic's
    checks of a decimal's digits cost more than the rest of an item's reading; any other value is
    read by ``ActivityCreate``'s own rules (a refusal then sends the body to the decoded reading).
    """

    quantity: Decimal | None = None
    denominator: Decimal | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None

    @field_validator("quantity", "denominator", mode="before")
    @classmethod
    def _quantity(cls, value: object, info: ValidationInfo) -> object:
        if type(value) is int and -_WHOLE_QUANTITY_BELOW < value < _WHOLE_QUANTITY_BELOW:
            return Decimal(value)
        return _EXACT[str(info.field_name)].validate_python(value)

    @field_validator("latitude", "longitude", mode="before")
    @classmethod
    def _coordinate(cls, value: object, info: ValidationInfo) -> object:
        bound = 90.0 if info.field_name == "latitude" else 180.0
        if type(value) is float and -bound <= value <= bound:
            text = repr(value)  # what pydantic makes the decimal of
            if "e" not in text and len(text) - text.index(".") <= 7:  # at most six places
                return Decimal(text)
        return _EXACT[str(info.field_name)].validate_python(value)


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
