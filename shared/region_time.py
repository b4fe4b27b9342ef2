"""How every answer shows an instant: the platform's own times in the region's zone, a device's as sent.

A time the platform computed (submitted, decided, logged, ...) is shown in the time zone of the
region it belongs to, so a user in Wanggar (WIT) reads +09:00 wherever it came from. A time a device
sent (an activity's, a visit's) keeps the UTC offset it was sent with: the reporter's own clock. The
database keeps instants (``timestamptz``) and forgets offsets, so a device's offset is stored beside
its instant, in minutes east of UTC, and put back with :func:`as_sent`.

Answer models mark their device times with :data:`DeviceTime`; :func:`shown_in` then moves every
other aware datetime of the answer (nested models and lists included) into the region's zone.
:func:`region_now` is the platform's one clock of "now in a region" (its year, its period, the
moment a form offers).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import Enum
from types import NoneType
from typing import Annotated, Any, Literal, TypeVar, cast, get_args, get_origin, overload
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic.fields import FieldInfo

#: The platform's zone (WIB) for a region whose own zone the service has not been told yet.
DEFAULT_TIMEZONE = "Asia/Jakarta"


def region_now(timezone: str | None) -> datetime:
    """Now in the region's zone; WIB, the zone the pages show times in, for a person without one."""
    return datetime.now(ZoneInfo(timezone or DEFAULT_TIMEZONE))


class _SentByDevice:
    """Marks a field holding a time as a device sent it: :func:`shown_in` leaves it alone."""

    def __repr__(self) -> str:
        return "DeviceTime"


_SENT_BY_DEVICE = _SentByDevice()

#: A time a device sent, shown again with the offset it was sent with (never moved to a zone).
DeviceTime = Annotated[datetime, _SENT_BY_DEVICE]

_Answer = TypeVar("_Answer", bound=BaseModel)


def utc_offset_minutes(sent: datetime) -> int:
    """The offset an aware datetime was sent with, in minutes east of UTC."""
    offset = sent.utcoffset()
    if offset is None:
        raise ValueError("a device's time carries its UTC offset")
    return int(offset.total_seconds() // 60)


@overload
def as_sent(instant: datetime, offset_minutes: int | None) -> datetime: ...
@overload
def as_sent(instant: None, offset_minutes: int | None) -> None: ...
def as_sent(instant: datetime | None, offset_minutes: int | None) -> datetime | None:
    """The stored instant with the offset the device sent (unchanged when none was kept)."""
    if instant is None or offset_minutes is None:
        return instant
    return instant.astimezone(device_zone(offset_minutes))


@functools.cache
def device_zone(offset_minutes: int) -> timezone:
    """A device's offset as a zone, made once per offset: a ``timedelta`` built from keywords cost
    a single submission's answer a tenth of its instructions (bench/README.md, session 15)."""
    return timezone(timedelta(minutes=offset_minutes))


@overload
def in_zone(instant: datetime, zone: tzinfo) -> datetime: ...
@overload
def in_zone(instant: None, zone: tzinfo) -> None: ...
def in_zone(instant: datetime | None, zone: tzinfo) -> datetime | None:
    """A time the platform computed, in the region's zone (a naive or missing one unchanged)."""
    if instant is None or instant.tzinfo is None:
        return instant
    return instant.astimezone(zone)


@overload
def shown_in(answer: _Answer, zone: tzinfo) -> _Answer: ...
@overload
def shown_in(answer: list[_Answer], zone: tzinfo) -> list[_Answer]: ...
def shown_in(answer: _Answer | list[_Answer], zone: tzinfo) -> _Answer | list[_Answer]:
    """The answer with every time the platform computed in ``zone``; device times stay as sent."""
    return cast("_Answer | list[_Answer]", _shown(answer, zone))


def _shown(value: Any, zone: tzinfo) -> Any:
    if isinstance(value, datetime):
        return in_zone(value, zone)
    if isinstance(value, BaseModel):
        return _model_shown(value, zone)
    if isinstance(value, list):
        items = [_shown(item, zone) for item in value]
        return items if any(new is not old for new, old in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        shown = {key: _shown(item, zone) for key, item in value.items()}
        return shown if any(shown[key] is not value[key] for key in value) else value
    return value


def _model_shown(model: BaseModel, zone: tzinfo) -> BaseModel:
    updates = {}
    for name in _zoned_fields(type(model)):
        current = getattr(model, name)
        shown = _shown(current, zone)
        if shown is not current:
            updates[name] = shown
    return model.model_copy(update=updates) if updates else model


_ZONED_FIELDS: dict[type[BaseModel], Sequence[str]] = {}

#: Values of these types are no datetime and hold none (``date`` is not among them: datetime is one).
_TIMELESS_TYPES: tuple[type, ...] = (str, bytes, bool, int, float, Decimal, UUID, Enum, NoneType)


def _zoned_fields(model_class: type[BaseModel]) -> Sequence[str]:
    """The fields of a model that may hold a platform time: not a device's, and of a type that can.

    Decided once per model class: a field of plain values (a unit dashboard's 400 ranking entries)
    is never walked.
    """
    known = _ZONED_FIELDS.get(model_class)
    if known is None:
        known = _ZONED_FIELDS[model_class] = tuple(
            name for name, info in model_class.model_fields.items() if _field_may_hold_time(info, set())
        )
    return known


def _field_may_hold_time(info: FieldInfo, models_seen: set[type[BaseModel]]) -> bool:
    is_device_time = _SENT_BY_DEVICE in info.metadata or _names_device_time(info.annotation)
    return not is_device_time and _may_hold_time(info.annotation, models_seen)


def _may_hold_time(annotation: Any, models_seen: set[type[BaseModel]]) -> bool:
    """Whether a value of this type may be or contain a datetime ``_shown`` would move.

    Anything not known to be timeless may (``Any``, ``date``, whose subclass datetime is, a type
    this does not know). A model already being looked at on the way here adds nothing: whatever
    else it holds is looked at where it was met first.
    """
    origin = get_origin(annotation)
    if origin is Annotated:
        return _may_hold_time(get_args(annotation)[0], models_seen)
    if origin is Literal:
        return False
    if origin is not None:  # list[X], dict[K, V], X | None, ...: whatever its arguments may hold
        arguments = get_args(annotation)
        return not arguments or any(_may_hold_time(argument, models_seen) for argument in arguments)
    if annotation is None or annotation is Ellipsis:
        return False
    if not isinstance(annotation, type):
        return True
    if issubclass(annotation, BaseModel):
        if annotation in models_seen:
            return False
        models_seen.add(annotation)
        return any(_field_may_hold_time(info, models_seen) for info in annotation.model_fields.values())
    return not issubclass(annotation, _TIMELESS_TYPES)


def _names_device_time(annotation: Any) -> bool:
    # ``DeviceTime | None`` keeps the marker inside the union's Annotated member.
    for member in get_args(annotation):
        if get_origin(member) is Annotated and _SENT_BY_DEVICE in get_args(member)[1:]:
            return True
    return False
