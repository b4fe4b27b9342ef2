"""Resending a client-generated id: the same content is a retry, other content a conflict.

Field apps generate ids so that a retry after a lost answer never duplicates. An id sent again with
other content is not a retry (a reused id, or an edit sent as a new report): answering the stored
original would silently drop what the client sent, so it is refused naming the fields that differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from shared.refusals import Refusal, RefusalKind

#: What the field app decides about an activity; a resend of its id must carry the same.
ACTIVITY_CONTENT = (
    "indicator_id",
    "occurred_at",
    "quantity",
    "denominator",
    "description",
    "obstacles",
    "latitude",
    "longitude",
)

#: What the rater's app decides about a field visit.
VISIT_CONTENT = (
    "employee_ids",
    "location",
    "latitude",
    "longitude",
    "visited_at",
    "findings",
    "follow_up",
)


def differing_fields(sent: Mapping[str, Any], stored: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    """The fields whose values differ; numbers and instants compare by value (12 == 12.0000)."""
    return [name for name in fields if sent.get(name) != stored.get(name)]


def changed_resend(thing: Literal["activity", "visit"], differing: Sequence[str]) -> Refusal:
    """The refusal (409) of an id sent again with other content, naming the fields that differ."""
    params = {"differing": ", ".join(differing)}
    if thing == "activity":
        return Refusal(
            "activity_changed",
            "This activity id was already sent with other content (differs in: %(differing)s); "
            "a new activity needs a new id.",
            field=differing[0],
            kind=RefusalKind.CONFLICT,
            params=params,
        )
    return Refusal(
        "visit_changed",
        "This visit id was already sent with other content (differs in: %(differing)s); "
        "a new visit needs a new id.",
        field=differing[0],
        kind=RefusalKind.CONFLICT,
        params=params,
    )
