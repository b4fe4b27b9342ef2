"""What reporting's use cases take and return; the HTTP API's bodies are these models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from services.reporting.adapters.live_feed import FEED_EVENT_ID
from shared.dates import BoundedInstant
from shared.field_dicts import FieldValues
from shared.region_time import DeviceTime
from shared.validation import without_nul

ActivityStatusName = Literal["submitted", "verified", "rejected"]

#: The most items one offline sync may send; a phone with more sends several batches.
MAX_BATCH_ITEMS = 500

_CLIENT_ID = r"^[A-Za-z0-9_-]{8,64}$"
#: The places the database keeps of a quantity or a denominator.
QUANTITY_PLACES = Decimal("0.0001")
#: A quantity's column's zero: a quantity plus it is the quantity as the database keeps and gives
#: it back (``as_stored``): with four places (a sum has the places of its term with more; a valid
#: quantity has no more) and a zero without a sign.
QUANTITY_ZERO = Decimal("0.0000")
#: The counts an activity usually reports as decimals, made once (~100 kB a process): the JSON
#: reading gives these very objects (``entrypoints.schemas``), the feed looks their text up
#: (``intake_values``).
SMALL_COUNTS = tuple(Decimal(n) for n in range(1024))
_WHOLE = Decimal(1)


def plain_quantity(quantity: Decimal | None) -> Decimal | None:
    """The quantity as sent, but never written with an exponent: the text ``"1e3"`` made
    ``Decimal('1E+3')``, which the live feed, the event and the stored row's text showed as
    ``1E+3``; it is ``1000``. A zero of more than six places (``"0.0000000"``, written ``0E-7``)
    keeps the four places the database stores. Any other keeps its digits (``1.50`` stays ``1.50``).
    """
    if quantity is None or "E" not in str(quantity):
        return quantity
    # Written with an exponent below zero, only a zero passes the field's places (four at most).
    return quantity.quantize(QUANTITY_PLACES if quantity.adjusted() < 0 else _WHOLE)


#: A quantity or a denominator: a decimal never written with an exponent (``plain_quantity``).
Quantity = Annotated[Decimal | None, AfterValidator(plain_quantity)]


def _quantity_field(description: str) -> Decimal | None:
    # Range rules (negative, absurd, ratio) live in the domain, which names the reason in both languages.
    return Field(default=None, max_digits=18, decimal_places=4, allow_inf_nan=False, description=description)


class ActivityCreate(BaseModel):
    """An activity report (laporan kegiatan) from a field app."""

    model_config = ConfigDict(extra="forbid")

    activity_id: str = Field(
        pattern=_CLIENT_ID,
        description="Client-generated id (a time-ordered UUIDv7 recommended): a retry never duplicates.",
    )
    indicator_id: str = Field(max_length=64, description="An indicator (IKI) of your approved plan (SKP).")
    occurred_at: BoundedInstant = Field(
        description="When it happened, with the device's UTC offset (kept, and shown again as sent)."
    )
    quantity: Quantity = _quantity_field("What it contributes to the indicator (omit if qualitative).")
    denominator: Quantity = _quantity_field("For ratio indicators: the base count.")
    description: str = Field(
        min_length=3, max_length=4000, description="What was done (or a qualitative note)."
    )
    obstacles: str | None = Field(default=None, max_length=4000, description="Kendala met.")
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)


#: An ``ActivityCreate``'s fields by name, as validated: its ``__dict__`` (all scalars), or the same
#: read into a dict without an instance (``entrypoints.schemas.ValidatedBatch``'s items). What the
#: intake reads of an item.
ActivityFields = FieldValues


class ActivityWithoutNul(ActivityCreate):
    """An ``ActivityCreate`` whose texts refuse NUL (PostgreSQL's text cannot hold one): a 422 or a
    batch item's rejection naming the field, not the database's error for the whole group.

    Only for a body whose JSON text holds ``\\u0000`` (the one way JSON carries a NUL) or that was
    decoded: the one-pass reading leaves such a body to the decoded one, so no item pays this check.
    """

    _refuse_nul = field_validator("indicator_id", "description", "obstacles")(without_nul)


class ActivityCorrection(BaseModel):
    """The employee's correction of a rejected activity; it then awaits verification again."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: BoundedInstant
    quantity: Quantity = _quantity_field("Corrected contribution.")
    denominator: Quantity = _quantity_field("For ratio indicators: the base count.")
    description: str = Field(min_length=3, max_length=4000)
    obstacles: str | None = Field(default=None, max_length=4000)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)

    _refuse_nul = field_validator("description", "obstacles")(without_nul)  # PostgreSQL's text: no NUL


