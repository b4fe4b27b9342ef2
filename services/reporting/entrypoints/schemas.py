"""Bodies only the HTTP API reads or returns: a batch sync and a review note (the use cases' own are in
service_layer/schemas.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Context, Decimal
from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from services.reporting.service_layer.schemas import (
    MAX_BATCH_ITEMS,
    SMALL_COUNTS,
    ActivityCreate,
    ActivityFields,
    ActivityWithoutNul,
    BatchItemOutcome,
)
from shared.dates import in_standard_zone, standard_zones, years_inside_window
from shared.field_dicts import fields_of
from shared.validation import contains_nul, without_nul


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


_EXACT = {name: _exact(name) for name in ("quantity", "denominator")}
#: A whole quantity with fewer digits than ``max_digits`` less ``decimal_places`` allow.
_WHOLE_QUANTITY_BELOW = 10**14


def _whole_or_exact(name: str) -> GetPydanticSchema:
    """A quantity as ``ActivityCreate`` makes it: a whole number (a JSON integer in range) made a
    decimal by pydantic calling ``Decimal`` (no Python frame: ~990 instructions an item fewer than a
    plain validator of both cases, callgrind, session 32), any other value by its rules."""
    exact = _EXACT[name]
    # A small count (most are) is looked up, not made: the same decimal, shared (it is immutable).
    # Pydantic calling ``Decimal`` cost ~580 instructions an item more (callgrind, session 33).
    small = core_schema.no_info_after_validator_function(
        SMALL_COUNTS.__getitem__, core_schema.int_schema(strict=True, ge=0, lt=len(SMALL_COUNTS))
    )
    whole = core_schema.no_info_after_validator_function(
        Decimal,
        core_schema.int_schema(strict=True, gt=-_WHOLE_QUANTITY_BELOW, lt=_WHOLE_QUANTITY_BELOW),
    )
    # Given the number a JSON decoder gives (a plain validator's value), as before.
    other = core_schema.no_info_plain_validator_function(exact.validate_python)
    schema = core_schema.nullable_schema(
        core_schema.union_schema([small, whole, other], mode="left_to_right")
    )
    return GetPydanticSchema(lambda _source, _handler: schema)


#: A coordinate's text in range: a whole part below the bound and one to six places (anchored:
#: pydantic searches for a pattern).
_COORDINATE_TEXT = {
    "latitude": r"^-?[1-8]?[0-9]\.[0-9]{1,6}$",
    "longitude": r"^-?(?:1[0-7][0-9]|[1-9]?[0-9])\.[0-9]{1,6}$",
}


#: ``Decimal(text)`` of a coordinate's text: the default context's precision (28 digits) holds the
#: nine digits such a text has at most, so nothing is rounded and no condition is signalled. Its own
#: context: a thread's current one may be changed.
_exactly = Context(prec=28).create_decimal


def _coordinate_text(name: str) -> CoreSchema:
    """A coordinate's text as ``ActivityCreate`` reads it from the decoded body, from its number's
    shortest digits (pydantic's ``coerce_numbers_to_str`` writes the float it read, in Rust): no
    Python call, no ``repr`` (~8,700 instructions an item fewer).

    With at most six places those digits are ``repr``'s (one shortest string rounds to the float
    then; below 1e-4, where ``repr`` writes ``5e-05``, the decimal is the same), and a string in
    this form is the decimal of its text, as before; the pattern allows no leading zero, so ``str``
    of that decimal is the text itself. Any other value is refused, which sends the body to the
    decoded reading: a whole number (its float shows ``98``, the decoded one ``Decimal('98.0')``,
    its int ``Decimal('98')``), more places, a string in another form. A test holds every reading
    equal to the one before (``repr`` of the decoded float).
    """
    return core_schema.str_schema(pattern=_COORDINATE_TEXT[name], coerce_numbers_to_str=True)


def _coordinate_decimal(name: str) -> GetPydanticSchema:
    """A coordinate as ``ActivityCreate`` makes it from the decoded body: the decimal of its text
    (``_coordinate_text``), made by pydantic calling a context's ``create_decimal``: pydantic's
    decimal validator made the same at ~217 instructions a coordinate more (callgrind, session 32),
    calling ``Decimal`` ~215 more (session 34)."""
    text = _coordinate_text(name)
    schema = core_schema.nullable_schema(core_schema.no_info_after_validator_function(_exactly, text))
    return GetPydanticSchema(lambda _source, _handler: schema)


def _coordinate_kept_as_text(name: str) -> GetPydanticSchema:
    """A batch item's coordinate as its text (``_coordinate_text``): ``str`` of the decimal it
    stands for, all the intake writes of it (the feed's notice, the event, the row)."""
    schema = core_schema.nullable_schema(_coordinate_text(name))
    return GetPydanticSchema(lambda _source, _handler: schema)


class _ActivityFromJson(ActivityCreate):
    """An ``ActivityCreate`` read from a submission's or a batch's JSON text: each decimal made from
    the Python number a JSON decoder gives, as ``ActivityCreate`` makes it from the decoded body.

    Read from the text itself, pydantic makes a JSON number's decimal from the float's shortest
    digits (``5.0`` became ``Decimal('5')``, ``1e16`` seventeen digits), not from Python's ``str``
    of it (``Decimal('5.0')``, ``Decimal('1E+16')``): the feed, the event and a refusal's message
    would have shown them otherwise. The usual numbers (a whole quantity, a coordinate in range
    with at most six places) are made here at once, their bounds checked on the number or its
    text: pydantic's checks of a decimal's digits cost more than the rest of an item's reading;
    any other quantity is read by ``ActivityCreate``'s own rules, any other coordinate refused (a
    refusal then sends the body to the decoded reading).

    Plain validators for the quantities but whole ones: what each returns is the field's value (not validated
    again as a decimal), and no ``ValidationInfo`` is made for each call (~2,900 instructions an
    item fewer than ``field_validator``s of the four fields before them; bench/README.md, session 24).
    """

    #: The time as pydantic reads it; its day checked against the window and the time put in the
    #: standard library's zone as ``ActivityCreate`` reads it, for all items at once
    #: (``_inside_window``): each day checked as a value is read (``BoundedInstant``) cost ~1,070
    #: instructions an item more (callgrind, session 32), the zone's move called by pydantic ~540
    #: more (session 34).
    occurred_at: AwareDatetime
    quantity: Annotated[Decimal | None, _whole_or_exact("quantity")] = None
    denominator: Annotated[Decimal | None, _whole_or_exact("denominator")] = None
    latitude: Annotated[Decimal | None, _coordinate_decimal("latitude")] = None
    longitude: Annotated[Decimal | None, _coordinate_decimal("longitude")] = None


class _BatchItemFromJson(_ActivityFromJson):
    """A batch item read from the JSON text: an ``_ActivityFromJson`` whose coordinates are their
    text (``str`` of its decimals; ``decimal_coordinates`` makes them decimals where an item is
    compared or answered). The intake writes a batch item's coordinates as text only: each made a
    decimal by pydantic and written back by ``str`` cost ~3,900 instructions an item (callgrind,
    session 39)."""

    latitude: Annotated[str | None, _coordinate_kept_as_text("latitude")] = None  # type: ignore[assignment]
    longitude: Annotated[str | None, _coordinate_kept_as_text("longitude")] = None  # type: ignore[assignment]


#: The one way a JSON text carries a NUL character (a raw one is invalid JSON): a body holding it is
#: left to the decoded reading, whose ``ActivityWithoutNul`` refuses it at its field, so the one-pass
#: reading checks no item's text. Searched only in a body with a backslash: that ``memchr`` costs ~32
#: instructions a batch item, the escape's search ~420 (callgrind, a 500-item body of 129 kB).
_MAY_HOLD_NUL = b"\\u0000"


def valid_activity(body: bytes) -> ActivityCreate | None:
    """A single submission read from its JSON text in one pass when it is valid, else None (the body
    is then decoded and validated as before, and a refusal answered with its errors).

    Read as a batch's items are (``_ActivityFromJson``): decoding the text into a dict with orjson,
    then validating the dict with pydantic's checks of each decimal, cost ~21,500 instructions more
    a submission (callgrind, session 26). A test holds it equal to what the decoded body gives.
    """
    if b"\\" in body and _MAY_HOLD_NUL in body:
        return None
    try:
        activity = _ActivityFromJson.model_validate_json(body)
    except ValidationError:
        return None
    return activity if _inside_window([activity.__dict__]) else None


def refuse_nul(activity: ActivityCreate) -> None:
    """A decoded submission (``valid_activity`` left its body) refused with a 422 naming the field
    when a text holds NUL: PostgreSQL's text cannot store it."""
    if contains_nul(activity.__dict__):
        try:
            ActivityWithoutNul.model_validate(activity.__dict__)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


class ValidatedBatch(BatchCreate):
    """A batch whose every item validated as it was read from the JSON text (``valid_batch``): each
    item the fields an ``_ActivityFromJson`` would hold (its ``__dict__``), its coordinates as their
    text (``_BatchItemFromJson``), read into a dict by its own schema (``fields_of``). An instance
    an item, made, read through and freed, cost ~2,400 instructions an item more in all (~1,100 of
    them reading the body; callgrind, session 36)."""

    items: list[Annotated[ActivityFields, fields_of(_BatchItemFromJson)]] = Field(
        min_length=1, max_length=MAX_BATCH_ITEMS
    )


def valid_batch(body: bytes) -> ValidatedBatch | None:
    """The batch read from its JSON text in one pass when every item is valid, else None (the body
    is then decoded and its items judged one by one, each malformed one answered with its errors).

    pydantic reads and validates the text at once: decoding it into dicts, then validating those,
    cost 5% more of a batch item's instructions (bench/README.md, session 21). A test holds it equal
    to what the decoded values give.
    """
    if b"\\" in body and _MAY_HOLD_NUL in body:
        return None
    try:
        batch = ValidatedBatch.model_validate_json(body)
    except ValidationError:
        return None
    return batch if _inside_window(batch.items) else None


def _inside_window(items: list[ActivityFields]) -> bool:
    """Whether every item's time is of a year wholly inside the date window (the clock read once)
    and of an offset a time zone has, each time then in the standard library's zone of its offset
    (``in_standard_zone``: ``ActivityCreate``'s); if not, the body is left to the decoded reading,
    which checks each day and offset and names the refused."""
    first, last = years_inside_window()
    zones = standard_zones()
    # A loop over the items' own fields, not all() of a generator over their attributes: ~360
    # instructions an item fewer (callgrind, session 32). A known offset's zone looked up here, not
    # in a call (``in_standard_zone``, given the others), by the hash of pydantic's zone. Each step
    # for all items by ``map`` (C calling C) cost ~600 instructions an item more (session 37).
    for fields in items:
        sent = fields["occurred_at"]
        if not first <= sent.year <= last:
            return False
        zone = zones.get(hash(sent.tzinfo))
        if zone is not None:
            fields["occurred_at"] = _combine(sent, sent.time(), zone)
            continue
        try:
            fields["occurred_at"] = in_standard_zone(sent)
        except PydanticCustomError:  # an offset no time zone has
            return False
    return True


_combine = datetime.combine


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

    _refuse_nul = field_validator("note")(without_nul)  # PostgreSQL's text: no NUL


class RejectionCreate(BaseModel):
    """A rater rejects an activity; the note tells the employee what to correct."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=3, max_length=2000)

    _refuse_nul = field_validator("note")(without_nul)
