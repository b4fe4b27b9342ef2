"""What makes a service: its parts, its settings, tables, routes and event handlers, its replay's store.

``shared.runtime`` runs a definition; ``kinerja.replay`` rebuilds its views from the topics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.context import ServiceContext
from shared.contracts import Event
from shared.db import ServiceTables
from shared.messaging.consumer import Handler
from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from fastapi import APIRouter


class Component(StrEnum):
    """The parts of a service process; in production each runs (and scales) on its own."""

    API = "api"
    CONSUMER = "consumer"
    RELAY = "relay"


#: What a process runs unless told otherwise (compose and `make up`).
ALL_COMPONENTS = frozenset(Component)


#: Background loops a service runs beside its API (e.g. the complaint deadline scheduler).
BackgroundTask = Callable[[ServiceContext, asyncio.Event], Any]


class ReplayViews(Protocol):
    """View work a replay leaves to its end: the handlers record in it, ``finish`` refreshes once.

    Handlers find the store as their scope's ``replay_backlog`` (``shared.messaging.scope``). A rebuild
    applies months of events; refreshing each view row once at the end instead of after every
    batch that touched it is what makes it fast, and gives the same rows (they follow from the
    stored facts). A replay may apply partitions in several processes: each keeps a store, they
    are merged, and the result is refreshed in independent pieces, in several processes again.
    """

    @property
    def owners(self) -> int:
        """How many independent owners of view rows (e.g. employees) are recorded."""
        ...

    def merge(self, other: Self) -> None:
        """Add what another store (of the same kind, from another process) recorded."""
        ...

    def split(self, owners_per_piece: int) -> Sequence[Self]:
        """Independent pieces of at most this many owners, each refreshed on its own."""
        ...

    async def finish(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        """Refresh everything recorded, in one transaction."""
        ...


#: What a service's replay leaves to its end and its handlers record in (None: nothing, as live).
Views = TypeVar("Views", bound=ReplayViews | None)


@dataclass
class ServiceDefinition(Generic[Views]):
    """What makes one service: settings, tables, migrations, routes, event handlers, background work.

    Typed by its replay's store of view work: the handlers take scopes of that backlog
    (``Handler[Views]``), so mypy refuses a store its handlers do not use.
    """

    settings: ServiceSettings
    tables: ServiceTables
    migrations_dir: Path
    title: str
    description: str
    #: The API's routers, asked for when the API is built: a process that runs no API (a replay's
    #: workers, which build the definition for its handlers) imports no web stack.
    routers: Callable[[], Sequence[APIRouter]]
    handlers: Callable[[ServiceContext], Mapping[type[Event], Handler[Views]]] | None = None
    background: Sequence[BackgroundTask] = ()
    max_body_bytes: int = 1024 * 1024
    on_startup: Callable[[ServiceContext], Any] | None = None
    #: Tables written by the API, not by events (decisions, configuration): a replay copies them
    #: from the live views before rebuilding, since no topic could bring them back.
    replay_keeps: Sequence[str] = ()
    #: Builds a replay's store of deferred view work (None: a replay refreshes per batch, as live).
    replay_views: Callable[[], Views] | None = None
    #: Topics a replay applies completely before the others (each phase's partitions shared among
    #: its processes): the facts every other event is read against (a region's calendar, the
    #: organisation, the plans).
    replay_first: Sequence[str] = ()
    #: Indexes no event's statement reads (only the API's reads and the deferred views' refresh): a
    #: replay drops them from its fresh schema and builds each once, when its events are applied and
    #: before the views' refresh, instead of keeping them up row by row while it fills the tables.
    replay_indexes_after: Sequence[str] = ()
