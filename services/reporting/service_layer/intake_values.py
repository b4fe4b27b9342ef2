"""An accepted activity's values, as the live feed shows it and as a single submission answers it.

The intake builds the feed's copy for every accepted item and cuts the activity's event from its
JSON (``intake_store.reported_event``); the whole values only where an answer reads them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.reporting.adapters.intake_store import REPORTED_FIELDS, REPORTED_FIELDS_END
from services.reporting.domain.activity import ActivityStatus
from services.reporting.service_layer.schemas import ActivityCreate, ActivityRead
from shared.region_time import utc_offset_minutes

#: Read once: an enum member's ``value`` is a descriptor call through Python each time.
SUBMITTED = ActivityStatus.SUBMITTED.value


def row_values(
    activity_in: ActivityCreate,
    *,
    region_id: str,
    employee_id: str,
    indicator: Any,
    now: datetime,
    offset_minutes: int | None = None,
) -> dict[str, Any]:
    """An accepted activity's values: the feed's copy (``feed_payload``, ``ActivityRead``'s fields in
    its order) with its numbers as validated, not as text, and the submission time in UTC; then the
    device's offset. Built only where read: a single submission's answer (a batch answers statuses)."""
    sent = activity_in.__dict__  # the validated model's own fields (all scalars): no model_dump
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

    Built from the validated item for every accepted item; a batch's items need no values of their
    own (``row_values`` builds them from this where an answer reads them). Its numbers are text
    already: orjson's ``default`` callback, called for each ``Decimal`` when the notice is encoded,
    cost more than ``str`` here; the activity's event and its row take them from here too
    (``IntakeTransaction.emit``), each number written as text once.

    A copy of the head given the item's own values, its empty ones left as they are: a dict of all
    nineteen fields made anew inserted each, ~4,500 instructions an item more; the head's six set
    on each copy, ~1,900 more (callgrind, sessions 30 and 31).
    """
    payload = head.copy()
    payload["activity_id"] = sent["activity_id"]
    payload["occurred_at"] = sent["occurred_at"]
    if (quantity := sent["quantity"]) is not None:
        payload["quantity"] = str(quantity)
    if (denominator := sent["denominator"]) is not None:
        payload["denominator"] = str(denominator)
    payload["description"] = sent["description"]
    if (obstacles := sent["obstacles"]) is not None:
        payload["obstacles"] = obstacles
    if (latitude := sent["latitude"]) is not None:
        payload["latitude"] = str(latitude)
    if (longitude := sent["longitude"]) is not None:
        payload["longitude"] = str(longitude)
    return payload
