"""An accepted activity's values, and an activity's JSON as the API answers it: the live feed's
notice of a new activity and the API's answers are written by the rules here (``own_as_answered``,
``ANSWER_JSON``), so a supervisor's open feed and the page reloaded from the API show it alike.

The intake writes the feed's copy as JSON for every accepted item (``feed_json``) and cuts the
activity's event from it (``intake_store.IntakeTransaction.emitter``); the whole values only where
an answer reads them. The answers' writer is ``activities.activity_json``; pydantic's JSON of ``ActivityRead``
(the API's reads) is what both are held equal to, byte for byte, by unit tests.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from services.reporting.adapters.intake_store import REPORTED_FIELDS, REPORTED_FIELDS_END, ROW_OWN_COLUMNS
from services.reporting.domain.activity import ActivityStatus
from services.reporting.service_layer.schemas import (
    QUANTITY_ZERO,
    SMALL_COUNTS,
    ActivityFields,
    ActivityRead,
)
from shared.region_time import utc_offset_minutes

#: Read once: an enum member's ``value`` is a descriptor call through Python each time.
SUBMITTED = ActivityStatus.SUBMITTED.value

#: orjson's options for an activity as the API answers it: a UTC time with ``Z``, as pydantic
#: writes ``ActivityRead``'s (a device's time sent at +00:00, a region kept in UTC).
ANSWER_JSON = orjson.OPT_UTC_Z


def time_text(moment: datetime) -> str:
    """A time's JSON text (without its quotes) as the API answers it."""
    return orjson.dumps(moment, option=ANSWER_JSON)[1:-1].decode()


def row_values(
    sent: ActivityFields,
    *,
    region_id: str,
    employee_id: str,
    indicator: Any,
    now: datetime,
    offset_minutes: int | None = None,
) -> dict[str, Any]:
    """An accepted activity's values: the feed's copy (``feed_payload``, ``ActivityRead``'s fields in
    its order) with its numbers as validated, not as text, and the submission time in UTC; then the
    device's offset. Built only where read: a single submission's answer (a batch answers statuses).
    ``sent``: the item's validated fields (``ActivityFields``, all scalars: no ``model_dump``)."""
    head = feed_head(
        sent, region_id=region_id, employee_id=employee_id, indicator=indicator, submitted_at=now
    )
    values = feed_payload(sent, head)
    values.update(
        quantity=sent["quantity"],
        denominator=sent["denominator"],
        latitude=sent["latitude"],
        longitude=sent["longitude"],
        occurred_utc_offset=(
            utc_offset_minutes(sent["occurred_at"]) if offset_minutes is None else offset_minutes
        ),
    )
    return values


#: An activity's event is cut from its JSON as the feed shows it (``IntakeTransaction.emitter``):
#: the fields before ``latitude`` must be the event's.
_SHOWN_FIELDS = list(ActivityRead.model_fields)
_FIRST_NOT_REPORTED = _SHOWN_FIELDS[len(REPORTED_FIELDS)]
# Raised, not asserted: ``python -O`` drops asserts, and a wrong order would cut wrong events.
if set(_SHOWN_FIELDS[: len(REPORTED_FIELDS)]) != set(REPORTED_FIELDS) or (
    b',"%s":' % _FIRST_NOT_REPORTED.encode() != REPORTED_FIELDS_END
):
    raise RuntimeError("ActivityRead's fields must start with ActivityReported's, then latitude")


#: The feed's copy of a new activity before its own values: ``ActivityRead``'s fields in its order,
#: those no new activity has (its review) empty.
_NEW_ACTIVITY_SHOWN = dict.fromkeys(_SHOWN_FIELDS) | {"status": SUBMITTED, "revision": 1}

#: An activity's own fields (``own_as_answered``), in ``ActivityRead``'s order: they follow
#: the activity id and its head's fields there, and end the activity's row.
OWN_FIELDS = ("occurred_at", "quantity", "denominator", "description", "obstacles", "latitude", "longitude")
_FIRST_OWN = _SHOWN_FIELDS.index(OWN_FIELDS[0])
_AFTER_OWN = _FIRST_OWN + len(OWN_FIELDS)
if (
    _SHOWN_FIELDS[0] != "activity_id"
    or tuple(_SHOWN_FIELDS[_FIRST_OWN:_AFTER_OWN]) != OWN_FIELDS
    or ROW_OWN_COLUMNS != OWN_FIELDS
):
    raise RuntimeError("ActivityRead's and the row's own fields must be OWN_FIELDS, in order")
_NO_OWN_VALUES = dict.fromkeys(OWN_FIELDS)


def feed_head(
    sent: dict[str, Any], *, region_id: str, employee_id: str, indicator: Any, submitted_at: datetime | str
) -> dict[str, Any]:
    """The fields of the feed's copy (``feed_payload``) that a group's items of the same indicator
    as ``sent`` share: its region, employee, plan, result, indicator and submission time, in a copy
    of ``_NEW_ACTIVITY_SHOWN``. ``submitted_at``: the submission time as answers show it (in the
    region's zone), or that as its JSON text (``time_text``: the intake's, written once a group)."""
    head = _NEW_ACTIVITY_SHOWN.copy()
    head["region_id"] = region_id
    head["employee_id"] = employee_id
    head["plan_id"] = indicator["plan_id"]
    head["result_id"] = indicator["result_id"]
    head["indicator_id"] = sent["indicator_id"]
    head["submitted_at"] = submitted_at
    return head


