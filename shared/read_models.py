"""The one rule every service applies to the dated facts it keeps from planning's events.

Planning publishes an employee's assignment (unit, supervisor, position) effective from a date, and
may publish a move dated in the future. A service keeps every dated fact it receives, one per
``effective_from`` (a history, not a single row), and reads what holds on a day:

* Between two facts of the same subject and date, the later event wins: ordered by the event's
  stamp (the envelope's ``occurred_at``, then its ``event_id``), so a late or repeated delivery
  never overwrites a newer fact and a redelivery changes nothing.
* What holds on day D is the fact with the latest ``effective_from`` on or before D, D being a day
  of the region's calendar (today in the region's zone, by default): a move dated next year takes
  effect next year, not when it is announced. A subject none of whose facts holds yet (someone who
  starts later) is shown with their first fact, as planning shows them.

:class:`FactOrder`, :func:`holding_on` and :func:`holding_or_first` are the rule in Python (pure);
:func:`stored_if_newer`, :func:`holding_on_day` and :func:`one_holding_on_day` are the same rule in
SQL, for read models kept in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    DateTime,
    Select,
    String,
    Table,
    case,
    cast,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import Subquery

from shared.contracts import EnvelopeHead
from shared.region_time import DEFAULT_TIMEZONE

_Fact = TypeVar("_Fact")
_Row = TypeVar("_Row", bound=Any)

#: What a fact without a date (a unit's name) counts as: in force since always, ordered by stamp.
SINCE_ALWAYS = date(1, 1, 1)


@dataclass(frozen=True, order=True, slots=True)
class FactOrder:
    """Where a fact stands among its subject's facts: a greater one wins."""

    effective_from: date
    stamp_at: datetime
    stamp_id: str

    @classmethod
    def of(cls, envelope: EnvelopeHead, effective_from: date = SINCE_ALWAYS) -> FactOrder:
        """The order of the fact an envelope carries."""
        return cls(effective_from, envelope.occurred_at, str(envelope.event_id))


def holding_on(facts: Iterable[_Fact], day: date, order: Callable[[_Fact], FactOrder]) -> _Fact | None:
    """The fact that holds on ``day``: the greatest in order among those effective by then."""
    effective = [fact for fact in facts if order(fact).effective_from <= day]
    return max(effective, key=order, default=None)


def holding_or_first(facts: Sequence[_Fact], day: date, order: Callable[[_Fact], FactOrder]) -> _Fact | None:
    """The fact holding on ``day``, or the first when none holds yet (someone who starts later shows
    their first assignment, as planning shows them)."""
    return holding_on(facts, day, order) or min(facts, key=order, default=None)


def stamp_columns() -> list[Column[Any]]:
    """The columns a read model keeps each fact's stamp in (beside ``effective_from``)."""
    return [
        Column("stamp_at", DateTime(timezone=True), nullable=False),
        Column("stamp_id", String(64), nullable=False),
    ]


def stamp_values(envelope: EnvelopeHead) -> dict[str, Any]:
    """The stamp columns' values for the fact an envelope carries."""
    return {"stamp_at": envelope.occurred_at, "stamp_id": str(envelope.event_id)}


def stored_if_newer(table: Table, excluded: Any, *, stamp_id: str = "stamp_id") -> ColumnElement[bool]:
    """An upsert's condition: replace a stored fact of the same subject and date only by a newer event
    (``stamp_id``: the column holding the event's id, where a table names it otherwise)."""
    return tuple_(table.c.stamp_at, table.c[stamp_id]) <= tuple_(excluded.stamp_at, excluded[stamp_id])


def today_in_zone(timezone: ColumnElement[str] | None) -> ColumnElement[date]:
    """Today's date in a zone given by a SQL expression (the platform's zone when it is NULL)."""
    zone = func.coalesce(timezone, DEFAULT_TIMEZONE) if timezone is not None else DEFAULT_TIMEZONE
    return cast(func.timezone(zone, func.now()), Date)


def region_today(regions: Table, region_id: ColumnElement[str]) -> ColumnElement[date]:
    """Today in the zone of a region (from the service's regions read model)."""
    zone = select(regions.c.timezone).where(regions.c.region_id == region_id).scalar_subquery()
    return today_in_zone(zone)


def _holding_first(history: Table, day: ColumnElement[date] | date) -> list[ColumnElement[Any]]:
    # The fact holding on the day first, then (none holding yet) the subject's first fact.
    effective = history.c.effective_from <= day
    return [
        effective.desc(),
        case((effective, history.c.effective_from)).desc().nulls_last(),
        history.c.effective_from,
    ]


def holding_on_day(history: Table, subject: Sequence[str], day: ColumnElement[date] | date) -> Subquery:
    """The history's fact holding on ``day``, one per subject (e.g. region and employee).

    The rule of :func:`holding_or_first`; the stored facts are already one per date (the newest
    event's, by :func:`stored_if_newer`).
    """
    keys = [history.c[name] for name in subject]
    return select(history).order_by(*keys, *_holding_first(history, day)).ext(distinct_on(*keys)).subquery()


def one_holding_on_day(query: Select[_Row], history: Table, day: ColumnElement[date] | date) -> Select[_Row]:
    """A query of one subject's facts narrowed to the one :func:`holding_on_day` would choose."""
    return query.order_by(*_holding_first(history, day)).limit(1)
