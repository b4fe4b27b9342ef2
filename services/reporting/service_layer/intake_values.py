"""An accepted activity's values, as the live feed shows it and as a single submission answers it.

The intake writes the feed's copy as JSON for every accepted item (``feed_json``) and cuts the
activity's event from it (``intake_store.reported_event``); the whole values only where an answer
reads them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from services.reporting.adapters.intake_store import REPORTED_FIELDS, REPORTED_FIELDS_END, ROW_OWN_COLUMNS
from services.reporting.domain.activity import ActivityStatus
from services.reporting.service_layer.schemas import ActivityFields, ActivityRead
from shared.region_time import utc_offset_minutes

#: Read once: an enum member's ``value`` is a descriptor call through Python each time.
SUBMITTED = ActivityStatus.SUBMITTED.value


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


#: An activity's event is cut from its JSON as the feed shows it (``reported_event``): the fields
#: before ``latitude`` must be the event's.
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

#: An item's own fields of the feed's copy (``feed_own``), in ``ActivityRead``'s order: they follow
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
    region's zone), or that as its JSON text (the intake's, written once a group)."""
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
    payload.update(feed_own(sent))
    return payload


def feed_own(sent: dict[str, Any]) -> dict[str, Any]:
    """An item's own fields of the feed's copy (``OWN_FIELDS``), from the validated item's own
    (``sent``). Its numbers are text already: orjson's ``default`` callback, called for each
    ``Decimal`` when the notice is encoded, cost more than ``str`` here; the activity's row takes
    them from here too (``intake_store.activity_row``), each number written as text once."""
    own = _NO_OWN_VALUES.copy()
    own["occurred_at"] = sent["occurred_at"]
    if (quantity := sent["quantity"]) is not None:
        own["quantity"] = str(quantity)
    if (denominator := sent["denominator"]) is not None:
        own["denominator"] = str(denominator)
    own["description"] = sent["description"]
    own["obstacles"] = sent["obstacles"]
    if (latitude := sent["latitude"]) is not None:
        own["latitude"] = str(latitude)
    if (longitude := sent["longitude"]) is not None:
        own["longitude"] = str(longitude)
    return own


def shown_around(head: dict[str, Any]) -> tuple[bytes, bytes]:
    """The feed's JSON of ``head``'s items (``feed_json``) around each one's activity id and own
    fields: from the end of the id to the own fields, and after them; written once a head."""
    between = orjson.dumps({name: head[name] for name in _SHOWN_FIELDS[1:_FIRST_OWN]})
    after = orjson.dumps({name: head[name] for name in _SHOWN_FIELDS[_AFTER_OWN:]})
    return b'",' + between[1:-1] + b",", b"," + after[1:]


def feed_json(activity_id: str, own_json: bytes, around: tuple[bytes, bytes]) -> bytes:
    """``orjson.dumps(feed_payload(sent, head))``, joined from the item's activity id, its own
    fields' JSON (``orjson.dumps(feed_own(sent))``) and its head's ``shown_around``: orjson writing
    every item's nineteen fields cost ~4,000 instructions an item more (callgrind, session 35). An
    activity id is its JSON's text (its pattern: letters, digits, ``_`` and ``-``)."""
    between, after = around
    return b"".join((b'{"activity_id":"', activity_id.encode(), between, own_json[1:-1], after))