def feed_payload(sent: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """The new activity as the live feed shows it: ``ActivityRead``'s fields in its order (the
    device's offset is stored, not shown); ``head``: the fields it shares with the group's other
    items of its indicator (``feed_head``); ``sent``: the validated item's own fields (its
    ``__dict__``, all scalars: no ``model_dump``).

    Built where an answer reads the values (``row_values``); the intake writes it as JSON from its
    parts (``feed_json``). A copy of the head given the item's own values: a dict of all nineteen
    fields made anew inserted each, ~4,500 instructions an item more; the head's six set on each
    copy, ~1,900 more (callgrind, sessions 30 and 31).
    """
    payload = head.copy()
    payload["activity_id"] = sent["activity_id"]
    payload.update(own_as_answered(sent))
    return payload


class _CountTexts(dict[Decimal, str]):
    """The text of a quantity or a denominator as the API answers it (``as_stored``'s): the small
    counts' made once, looked up by the decimal the JSON reading gives (the same object, found
    without comparing; an equal one, ``12.0``, is compared; a zero of either sign is the database's
    zero) where ``str`` of it was called anyway; any other made when asked, not kept."""

    def __missing__(self, number: Decimal) -> str:
        return str(number + QUANTITY_ZERO)


_COUNT_TEXT = _CountTexts({count: str(count + QUANTITY_ZERO) for count in SMALL_COUNTS})


def own_as_answered(sent: dict[str, Any]) -> dict[str, Any]:
    """An activity's own fields (``OWN_FIELDS``) as the API answers them, from the validated item's
    own (``sent``) or an answer's fields: a quantity or a denominator as text as the database gives
    it back (``schemas.as_stored``: ``"1.5"`` is ``"1.5000"``), so the live feed's notice and a
    reading of the activity show the same text. A coordinate as sent, as a submission's answer and
    ``ActivityRead`` show it (read back, it has the column's six places: padding it here cost a
    batch item ~1,500 instructions, callgrind, session 36). Text already: orjson's
    ``default`` callback, called for each ``Decimal`` when the notice is encoded, cost more than
    ``str`` here; the activity's row takes them from here too (``intake_store.activity_row``), each
    number written as text once. A batch item's coordinates are their text already (``str`` of the
    decimal: ``decimal_coordinates``), which ``str`` gives back as it is."""
    own = _NO_OWN_VALUES.copy()
    own["occurred_at"] = sent["occurred_at"]
    if (quantity := sent["quantity"]) is not None:
        own["quantity"] = _COUNT_TEXT[quantity]
    if (denominator := sent["denominator"]) is not None:
        own["denominator"] = _COUNT_TEXT[denominator]
    own["description"] = sent["description"]
    own["obstacles"] = sent["obstacles"]
    if (latitude := sent["latitude"]) is not None:
        own["latitude"] = str(latitude)
    if (longitude := sent["longitude"]) is not None:
        own["longitude"] = str(longitude)
    return own


def decimal_coordinates(sent: ActivityFields) -> ActivityFields:
    """``sent`` with its coordinates as decimals, as ``ActivityCreate`` holds them, where an item is
    compared with another or answered whole (a resend, a single submission answered with a batch's
    values): a batch item read from its JSON text holds their text, ``str`` of the decimal, which
    is all the intake writes of an accepted one (``entrypoints.schemas._BatchItemFromJson``)."""
    latitude, longitude = sent["latitude"], sent["longitude"]
    if type(latitude) is not str and type(longitude) is not str:
        return sent
    return sent | {"latitude": _decimal_of(latitude), "longitude": _decimal_of(longitude)}


def _decimal_of(coordinate: Decimal | str | None) -> Decimal | None:
    return Decimal(coordinate) if isinstance(coordinate, str) else coordinate


def shown_around(head: dict[str, Any]) -> tuple[bytes, bytes]:
    """The feed's JSON of ``head``'s items (``feed_json``) around each one's activity id and own
    fields: from the end of the id to the own fields, and after them; written once a head."""
    between = orjson.dumps({name: head[name] for name in _SHOWN_FIELDS[1:_FIRST_OWN]}, option=ANSWER_JSON)
    after = orjson.dumps({name: head[name] for name in _SHOWN_FIELDS[_AFTER_OWN:]}, option=ANSWER_JSON)
    return b'",' + between[1:-1] + b",", b"," + after[1:]


def feed_json(activity_id: str, own: dict[str, Any], around: tuple[bytes, bytes]) -> bytes:
    """``orjson.dumps(feed_payload(sent, head), option=ANSWER_JSON)``, joined from the item's
    activity id, its own fields' JSON (``own``: ``own_as_answered(sent)``) and its head's
    ``shown_around``: orjson writing every item's nineteen fields cost ~4,000 instructions an item
    more (callgrind, session 35). An activity id is its JSON's text (its pattern: letters, digits,
    ``_`` and ``-``)."""
    between, after = around
    own_json = orjson.dumps(own, None, ANSWER_JSON)  # positional: ~110 instructions fewer
    return b"".join((b'{"activity_id":"', activity_id.encode(), between, own_json[1:-1], after))