class ActivityRead(BaseModel):
    """An activity as stored."""

    activity_id: str
    region_id: str
    employee_id: str
    plan_id: str
    result_id: str
    indicator_id: str
    occurred_at: DeviceTime
    quantity: Decimal | None
    denominator: Decimal | None
    description: str
    obstacles: str | None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    status: ActivityStatusName
    review_note: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    submitted_at: datetime | None = None
    revision: int = 1

    @field_validator("quantity", "denominator")
    @classmethod
    def _as_stored(cls, value: Decimal | None) -> Decimal | None:
        return as_stored(value)


def as_stored(quantity: Decimal | None) -> Decimal | None:
    """A quantity as the database keeps it and gives it back: with four places, a zero without a
    sign. A new activity, its retry, its notice and its reading back show the same text. An
    addition, not ``quantize``: no arguments to parse (``intake_values._CountTexts``)."""
    return None if quantity is None else quantity + QUANTITY_ZERO


class EvidenceRead(BaseModel):
    """An evidence file (bukti dukung) attached to an activity."""

    activity_id: str
    sha256: str = Field(description="SHA-256 of the content: the same file has the same hash everywhere.")
    content_type: str
    size_bytes: int
    filename: str | None
    uploaded_at: datetime


class ActivityDetail(ActivityRead):
    """An activity with its evidence."""

    evidence: list[EvidenceRead] = Field(default_factory=list)


class ActivityPage(BaseModel):
    """One page of history, newest first; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[ActivityRead]
    next_cursor: str | None
    feed_position: str | None = Field(
        default=None,
        pattern=FEED_EVENT_ID,
        description=(
            "On a rater's first page (no cursor): where their team's live feed (GET /v1/feed) stood "
            "just before this page was read, as one of its event ids. Sent as Last-Event-ID, the feed "
            "brings every activity reported or decided after the page; one reported while the page "
            "was read may come in both, with the same content. Null for others, on later pages, and "
            "while the feed cannot be read."
        ),
    )


class BatchItemOutcome(BaseModel):
    """What happened to one item of a batch."""

    index: int
    activity_id: str | None = Field(description="The item's id; for a duplicate, the original activity's id.")
    outcome: Literal["accepted", "duplicate", "rejected"]
    status: ActivityStatusName | None = Field(
        default=None, description="For accepted and duplicate items: the activity's current status."
    )
    error: dict[str, object] | None = None


class FieldVisitCreate(BaseModel):
    """A field visit (kunjungan lapangan) by a rater: who, where, when, findings, follow-up."""

    model_config = ConfigDict(extra="forbid")

    visit_id: str = Field(pattern=_CLIENT_ID, description="Client-generated id: a retry never duplicates.")
    employee_ids: list[str] = Field(min_length=1, max_length=50, description="Team members visited.")
    location: str = Field(min_length=3, max_length=500, description="e.g. 'SDN 3 Gerunggang'.")
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)
    visited_at: BoundedInstant
    findings: str = Field(min_length=3, max_length=8000, description="Temuan.")
    follow_up: str | None = Field(default=None, max_length=4000, description="Tindak lanjut.")

    _refuse_nul = field_validator("employee_ids", "location", "findings", "follow_up")(without_nul)


class FieldVisitRead(BaseModel):
    """A field visit as logged."""

    visit_id: str
    region_id: str
    supervisor_id: str
    employee_ids: list[str]
    location: str
    latitude: Decimal | None
    longitude: Decimal | None
    visited_at: DeviceTime
    findings: str
    follow_up: str | None
    logged_at: datetime | None = None


class FieldVisitPage(BaseModel):
    """One page of field visits, newest first."""

    items: list[FieldVisitRead]
    next_cursor: str | None
